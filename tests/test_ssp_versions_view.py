"""Downloading a generated version (DOCX or PDF): the stored bytes, named after the organisation or the system and
the version as the user wrote it."""

import hashlib
from datetime import date

import pytest
from django.test import Client

from ssp.models import SystemSecurityPlan, record_version

from .export_helpers import saved_as
from .personas import make_assessment, start_anonymous
from .ssp_helpers import (
    assessment_fixture,  # noqa: F401  (the assessment fixture)
    fresh_render_slots_fixture,  # noqa: F401  (autouse: a fresh render guard)
    plan_for,
    ssp_fixture,  # noqa: F401  (the ssp fixture: the assessment's plan)
    url,
)

pytestmark = pytest.mark.django_db


def generated(ssp: SystemSecurityPlan, label: str, number_of_earlier: int = 0) -> None:
    for n in range(number_of_earlier):
        record_version(ssp=ssp, label=f"0.{n + 1}", generated_on=date(2026, 1, 1), description="earlier",
                       made_by="Pat", catalog_revision="x", draft=True, docx=b"PK old", pdf=b"%PDF old")
    record_version(ssp=ssp, label=label, generated_on=date(2026, 3, 1), description="This one", made_by="Pat",
                   catalog_revision="x", draft=True, docx=f"PK {label}".encode(), pdf=f"%PDF {label}".encode())


def named(ssp: SystemSecurityPlan, org_name: str = "", system_name: str = "") -> None:
    SystemSecurityPlan.objects.filter(pk=ssp.pk).update(org_name=org_name, system_name=system_name)


def test_unknown_versions_are_404(client, ssp):
    assert client.get(url("version_docx", ssp.assessment, 7)).status_code == 404


def test_every_member_downloads_a_version_named_by_organisation_system_and_version_label(org_people):
    assessment = make_assessment(org_people["acme"], "Acme")
    ssp = plan_for(assessment)
    named(ssp, "Acme", "CUI Enclave")
    generated(ssp, "0.9", number_of_earlier=2)  # the third version: its number is 3, its label 0.9
    for persona in ("owner", "editor", "viewer"):
        client = org_people["clients"][persona]
        for kind, extension in (("version_docx", "docx"), ("version_pdf", "pdf")):
            response = client.get(url(kind, assessment, 3))
            assert response.status_code == 200
            assert response.content == f"{'PK' if extension == 'docx' else '%PDF'} 0.9".encode()
            assert response["ETag"] == f'"{hashlib.sha256(response.content).hexdigest()}"'
            assert saved_as(response) == (f"Acme-CUI-Enclave-SSP-v0.9.{extension}",) * 2
    for stranger in ("other_org", "loner"):
        response = org_people["clients"][stranger].get(url("version_pdf", assessment, 3))
        assert response.status_code == 404 and "Content-Disposition" not in response
    assert Client().get(url("version_pdf", assessment, 3)).status_code == 404


def test_the_anonymous_holder_downloads_it_and_another_browser_gets_404():
    holder = Client()
    assessment = start_anonymous(holder, "Side Shop")
    ssp = plan_for(assessment)
    generated(ssp, "1.0")
    assert saved_as(holder.get(url("version_docx", assessment, 1))) == ("Side-Shop-SSP-v1.0.docx",) * 2
    other = Client()
    start_anonymous(other, "Other")
    assert other.get(url("version_docx", assessment, 1)).status_code == 404


@pytest.mark.parametrize("org_name, system_name, label, name, ascii_name", [
    # The system's name already says whose it is: said once.
    ("Acme", "Acme CUI Enclave", "1.0", "Acme-CUI-Enclave-SSP-v1.0.pdf", "Acme-CUI-Enclave-SSP-v1.0.pdf"),
    ("Acme", "", "2.1-draft", "Acme-SSP-v2.1-draft.pdf", "Acme-SSP-v2.1-draft.pdf"),  # no system name yet
    ("", "", "v3", "Side-Shop-SSP-v3.pdf", "Side-Shop-SSP-v3.pdf"),  # the assessment's name; "v3" not "vv3"
    ("Société Générale", "Système « CUI »", "1.0", "Société-Générale-Système-CUI-SSP-v1.0.pdf",
     "Societe-Generale-Systeme-CUI-SSP-v1.0.pdf"),
    ("株式会社 東京", "CUI/../../etc", "1.0", "株式会社-東京-CUI-etc-SSP-v1.0.pdf", "CUI-etc-SSP-v1.0.pdf"),
    # A control character rather than NUL, which no form accepts and PostgreSQL cannot store.
    ('Acme "Corp"\r\nX-Injected: 1', "\u202eevil\x07", "1.0", "Acme-Corp-X-Injected-1-evil-SSP-v1.0.pdf",
     "Acme-Corp-X-Injected-1-evil-SSP-v1.0.pdf"),
    ("🚀🚀🚀", "!!!", "1.0", "SSP-v1.0.pdf", "SSP-v1.0.pdf"),
])
def test_hostile_and_foreign_names_read_back_through_the_header(client, org_name, system_name, label, name,
                                                                ascii_name):
    assessment = start_anonymous(client, "Side Shop")
    ssp = plan_for(assessment)
    named(ssp, org_name, system_name)
    generated(ssp, label)
    response = client.get(url("version_pdf", assessment, 1))
    assert saved_as(response) == (name, ascii_name)


def test_a_very_long_name_still_gives_a_short_file_name(client):
    assessment = start_anonymous(client, "Side Shop")
    ssp = plan_for(assessment)
    named(ssp, "Ü" * 200, "S" * 200)
    generated(ssp, "1" * 20)
    name, ascii_name = saved_as(client.get(url("version_docx", assessment, 1)))
    assert len(name.encode()) <= 160 and name.endswith(f"-SSP-v{'1' * 20}.docx") and name.startswith("ÜÜ")
    assert ascii_name.endswith(f"-SSP-v{'1' * 20}.docx") and ascii_name.startswith("UU")
