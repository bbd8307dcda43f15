"""The SSP renderers with hostile input: no fetching, no local files, no markup from user text, bounded renders."""

import io
import secrets
import socket
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from assessments.models import Answer
from cmmc_site.render_guard import run_limited
from ssp import images, jobs, render_docx, render_pdf
from ssp.blocks import MAX_PLAN_CHARS
from ssp.document import build_document

from .ssp_helpers import (
    answer_all,
    complete,
    docx_body_text,
    fill_to_budget,
    maximal_plan,
    pdf_text,
    plan_for,
    start_assessment,
)

DATA_PNG = ("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJ"
            "RU5ErkJggg==")


@pytest.fixture
def listener():
    """A TCP server on loopback that counts connections: nothing may ever connect to it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    server.settimeout(0.2)
    hits: list[str] = []
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                connection, address = server.accept()
            except TimeoutError:
                continue
            hits.append(address[0])
            connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}", hits
    stop.set()
    thread.join(2)
    server.close()


@pytest.fixture
def local_file(tmp_path) -> Path:
    """A local file with a secret no PDF could hold by chance (a host name may be two letters)."""
    path = tmp_path / "secret.txt"
    path.write_text(f"local-secret-{secrets.token_hex(16)}\n")
    return path


def hostile_html(url: str, local: Path) -> str:
    file_url = local.resolve().as_uri()
    return f"""<!doctype html><html><head>
<link rel="stylesheet" href="{file_url}">
<link rel="stylesheet" href="{url}/style.css">
<link rel="attachment" href="{file_url}" title="leak">
<link rel="attachment" href="{url}/attachment">
<style>
  @import url("{file_url}");
  @import url("{url}/import.css");
  body {{ background: url("{file_url}"); }}
  h1 {{ background-image: url("{url}/bg.png"); }}
  @font-face {{ font-family: X; src: url("{file_url}"); }}
  p {{ font-family: X; }}
</style></head><body>
<h1>Report</h1><p>text</p>
<img src="{file_url}"><img src="{url}/x.png"><img src="http://127.0.0.1:1/x">
<img src="{DATA_PNG}">
<img src="https://{render_pdf.HOST}/static/%2e%2e/%2e%2e/etc/hostname">
<img src="https://{render_pdf.HOST}/asset/unknown">
<object data="{file_url}"></object><embed src="{file_url}">
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="50" height="50">
  <image href="{file_url}" width="50" height="50"/><image xlink:href="{url}/svg.png" width="50" height="50"/>
</svg>
<a href="{file_url}">a link is not a fetch</a>
</body></html>"""


def test_the_pdf_builder_fetches_nothing_outside_our_static_files(listener, local_file):
    url, hits = listener
    fetcher = render_pdf.LocalOnlyFetcher()
    pdf = render_pdf.html_to_pdf(hostile_html(url, local_file), fetcher=fetcher, uncompressed_pdf=True)
    time.sleep(0.3)
    assert hits == []
    assert fetcher.served == []
    refused = "\n".join(fetcher.refused)
    for needle in (local_file.as_uri(), f"{url}/style.css", f"{url}/import.css", f"{url}/bg.png",
                   f"{url}/x.png", f"{url}/svg.png", f"{url}/attachment", "http://127.0.0.1:1/x", "data:image/png",
                   "/static/%2e%2e/", "/asset/unknown"):
        assert needle in refused, needle
    assert b"/EmbeddedFile" not in pdf
    assert local_file.read_bytes().strip() not in pdf


@pytest.mark.parametrize("url", [
    "file:///etc/hostname", "http://127.0.0.1:1/x", "https://example.com/static/ssp/print.css",
    "data:text/css,body{}", "ftp://ssp.invalid/static/ssp/print.css", "https://ssp.invalid/static/../../etc/passwd",
    "https://ssp.invalid/static/%2e%2e/settings.py", "https://ssp.invalid/static/ssp/print.css?x=1",
    "https://user@ssp.invalid/static/ssp/print.css", "https://ssp.invalid:444/static/ssp/print.css",
    "https://ssp.invalid/static/", "https://ssp.invalid/static//etc/hostname", "https://ssp.invalid/etc/hostname",
    "https://ssp.invalid/asset/missing", "https://ssp.invalid/static/ssp/nope.css",
])
def test_the_fetcher_refuses_anything_but_our_files(url):
    fetcher = render_pdf.LocalOnlyFetcher({"diagram": ("image/png", b"png")})
    with pytest.raises(render_pdf.RefusedURL):
        fetcher.fetch(url)
    assert fetcher.refused == [url] and fetcher.served == []


def test_the_fetcher_serves_our_stylesheet_font_and_assets():
    fetcher = render_pdf.LocalOnlyFetcher({"diagram": ("image/png", b"png")})
    css = fetcher.fetch("https://ssp.invalid/static/ssp/print.css")
    assert css.content_type == "text/css" and b"@page" in css.read()
    font = fetcher.fetch("https://ssp.invalid/static/vendor/dejavu/DejaVuSans.ttf")
    assert font.read(4) == b"\x00\x01\x00\x00"
    assert fetcher.fetch("https://ssp.invalid/asset/diagram").read() == b"png"


def test_the_fetcher_serves_one_font_of_a_collection_by_its_name_and_fonts_up_to_their_own_limit(monkeypatch):
    fetcher = render_pdf.LocalOnlyFetcher()
    collection = "https://ssp.invalid/static/vendor/noto-cjk/NotoSansCJK-Regular.ttc"
    face = fetcher.fetch(f"{collection}#NotoSansCJKsc-Regular").read()
    assert face[:4] == b"OTTO"  # one OpenType font, not the collection ("ttcf")
    with pytest.raises(render_pdf.RefusedURL):
        fetcher.fetch(f"{collection}#NotoSansCJKxx-Regular")
    # The CJK collection (20 MB) is over the limit of other static files, not over the fonts' own.
    assert render_pdf.MAX_STATIC_BYTES < Path(finders.find("vendor/noto-cjk/NotoSansCJK-Regular.ttc")).stat().st_size
    assert fetcher.fetch(collection).read(4) == b"ttcf"
    monkeypatch.setattr(render_pdf, "MAX_FONT_BYTES", 1000)
    with pytest.raises(render_pdf.RefusedURL):
        fetcher.fetch("https://ssp.invalid/static/vendor/dejavu/DejaVuSans.ttf")
    monkeypatch.setattr(render_pdf, "MAX_STATIC_BYTES", 1000)
    with pytest.raises(render_pdf.RefusedURL):
        fetcher.fetch("https://ssp.invalid/static/ssp/print.css")


@pytest.mark.django_db
def test_urls_in_user_text_stay_text_in_both_documents(client, listener, local_file):
    url, hits = listener
    assessment = start_assessment(client)
    answer_all(assessment)
    ssp = complete(plan_for(assessment))
    file_url = local_file.as_uri()
    payload = (f'<img src="{url}/narrative.png"> <img src="{file_url}"> '
               f'<link rel="attachment" href="{file_url}"> <style>@import "{url}/x.css";</style> '
               f'<svg><image href="{file_url}"/></svg> url({url}/y.png)')
    ssp.boundary = payload
    ssp.save()
    Answer.objects.filter(assessment=ssp.assessment, requirement__nist_id="3.1.1").update(note=payload)
    doc = build_document(ssp)
    fetcher = render_pdf.LocalOnlyFetcher(render_pdf.assets_for(doc))
    pdf = render_pdf.html_to_pdf(render_pdf.render_html(doc), fetcher=fetcher, uncompressed_pdf=True)
    time.sleep(0.3)
    assert hits == [] and fetcher.refused == []
    assert b"/EmbeddedFile" not in pdf and local_file.read_bytes().strip() not in pdf
    # Compared without white space or hyphens: the long file URL breaks across lines (at the PDF's zero-width break
    # points), and pdftotext joins a line that ends in a hyphen to the next without it.
    assert "".join(payload.replace("-", "").split()) in "".join(
        pdf_text(pdf).replace("\u200b", "").replace("-", "").split())
    assert payload in docx_body_text(render_docx.render(doc)).split("\n")


@pytest.mark.django_db
def test_100_kb_in_one_field_still_renders_both_documents(client):
    """Forms refuse it (tests/test_ssp_*_view.py); text written by other means must still render, not hang."""
    assessment = start_assessment(client)
    answer_all(assessment)
    ssp = complete(plan_for(assessment))
    big = ("Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 1800)[:100_000]
    Answer.objects.filter(assessment=ssp.assessment, requirement__nist_id="3.1.1").update(note=big)
    doc = build_document(ssp)
    started = time.monotonic()
    docx, pdf = run_limited(jobs.both, doc)
    assert time.monotonic() - started < settings.RENDER_TIMEOUT
    assert big.strip() in docx_body_text(docx)
    assert pdf_text(pdf).count("Lorem ipsum") > 1500


@pytest.mark.slow
@pytest.mark.django_db
def test_the_largest_plan_renders_within_the_render_limits(client):
    assessment = start_assessment(client)
    answer_all(assessment)
    ssp = plan_for(assessment)
    fill_to_budget(ssp)
    doc = build_document(ssp)
    assert MAX_PLAN_CHARS * 0.97 < doc.size <= MAX_PLAN_CHARS and not doc.too_large
    started = time.monotonic()
    # As Generate renders it: both files in one child process, with the production bounds (settings.RENDER_TIMEOUT
    # seconds, RENDER_MEMORY_MB of address space). How long it takes on a quiet machine: bench/ssp_render.py.
    docx, pdf = run_limited(jobs.both, doc)
    elapsed = time.monotonic() - started
    assert elapsed < settings.RENDER_TIMEOUT
    assert docx.startswith(b"PK") and pdf.startswith(b"%PDF")
    last = doc.requirements[-1]
    assert last.rationale in docx_body_text(docx)


@pytest.mark.django_db
def test_a_plan_with_every_field_at_its_limit_is_too_large_to_render(client):
    assessment = start_assessment(client)
    answer_all(assessment)
    ssp = plan_for(assessment)
    maximal_plan(ssp)
    doc = build_document(ssp)
    assert doc.size > 3 * MAX_PLAN_CHARS and doc.too_large


def png(size=(64, 32), **save) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "teal").save(buffer, format="PNG", **save)
    return buffer.getvalue()


def test_uploaded_images_are_reencoded_without_their_metadata():
    info = PngInfo()
    info.add_text("Comment", "secret-location 51.5N 0.1W")
    raw = png(pnginfo=info) + b"TRAILING-PAYLOAD"
    result = images.reencode(raw)
    assert result.content_type == "image/png" and (result.width, result.height) == (64, 32)
    assert b"secret-location" not in result.data and b"TRAILING-PAYLOAD" not in result.data
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"  # Make
    photo = io.BytesIO()
    Image.new("RGB", (40, 20), "red").save(photo, format="JPEG", exif=exif.tobytes())
    jpeg = images.reencode(photo.getvalue())
    assert jpeg.content_type == "image/jpeg" and b"CameraMaker" not in jpeg.data and b"Exif" not in jpeg.data


def test_large_images_are_scaled_down_to_the_stored_maximum():
    result = images.reencode(png((images.MAX_SIDE * 2, 100)))
    assert (result.width, result.height) == (images.MAX_SIDE, 50)


@pytest.mark.parametrize("raw, code", [
    (b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "not_an_image"),
    (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "not_an_image"),
    (b"%PDF-1.7\n", "not_an_image"),
    (png()[:60], "damaged_image"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * (images.MAX_UPLOAD_BYTES + 1), "too_large"),
])
def test_anything_but_a_sound_png_or_jpeg_is_refused(raw, code):
    with pytest.raises(images.ImageRejected) as refused:
        images.reencode(raw)
    assert refused.value.code == code


def test_a_decompression_bomb_is_refused_before_it_is_decoded():
    # 20000 x 20000 pixels of one colour compress to a few hundred kilobytes.
    buffer = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(buffer, format="PNG")
    assert len(buffer.getvalue()) < images.MAX_UPLOAD_BYTES
    with pytest.raises(images.ImageRejected) as refused:
        images.reencode(buffer.getvalue())
    assert refused.value.code == "too_many_pixels"
