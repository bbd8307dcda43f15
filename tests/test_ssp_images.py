"""ssp/images.py: a diagram is decoded only in a render process, within its limits, and at most 16 megapixels.

(What re-encoding keeps and drops is in test_ssp_safety.py.)"""

import io

import pytest
from PIL import Image

from cmmc_site import render_guard
from ssp import images


@pytest.fixture(autouse=True)
def fresh_render_slots():
    render_guard.reset_slots()
    yield
    render_guard.reset_slots()


def png(size: tuple[int, int], mode: str = "RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size).save(buffer, format="PNG")
    return buffer.getvalue()


def test_the_web_worker_never_opens_an_upload(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("an upload was opened in the web worker")

    upload = png((640, 480))
    # Patched in this process only: the render process is forked from a fork server that never saw the patch.
    monkeypatch.setattr(Image, "open", refuse)
    monkeypatch.setattr(Image.Image, "load", refuse)
    result = images.reencode(upload)
    assert (result.content_type, result.width, result.height) == ("image/png", 640, 480)
    with pytest.raises(images.ImageRejected) as refused:
        images.reencode(b"GIF89a\x01\x00\x01\x00\x00\x00\x00;")
    assert refused.value.code == "not_an_image"


def test_a_40_megapixel_png_of_a_few_kilobytes_is_refused_and_16_megapixels_still_pass():
    bomb = png((8000, 5000), mode="1")
    assert len(bomb) < 200_000
    with pytest.raises(images.ImageRejected) as refused:
        images.reencode(bomb)
    assert refused.value.code == "too_many_pixels"
    assert str(refused.value) == "The image has too many pixels (at most 16 megapixels)."
    with pytest.raises(images.ImageRejected):
        images.reencode(png((4001, 4000), mode="1"))
    assert images.reencode(png((4000, 4000), mode="1")).width == images.MAX_SIDE


def test_a_decode_past_the_render_time_limit_is_stopped_and_refused_with_a_message(settings, caplog):
    settings.RENDER_TIMEOUT = 0.05
    with pytest.raises(images.ImageRejected) as refused:
        images.reencode(png((4000, 4000), mode="RGBA"))
    assert refused.value.code == "too_costly" and "fewer pixels" in str(refused.value)
    assert [r.error for r in caplog.records if getattr(r, "event", "") == "image_refused"] == ["RenderTimeout"]


def test_an_upload_when_every_render_slot_is_busy_is_refused_at_once():
    render_guard.reset_slots(1)
    with render_guard.render_slot(), pytest.raises(images.ImageRejected) as refused:
        images.reencode(png((64, 64)))
    assert refused.value.code == "busy"
    assert images.reencode(png((64, 64))).width == 64  # the slot is free again
