"""The network diagram: uploaded (re-encoded, or refused next to the field) and served only through its private view."""

import io

import pytest

from ssp.models import NetworkDiagram

from .ssp_helpers import (
    assessment_fixture,  # noqa: F401  (the assessment fixture)
    fresh_render_slots_fixture,  # noqa: F401  (autouse: a fresh render guard)
    page,
    png_bytes,
    ssp_fixture,  # noqa: F401  (the ssp fixture: the assessment's plan)
    textarea,
    url,
)

pytestmark = pytest.mark.django_db


def test_the_diagram_is_reencoded_and_served_only_through_the_private_view(client, ssp):
    raw = png_bytes() + b"hidden-payload"
    upload = io.BytesIO(raw)
    upload.name = "net.png"
    response = client.post(url("diagram_upload", ssp.assessment), {"image": upload, "caption": "Our network"})
    assert response.status_code == 302
    stored = NetworkDiagram.objects.get(ssp=ssp)
    assert b"hidden-payload" not in bytes(stored.image)
    served = client.get(url("diagram", ssp.assessment))
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    assert served.content == bytes(stored.image) and "no-store" in served["Cache-Control"]
    html = page(client.get(url("environment", ssp.assessment)))
    assert html.xpath("//img[starts-with(@src, $u)]", u=url("diagram", ssp.assessment))
    assert client.post(url("diagram_delete", ssp.assessment)).status_code == 302
    assert not NetworkDiagram.objects.exists()


@pytest.mark.parametrize("raw, message", [
    (b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "Upload a PNG or JPEG image."),
    (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "Upload a PNG or JPEG image."),
])
def test_a_bad_diagram_is_refused_next_to_the_field_and_the_narrative_is_untouched(client, ssp, raw, message):
    ssp.boundary = "Kept."
    ssp.save()
    upload = io.BytesIO(raw)
    upload.name = "net.png"
    response = client.post(url("diagram_upload", ssp.assessment), {"image": upload})
    assert response.status_code == 400 and message in response.content.decode()
    assert textarea(page(response), "id_boundary") == "Kept."
    assert not NetworkDiagram.objects.exists()


def test_an_oversized_upload_is_refused_before_it_is_read(client, ssp):
    response = client.generic("POST", url("diagram_upload", ssp.assessment), b"x" * 10,
                              content_type="multipart/form-data; boundary=x", CONTENT_LENGTH=str(50 * 2**20))
    # Refused by cmmc_site/body_limits.py before any middleware or view reads it (the CSRF check would).
    assert response.status_code == 413 and "larger than 5 MB" in response.content.decode()
