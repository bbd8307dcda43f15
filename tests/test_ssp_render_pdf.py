import io
import re
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings
from PIL import Image
from pypdf import PdfReader

from assessments.models import Answer
from ssp import render_docx, render_pdf
from ssp.blocks import Table
from ssp.document import build_document
from ssp.models import NetworkDiagram, SystemSecurityPlan

from .ssp_helpers import (
    HOSTILE,
    answer_all,
    complete,
    docx_body_text,
    pdf_body_text,
    pdf_pages,
    pdf_text,
    plan_for,
    requirement_blocks,
    start_assessment,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def ssp(client) -> SystemSecurityPlan:
    assessment = start_assessment(client)
    answer_all(assessment, not_met=("3.1.3", "3.13.11"), na=("3.1.16", "3.10.6"))
    return complete(plan_for(assessment))


def test_docx_and_pdf_carry_the_same_status_and_description_for_every_requirement(ssp):
    # Distinct, multi-line descriptions with markup characters and non-ASCII text, different for each requirement.
    for index, row in enumerate(Answer.objects.filter(assessment=ssp.assessment).select_related("requirement")
                                .order_by("requirement__position")):
        row.note = (f"Control {row.requirement.nist_id} uses <tool-{index}> & “policy” {index * 7}.\n"
                    f"Reviewed by Zoë Müller, step {index}.")
        row.save()
    Answer.objects.filter(assessment=ssp.assessment, requirement__nist_id="3.1.2").update(note="")
    doc = build_document(ssp)
    entries = doc.requirements
    from_docx = requirement_blocks(docx_body_text(render_docx.render(doc)), doc)
    from_pdf = requirement_blocks(pdf_body_text(render_pdf.render(doc), doc.header_text), doc)
    expected = {e.nist_id: (e.status_label, " ".join(e.description_text.split())) for e in entries}
    assert len(expected) == 110
    assert from_docx == expected
    assert from_pdf == expected
    assert {status for status, _ in expected.values()} == {"Implemented", "Planned to be implemented",
                                                          "Not applicable"}


def test_a_draft_says_draft_on_every_page_with_header_and_page_numbers(ssp):
    Answer.objects.filter(assessment=ssp.assessment, requirement__nist_id="3.1.2").update(note="")
    doc = build_document(ssp, on=date(2026, 3, 5))
    pages = pdf_pages(render_pdf.render(doc))
    assert len(pages) > 10
    for number, page in enumerate(pages, start=1):
        assert "DRAFT" in page, number
        assert "ACME CUI ENCLAVE SYSTEM SECURITY PLAN — Last updated March 5, 2026" in page, number
        assert f"Page {number} of {len(pages)}" in page
        assert page.count("CUI\n") >= 2 or page.startswith("CUI")


def test_a_clean_plan_has_no_draft_mark_and_the_banner_can_be_turned_off(ssp):
    ssp.cui_banner = False
    ssp.save()
    pdf = render_pdf.render(build_document(ssp))
    text = pdf_text(pdf)
    assert "DRAFT" not in text
    assert not any(line.strip() == "CUI" for line in text.splitlines())


def test_table_of_contents_gives_page_numbers(ssp):
    doc = build_document(ssp)
    pdf = render_pdf.render(doc)
    contents = pdf_pages(pdf)[1]
    assert "Table of contents" in contents
    requirements_page = next(i for i, page in enumerate(pdf_pages(pdf), start=1) if "3. Requirements\nThe source"
                             in page)
    assert re.search(rf"3\. Requirements[ .]+{requirements_page}\b", pdf_text(pdf, "-layout"))


def test_the_bundled_font_is_embedded_and_only_our_static_files_are_read(ssp):
    fetcher = render_pdf.LocalOnlyFetcher()
    pdf = render_pdf.html_to_pdf(render_pdf.render_html(build_document(ssp)), fetcher=fetcher)
    programs = []
    for page in PdfReader(io.BytesIO(pdf)).pages[:3]:
        for font in page["/Resources"]["/Font"].values():
            descendant = font.get_object()["/DescendantFonts"][0].get_object()
            programs.append(descendant["/FontDescriptor"].get_object()["/FontFile2"].get_data())
    # Every font program embedded is DejaVu (its name table holds the family name in UTF-16).
    assert programs and all("DejaVu Sans".encode("utf-16-be") in program for program in programs)
    assert fetcher.refused == []
    assert fetcher.served[0] == "https://ssp.invalid/static/ssp/print.css"
    assert all(url.startswith("https://ssp.invalid/static/vendor/dejavu/DejaVuSans") for url in fetcher.served[1:])


def test_user_text_is_printed_literally(ssp):
    payload = "\n".join(HOSTILE)
    Answer.objects.filter(assessment=ssp.assessment, requirement__nist_id="3.1.1").update(note=payload)
    ssp.purpose = "<i>not italic</i> {{ doc.title }} {% now 'Y' %}"
    ssp.save()
    text = pdf_text(render_pdf.render(build_document(ssp)))
    for line in HOSTILE:
        if line.startswith("\u202e"):  # pdftotext applies the override: the characters are there, reordered
            line = line[1:][::-1]
        assert line in text, line
    assert "<i>not italic</i> {{ doc.title }} {% now 'Y' %}" in text


def test_the_network_diagram_is_embedded_as_an_image(ssp):
    buffer = io.BytesIO()
    Image.new("RGB", (400, 200), "navy").save(buffer, format="PNG")
    NetworkDiagram.objects.create(ssp=ssp, image=buffer.getvalue(), content_type="image/png", width=400,
                                  height=200, sha256="x", caption="Office network")
    doc = build_document(ssp)
    fetcher = render_pdf.LocalOnlyFetcher(render_pdf.assets_for(doc))
    pdf = render_pdf.html_to_pdf(render_pdf.render_html(doc), fetcher=fetcher)
    assert "https://ssp.invalid/asset/network-diagram" in fetcher.served
    # One image object, shared by the pages' resources.
    images = {image.indirect_reference.idnum: image for page in PdfReader(io.BytesIO(pdf)).pages
              for image in page.images}
    assert len(images) == 1 and next(iter(images.values())).image.size == (400, 200)
    assert "Office network" in pdf_text(pdf)


def test_every_table_column_width_has_a_rule_in_the_print_stylesheet(ssp):
    css = (Path(settings.BASE_DIR) / "static" / "ssp" / "print.css").read_text()
    doc = build_document(ssp)
    widths = {w for s in doc.sections for b in s.blocks if isinstance(b, Table) for w in b.widths}
    missing = [w for w in sorted(widths) if f"col.w{w} " not in css]
    assert missing == []


def test_pathological_long_words_render_quickly_and_completely(ssp):
    word = "A" * 20_000
    Answer.objects.filter(assessment=ssp.assessment, requirement__nist_id="3.1.1").update(note=word)
    pdf = render_pdf.render(build_document(ssp))
    text = pdf_text(pdf).replace("\u200b", "")
    assert "".join(re.findall(r"A{10,}", text)) == word  # nothing cut off at the margin


def test_unconfirmed_starting_text_is_flagged_in_the_pdf(ssp):
    # No description written: the starting text stands in, flagged.
    Answer.objects.filter(assessment=ssp.assessment, requirement__nist_id="3.1.5").update(note="")
    doc = build_document(ssp)
    text = " ".join(pdf_body_text(render_pdf.render(doc), doc.header_text).split())
    assert text.count("STARTING TEXT, NOT YET CONFIRMED") == 1
    block = text[text.index("3.1.5 Least Privilege"):text.index("3.1.6 ")]
    assert "STARTING TEXT, NOT YET CONFIRMED" in block and "Acme meets this requirement as follows." in block
