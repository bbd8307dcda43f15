"""The POA&M alone, as DOCX."""

import io

import pytest
from django.urls import reverse
from django.utils import timezone
from docx import Document

from ssp.models import SystemSecurityPlan

from .export_helpers import saved_as
from .personas import make_assessment
from .ssp_helpers import (
    assessment_fixture,  # noqa: F401  (the assessment fixture)
    fresh_render_slots_fixture,  # noqa: F401  (autouse: a fresh render guard)
    page,
    plan_for,
    ssp_fixture,  # noqa: F401  (the ssp fixture: the assessment's plan)
    url,
)

pytestmark = pytest.mark.django_db


def test_poam_alone_downloads_as_docx_and_links_to_the_xlsx(client, ssp):
    response = client.get(url("poam_docx", ssp.assessment))
    assert response.status_code == 200
    assert saved_as(response) == (f"Acme-POAM-{timezone.localdate().isoformat()}.docx",) * 2
    table = Document(io.BytesIO(response.content)).tables[-1]
    # The requirement with its CMMC id and the points it costs (the 38 U.S.C. 5727(16) columns follow).
    assert [r.cells[0].text for r in table.rows[1:]] == ["3.1.3 (AC.L2-3.1.3) Control CUI Flow\n1 point"]
    xlsx = reverse("assessments:export_xlsx", args=[ssp.assessment.public_id])
    assert page(client.get(url("overview", ssp.assessment))).xpath("//a[@href=$u]", u=xlsx)


def test_every_member_gets_it_named_after_the_organisation_and_system_and_strangers_get_404(org_people):
    assessment = make_assessment(org_people["acme"], "Acme")
    SystemSecurityPlan.objects.filter(pk=plan_for(assessment).pk).update(org_name="Société Générale",
                                                                        system_name="Enclave / CUI")
    today = timezone.localdate().isoformat()
    for persona in ("owner", "editor", "viewer"):
        response = org_people["clients"][persona].get(url("poam_docx", assessment))
        assert response.status_code == 200 and response.content.startswith(b"PK")
        assert saved_as(response) == (f"Société-Générale-Enclave-CUI-POAM-{today}.docx",
                                      f"Societe-Generale-Enclave-CUI-POAM-{today}.docx")
    for stranger in ("other_org", "loner"):
        assert org_people["clients"][stranger].get(url("poam_docx", assessment)).status_code == 404
