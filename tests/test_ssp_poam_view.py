"""The POA&M alone, as DOCX."""

import io

import pytest
from django.urls import reverse
from docx import Document

from .ssp_helpers import (
    assessment_fixture,  # noqa: F401  (the assessment fixture)
    fresh_render_slots_fixture,  # noqa: F401  (autouse: a fresh render guard)
    page,
    ssp_fixture,  # noqa: F401  (the ssp fixture: the assessment's plan)
    url,
)

pytestmark = pytest.mark.django_db


def test_poam_alone_downloads_as_docx_and_links_to_the_xlsx(client, ssp):
    response = client.get(url("poam_docx", ssp.assessment))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="poam-{ssp.assessment.public_id}.docx"'
    table = Document(io.BytesIO(response.content)).tables[-1]
    # The requirement with its CMMC id and the points it costs (the 38 U.S.C. 5727(16) columns follow).
    assert [r.cells[0].text for r in table.rows[1:]] == ["3.1.3 (AC.L2-3.1.3) Control CUI Flow\n1 point"]
    xlsx = reverse("assessments:export_xlsx", args=[ssp.assessment.public_id])
    assert page(client.get(url("overview", ssp.assessment))).xpath("//a[@href=$u]", u=xlsx)
