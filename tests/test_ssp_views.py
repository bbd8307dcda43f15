import hashlib
import io
import itertools
import re
from datetime import date, timedelta

import lxml.html
import pytest
from django.conf import settings as django_settings
from django.db import models
from django.test import Client
from django.urls import reverse
from docx import Document
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from PIL import Image

from assessments.models import Assessment
from cmmc_site import render_guard
from controls.models import Requirement
from ssp.forms import EnvironmentForm, IdentificationForm, RequirementForm, UserRoleFormSet
from ssp.models import (
    ROWS_MAX,
    Contact,
    HardwareItem,
    ImplementationStatus,
    NetworkDiagram,
    RequirementImplementation,
    SspVersion,
    SystemSecurityPlan,
    UserRole,
)
from ssp.views import TABLES

from .personas import make_assessment
from .questionnaire_helpers import (
    BENIGN_TEXT,
    HOSTILE_TEXT,
    as_received,
    browser_submission,
    by_testid,
    enabled_post_controls,
    fuzz_fields,
    hostile_value,
    hostile_version,
    post_hostile,
    post_submission,
)
from .ssp_helpers import (
    answer_all,
    complete,
    maximal_plan,
    pdf_pages,
    plan_for,
    start_assessment,
    words,
)

pytestmark = pytest.mark.django_db

# Every SSP URL: name, extra arguments after the public id.
URLS = [
    ("overview", []), ("start", []), ("identification", []), ("environment", []), ("diagram", []),
    ("diagram_upload", []), ("diagram_delete", []), ("requirements", []), ("family", ["AC"]),
    ("requirement", ["3.1.1"]), ("plan", []), ("sync", []), ("generate", []), ("version_docx", [1]),
    ("version_pdf", [1]), ("poam_docx", []),
]


@pytest.fixture(autouse=True)
def fresh_render_slots():
    render_guard.reset_slots()


@pytest.fixture
def assessment(client):
    assessment = start_assessment(client)
    answer_all(assessment, not_met=("3.1.3",), na=("3.1.16",))
    return assessment


@pytest.fixture
def ssp(assessment) -> SystemSecurityPlan:
    return plan_for(assessment)


def url(name: str, assessment, *args) -> str:
    return reverse(f"ssp:{name}", args=[assessment.public_id, *args])


def page(response) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(response.content.decode())


def textarea(html: lxml.html.HtmlElement, field_id: str) -> str:
    """A textarea's value as a browser reads it (the newline right after the opening tag is not content)."""
    text = html.xpath("//textarea[@id=$i]", i=field_id)[0].text or ""
    return text[1:] if text.startswith("\n") else text


def png_bytes(size=(120, 60)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "teal").save(buffer, format="PNG")
    return buffer.getvalue()


# --- Access: every URL, every persona ---------------------------------------------------------------------------


@pytest.mark.parametrize("name, args", URLS)
@pytest.mark.parametrize("method", ["get", "post", "put", "delete"])
def test_every_ssp_url_is_404_for_an_outsider_and_for_anonymous(ssp, name, args, method):
    target = url(name, ssp.assessment, *args)
    outsider = Client()
    start_assessment(outsider, "Other Co")  # a session with its own assessment, not this one
    for stranger in (outsider, Client()):
        response = getattr(stranger, method)(target)
        assert response.status_code == 404, (name, method, response.status_code)
        assert b"Acme" not in response.content


@pytest.mark.parametrize("name, args", URLS)
def test_every_ssp_url_answers_its_owner_and_is_private(client, ssp, name, args):
    NetworkDiagram.objects.create(ssp=ssp, image=png_bytes(), content_type="image/png", width=120, height=60,
                                  sha256="a" * 64)
    SspVersion.objects.create(ssp=ssp, number=1, label="1.0", generated_on="2026-03-05", description="First",
                              made_by="Pat", catalog_revision="x", draft=True, docx=b"PK docx", docx_sha256="d",
                              pdf=b"%PDF pdf", pdf_sha256="p")
    target = url(name, ssp.assessment, *args)
    response = client.post(target) if name in ("start", "diagram_upload", "diagram_delete", "requirement", "sync",
                                               "generate") else client.get(target)
    assert response.status_code in (200, 302, 400), (name, response.status_code)
    assert "no-store" in response["Cache-Control"] and response["X-Robots-Tag"] == "noindex, nofollow"
    assert response["Referrer-Policy"] in ("same-origin", "no-referrer")  # never sent to another site
    assert client.put(target).status_code == 405


def test_pages_before_the_plan_is_started_show_the_start_button_and_write_nothing(client, assessment):
    response = client.get(url("overview", assessment))
    assert response.status_code == 200
    assert page(response).xpath("//form[@action=$a]//button", a=url("start", assessment))
    for name in ("identification", "environment", "requirements", "plan", "poam_docx"):
        assert client.get(url(name, assessment))["Location"] == url("overview", assessment)
    assert client.get(url("family", assessment, "AC")).status_code == 302
    assert client.get(url("diagram", assessment)).status_code == 404
    assert SystemSecurityPlan.objects.count() == 0 and RequirementImplementation.objects.count() == 0


def test_start_creates_the_plan_once_prefilled_and_get_pages_never_write(client, assessment):
    response = client.post(url("start", assessment))
    assert response["Location"] == url("identification", assessment)
    client.post(url("start", assessment))
    assert SystemSecurityPlan.objects.count() == 1 and RequirementImplementation.objects.count() == 110
    before = [m.objects.count() for m in (SystemSecurityPlan, RequirementImplementation, Contact, SspVersion)]
    versions = list(RequirementImplementation.objects.values_list("version", flat=True))
    for name, args in (("overview", []), ("identification", []), ("environment", []), ("family", ["AC"]),
                       ("plan", [])):
        assert client.get(url(name, assessment, *args)).status_code == 200
    assert [m.objects.count() for m in (SystemSecurityPlan, RequirementImplementation, Contact, SspVersion)] == before
    assert list(RequirementImplementation.objects.values_list("version", flat=True)) == versions


def test_the_assessment_overview_and_the_nav_link_to_the_plan(client, assessment):
    body = page(client.get(reverse("assessments:overview", args=[assessment.public_id])))
    assert body.xpath("//main//a[@href=$u]", u=url("overview", assessment))
    assert body.xpath("//nav//a[normalize-space()='SSP'][@href=$u]", u=url("overview", assessment))


# --- Step 1 --------------------------------------------------------------------------------------------------


def identification_data(**overrides) -> dict:
    data = {"system_name": "Acme CUI Enclave", "system_identifier": "ACME-01", "categorization": "Moderate",
            "org_name": "Acme", "org_address": "1 Main St", "org_phone": "555-0100", "purpose": "Drawings.",
            "cui_categories": ["Controlled Technical Information"], "cui_other": "Export Controlled Research",
            "roles-TOTAL_FORMS": "1", "roles-INITIAL_FORMS": "0", "roles-MIN_NUM_FORMS": "0",
            "roles-MAX_NUM_FORMS": "50", "roles-0-role": "Engineers", "roles-0-users": "12",
            "roles-0-privileged_users": "2"}
    for role in ("information_owner", "system_owner", "security_officer"):
        data |= {f"{role}-name": f"Name {role}", f"{role}-title": "Boss", f"{role}-address": "HQ",
                 f"{role}-phone": "555", f"{role}-email": f"{role}@example.com"}
    return data | overrides


def test_identification_saves_everything_and_moves_on(client, ssp):
    response = client.post(url("identification", ssp.assessment), identification_data(next="1"))
    assert response.status_code == 302 and response["Location"] == url("environment", ssp.assessment)
    ssp.refresh_from_db()
    assert (ssp.system_name, ssp.cui_categories) == ("Acme CUI Enclave", ["Controlled Technical Information"])
    assert Contact.objects.get(ssp=ssp, role="security_officer").email == "security_officer@example.com"
    assert list(UserRole.objects.values_list("role", "users", "privileged_users")) == [("Engineers", 12, 2)]


def test_saving_identification_again_unchanged_writes_no_history_and_one_change_writes_one_row(client, ssp):
    """The activity log reads these histories: a second Save with nothing changed adds nothing to them."""
    client.post(url("identification", ssp.assessment), identification_data())

    def history_rows() -> tuple[int, int]:
        return (SystemSecurityPlan.history.filter(id=ssp.pk).count(), Contact.history.filter(ssp_id=ssp.pk).count())

    before = history_rows()
    assert client.post(url("identification", ssp.assessment), identification_data()).status_code == 302
    assert history_rows() == before
    client.post(url("identification", ssp.assessment), identification_data(**{"system_owner-phone": "555-0199"}))
    assert history_rows() == (before[0], before[1] + 1)
    assert Contact.objects.get(ssp=ssp, role="system_owner").phone == "555-0199"


def test_identification_errors_sit_next_to_their_field_and_nothing_typed_is_lost(client, ssp):
    huge = "x" * 102_400
    response = client.post(url("identification", ssp.assessment), identification_data(
        purpose=huge, **{"system_owner-email": "not-an-email", "roles-0-users": "many"}))
    assert response.status_code == 400
    html = page(response)
    assert html.xpath("string(//*[@id='id_purpose_error'])").strip().startswith(
        "Keep this to 20000 characters or fewer (it has 102400).")
    assert "is-invalid" in html.xpath("//textarea[@id='id_purpose']/@class")[0]
    assert textarea(html, "id_purpose") == huge
    assert html.xpath("//input[@name='system_owner-email']/@value") == ["not-an-email"]
    assert html.xpath("//input[@name='system_name']/@value") == ["Acme CUI Enclave"]
    assert html.xpath("//input[@name='roles-0-role']/@value") == ["Engineers"]
    assert not html.xpath("//textarea[@id='id_purpose']/@maxlength")  # the browser must not cut a paste short
    ssp.refresh_from_db()
    assert ssp.system_name == "" and UserRole.objects.count() == 0  # nothing half-saved


def test_nul_characters_are_refused_with_a_message_not_a_500(client, ssp):
    response = client.post(url("identification", ssp.assessment), identification_data(system_name="A\x00B"))
    assert response.status_code == 400 and "Null characters are not allowed" in response.content.decode()


# --- Step 2 --------------------------------------------------------------------------------------------------


def environment_data(**overrides) -> dict:
    data = {"boundary": "One office.", "environment": "Laptops.", "hardware_reference": "",
            "software_reference": "Intune", "maintained_by_org": "yes", "maintenance_explanation": ""}
    for prefix in ("hardware", "software", "interconnections", "providers"):
        data |= {f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0", f"{prefix}-MIN_NUM_FORMS": "0",
                 f"{prefix}-MAX_NUM_FORMS": "50"}
    data |= {"hardware-TOTAL_FORMS": "1", "hardware-0-component": "Firewall", "hardware-0-make_model": "FG-60F"}
    return data | overrides


def test_environment_saves_the_narratives_and_tables(client, ssp):
    response = client.post(url("environment", ssp.assessment), environment_data())
    assert response["Location"] == url("environment", ssp.assessment)
    ssp.refresh_from_db()
    assert (ssp.boundary, ssp.maintained_by_org) == ("One office.", "yes")
    assert list(HardwareItem.objects.values_list("component", "make_model")) == [("Firewall", "FG-60F")]


def test_a_100_kb_boundary_is_refused_with_a_message_and_kept_in_the_form(client, ssp):
    huge = ("boundary " * 12_000).strip()
    response = client.post(url("environment", ssp.assessment), environment_data(boundary=huge))
    assert response.status_code == 400
    html = page(response)
    assert html.xpath("string(//*[@id='id_boundary_error'])").strip().startswith(
        "Keep this to 20000 characters or fewer (it has 107999).")
    assert textarea(html, "id_boundary") == huge
    ssp.refresh_from_db()
    assert ssp.boundary == ""


def test_too_many_rows_are_refused(client, ssp):
    rows = {"hardware-TOTAL_FORMS": "55"} | {f"hardware-{i}-component": f"Box {i}" for i in range(55)}
    response = client.post(url("environment", ssp.assessment), environment_data(**rows))
    assert response.status_code == 400 and "Please submit at most 50 forms." in response.content.decode()
    assert HardwareItem.objects.count() == 0


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


# --- Step 3 --------------------------------------------------------------------------------------------------


def requirement_data(row: RequirementImplementation, **overrides) -> dict:
    prefix = "r" + row.requirement.nist_id.replace(".", "-")
    data = {"status": row.status, "description": row.description, "rationale": row.rationale,
            "responsible": row.responsible, "poam_reference": row.poam_reference,
            "planned_date": row.planned_date.isoformat() if row.planned_date else "", "version": row.version}
    data |= overrides
    return {f"{prefix}-{key}": value for key, value in data.items()}


def get_row(ssp, nist_id: str) -> RequirementImplementation:
    return RequirementImplementation.objects.select_related("requirement").get(ssp=ssp, requirement__nist_id=nist_id)


def test_family_page_shows_each_requirement_prefilled_and_flags_starting_text(client, ssp):
    html = page(client.get(url("family", ssp.assessment, "AC")))
    assert len(html.xpath("//section[starts-with(@id, 'req-')]")) == 22
    assert html.xpath("//input[@name='r3-1-3-status'][@value='planned']/@checked")
    assert html.xpath("//*[@data-testid='pending-3.1.1']")
    assert textarea(html, "id_r3-1-1-description").startswith("Acme meets this requirement")


def test_saving_a_requirement_rewrites_it_and_clears_the_flag(client, ssp):
    row = get_row(ssp, "3.1.1")
    response = client.post(url("requirement", ssp.assessment, "3.1.1"),
                           requirement_data(row, description="Entra ID groups; quarterly review."))
    assert response["Location"] == url("family", ssp.assessment, "AC") + "#req-3.1.1"
    row.refresh_from_db()
    assert (row.description, row.starting_text_pending, row.version) == ("Entra ID groups; quarterly review.",
                                                                         False, 2)


def test_htmx_save_returns_just_the_block(client, ssp):
    row = get_row(ssp, "3.1.2")
    response = client.post(url("requirement", ssp.assessment, "3.1.2"),
                           requirement_data(row, description="Role-based access."), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = page(response)
    assert html.xpath("//section/@id") == ["req-3.1.2"]
    assert "Saved" in html.xpath("string(//*[@data-testid='save-state-3.1.2'])")


def test_a_too_long_description_is_refused_next_to_the_field_and_kept(client, ssp):
    row = get_row(ssp, "3.1.1")
    huge = "y" * 102_400
    response = client.post(url("requirement", ssp.assessment, "3.1.1"), requirement_data(row, description=huge))
    assert response.status_code == 400
    html = page(response)
    assert html.xpath("string(//*[@id='id_r3-1-1-description-error'])").startswith(
        "Keep this to 5000 characters or fewer (it has 102400).")
    assert textarea(html, "id_r3-1-1-description") == huge
    row.refresh_from_db()
    assert row.version == 1


def test_a_save_from_a_stale_tab_is_a_conflict_that_keeps_both_versions(client, ssp):
    row = get_row(ssp, "3.1.1")
    client.post(url("requirement", ssp.assessment, "3.1.1"), requirement_data(row, description="Tab one."))
    response = client.post(url("requirement", ssp.assessment, "3.1.1"), requirement_data(row, description="Tab two."))
    assert response.status_code == 409
    html = page(response)
    assert html.xpath("//*[@data-testid='conflict-3.1.1']")
    assert textarea(html, "id_r3-1-1-description") == "Tab two."
    assert html.xpath("//input[@name='r3-1-1-version']/@value") == ["2"]
    assert get_row(ssp, "3.1.1").description == "Tab one."


# --- Readiness, generation and versions -----------------------------------------------------------------------


def test_readiness_lists_exactly_what_is_missing_with_links_to_the_fields(client, ssp, django_assert_num_queries):
    complete(ssp)
    ssp.boundary = ""
    ssp.save()
    RequirementImplementation.objects.filter(ssp=ssp, requirement__nist_id="3.1.3").update(planned_date=None)
    RequirementImplementation.objects.filter(ssp=ssp, requirement__nist_id="3.1.16").update(rationale="")
    # 1 session, 2 assessment (access check), 3 plan; build_document: 4 contacts, 5 user roles, 6 hardware,
    # 7 software, 8 interconnections, 9 providers, 10 diagram, 11 requirement rows, 12 version labels,
    # 13-14 catalog (objectives, requirements), 15 answers, 16 answer details, 17 requirement titles;
    # 18 the versions table.
    with django_assert_num_queries(18):
        response = client.get(url("overview", ssp.assessment))
    links = page(response).xpath("//*[@data-testid='readiness']//li/a")
    assert [(a.text, a.get("href")) for a in links] == [
        ("The system boundary is not described (section 2).", url("environment", ssp.assessment) + "#id_boundary"),
        ("3.1.3: planned, but no planned completion date.",
         url("family", ssp.assessment, "AC") + "#id_r3-1-3-planned_date"),
        ("3.1.16: not applicable, but no rationale is given.",
         url("family", ssp.assessment, "AC") + "#id_r3-1-16-rationale"),
    ]
    # Each link's target exists on its page.
    for _, href in [(a.text, a.get("href")) for a in links]:
        path, anchor = href.split("#")
        assert page(client.get(path)).xpath("//*[@id=$a]", a=anchor), href


def test_sync_takes_statuses_from_the_assessment(client, ssp):
    complete(ssp)
    ssp.assessment.answers.filter(requirement__nist_id="3.1.3").update(status="met")
    response = client.post(url("sync", ssp.assessment))
    assert response["Location"] == url("overview", ssp.assessment)
    assert get_row(ssp, "3.1.3").status == "implemented"
    assert page(client.get(url("overview", ssp.assessment))).xpath("//*[@data-testid='readiness'][contains(., "
                                                                   "'Nothing is missing')]")


def test_plan_details_are_saved(client, ssp):
    response = client.post(url("plan", ssp.assessment), {"review_frequency": "quarterly", "approver_name": "Pat",
                                                         "approver_title": "CEO"})
    assert response["Location"] == url("overview", ssp.assessment)
    ssp.refresh_from_db()
    assert (ssp.review_frequency, ssp.approver_name, ssp.cui_banner) == ("quarterly", "Pat", False)


def generate(client, ssp, label: str, description: str = "Update"):
    return client.post(url("generate", ssp.assessment), {"label": label, "description": description,
                                                         "made_by": "Pat Doe"})


@pytest.mark.slow
def test_generated_versions_are_drafts_until_ready_and_download_again_byte_for_byte(client, ssp):
    complete(ssp)
    RequirementImplementation.objects.filter(ssp=ssp, requirement__nist_id="3.2.1").update(description="")
    response = generate(client, ssp, "1.0", "Initial version")
    assert response.status_code == 302, response.content[:2000]
    first = SspVersion.objects.get(ssp=ssp, number=1)
    assert first.draft and first.label == "1.0" and len(first.catalog_revision) == 12
    ssp.assessment.refresh_from_db()
    assert ssp.assessment.ssp_version == ""  # a draft is not the plan SPRS refers to
    docx = client.get(url("version_docx", ssp.assessment, 1))
    pdf = client.get(url("version_pdf", ssp.assessment, 1))
    assert docx["Content-Disposition"] == f'attachment; filename="ssp-{ssp.assessment.public_id}-v1.docx"'
    assert pdf["Content-Type"] == "application/pdf"
    assert hashlib.sha256(docx.content).hexdigest() == first.docx_sha256
    assert hashlib.sha256(pdf.content).hexdigest() == first.pdf_sha256
    pages = pdf_pages(pdf.content)
    assert all("DRAFT" in text for text in pages)
    assert Document(io.BytesIO(docx.content)).sections[0].header.paragraphs[-1].text == "DRAFT"
    # The record of changes of version 1.0 already lists 1.0.
    record = [[c.text for c in r.cells] for r in Document(io.BytesIO(docx.content)).tables[-2].rows]
    assert record[-1][0] == "1.0" and record[-1][2:] == ["Initial version", "Pat Doe"]

    # Fix what was missing: the next version is final, and version 1 still downloads exactly as it was.
    row = get_row(ssp, "3.2.1")
    client.post(url("requirement", ssp.assessment, "3.2.1"), requirement_data(row, description="Annual training."))
    assert generate(client, ssp, "1.1").status_code == 302
    second = SspVersion.objects.get(ssp=ssp, number=2)
    assert not second.draft
    ssp.assessment.refresh_from_db()  # the SPRS worksheet now names the final plan
    assert (ssp.assessment.ssp_name, ssp.assessment.ssp_version, ssp.assessment.ssp_date) == (
        ssp.system_name, "1.1", second.generated_on)
    assert not any("DRAFT" in text for text in pdf_pages(client.get(url("version_pdf", ssp.assessment, 2)).content))
    again = client.get(url("version_pdf", ssp.assessment, 1))
    assert again.content == pdf.content and client.get(url("version_docx", ssp.assessment, 1)).content == \
        docx.content
    second_record = [[c.text for c in r.cells] for r in Document(io.BytesIO(
        client.get(url("version_docx", ssp.assessment, 2)).content)).tables[-2].rows]
    assert [r[0] for r in second_record[1:]] == ["1.0", "1.1"]
    versions = page(client.get(url("overview", ssp.assessment))).xpath("//*[@data-testid='versions']//tbody/tr")
    assert [tr.xpath("string(td[1])") for tr in versions] == ["1.1", "1.0"]


def test_a_version_label_cannot_be_used_twice(client, ssp):
    SspVersion.objects.create(ssp=ssp, number=1, label="1.0", generated_on="2026-03-05", description="First",
                              made_by="Pat", catalog_revision="x", draft=True, docx=b"d", docx_sha256="d",
                              pdf=b"p", pdf_sha256="p")
    response = generate(client, ssp, "1.0")
    assert response.status_code == 400
    assert "Version 1.0 was already generated" in response.content.decode()
    assert page(response).xpath("//input[@name='description']/@value") == ["Update"]
    assert SspVersion.objects.count() == 1


def test_a_plan_too_large_to_render_is_refused_with_a_message(client, ssp):
    maximal_plan(ssp)
    response = generate(client, ssp, "1.0")
    assert response.status_code == 400
    assert re.search(r"This plan has [\d,]+ characters of text; one document holds at most 400,000",
                     response.content.decode())
    assert SspVersion.objects.count() == 0


def test_unknown_versions_are_404(client, ssp):
    assert client.get(url("version_docx", ssp.assessment, 7)).status_code == 404


def test_poam_alone_downloads_as_docx_and_links_to_the_xlsx(client, ssp):
    response = client.get(url("poam_docx", ssp.assessment))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="poam-{ssp.assessment.public_id}.docx"'
    table = Document(io.BytesIO(response.content)).tables[-1]
    assert [r.cells[0].text for r in table.rows[1:]] == ["3.1.3 Control CUI Flow"]
    xlsx = reverse("assessments:export_xlsx", args=[ssp.assessment.public_id])
    assert page(client.get(url("overview", ssp.assessment))).xpath("//a[@href=$u]", u=xlsx)


def test_organisation_members_read_by_role_and_only_editors_write(client):
    from .personas import make_assessment, make_org, make_user, signed_in

    editor, viewer, stranger = make_user("ed@example.com"), make_user("vi@example.com"), make_user("st@example.com")
    org = make_org("Acme Org", editor=[editor], viewer=[viewer])
    make_org("Other Org", owner=[stranger])
    assessment = make_assessment(org, "Org Co")
    plan_for(assessment)
    as_viewer, as_editor, as_stranger = signed_in(viewer), signed_in(editor), signed_in(stranger)
    assert as_viewer.get(url("overview", assessment)).status_code == 200
    assert as_viewer.post(url("sync", assessment)).status_code == 403
    assert as_viewer.post(url("generate", assessment), {"label": "1.0"}).status_code == 403
    assert as_editor.post(url("sync", assessment)).status_code == 302
    assert as_stranger.get(url("overview", assessment)).status_code == 404
    assert as_stranger.post(url("generate", assessment)).status_code == 404


def _post_actions(doc) -> set[str]:
    """The actions of the POST forms someone could submit from the page ("" for the page itself)."""
    return {next(el.iterancestors("form")).get("action", "") for el in enabled_post_controls(doc)}


def test_before_the_plan_is_started_a_viewer_is_told_who_can_start_it_and_an_editor_can(org_people):
    assessment = make_assessment(org_people["acme"])
    doc = page(org_people["clients"]["viewer"].get(url("overview", assessment)))
    assert "only editors and owners can change them" in by_testid(doc, "read-only")
    assert "an editor or owner can start it" in by_testid(doc, "not-started")
    assert not enabled_post_controls(doc) and not doc.xpath("//form[@action=$a]", a=url("start", assessment))
    doc = page(org_people["clients"]["editor"].get(url("overview", assessment)))
    assert not doc.xpath("//*[@data-testid='read-only' or @data-testid='not-started']")
    assert _post_actions(doc) == {url("start", assessment)}


def test_a_viewer_reads_every_step_read_only_and_downloads_every_version_and_an_editor_still_edits(org_people):
    """A viewer's saves, uploads, syncs and generations would get 403: each step shows what is saved in disabled
    controls (or not at all) and says why; every GET download still works."""
    assessment = make_assessment(org_people["acme"])
    ssp = plan_for(assessment)
    SystemSecurityPlan.objects.filter(pk=ssp.pk).update(system_name="Acme CUI Enclave", approver_name="Pat")
    NetworkDiagram.objects.create(ssp=ssp, image=png_bytes(), content_type="image/png", width=120, height=60,
                                  sha256="a" * 64)
    SspVersion.objects.create(ssp=ssp, number=1, label="1.0", generated_on="2026-03-05", description="First",
                              made_by="Pat", catalog_revision="x", draft=True, docx=b"PK docx", docx_sha256="d",
                              pdf=b"%PDF pdf", pdf_sha256="p")
    viewer, editor = org_people["clients"]["viewer"], org_people["clients"]["editor"]
    here = ""  # the step's own URL: its main form has no action attribute
    editor_forms = {
        ("overview",): {url("sync", assessment), url("generate", assessment)},
        ("identification",): {here},
        ("environment",): {here, url("diagram_delete", assessment), url("diagram_upload", assessment)},
        ("family", "AC"): {url("requirement", assessment, r.nist_id)
                           for r in Requirement.objects.filter(family__code="AC")},
        ("plan",): {here},
    }
    for (name, *args), actions in editor_forms.items():
        doc = page(viewer.get(url(name, assessment, *args)))
        assert "only editors and owners can change them" in by_testid(doc, "read-only"), name
        assert not enabled_post_controls(doc) and not doc.xpath("//main//form//button"), name
        doc = page(editor.get(url(name, assessment, *args)))
        assert not doc.xpath("//*[@data-testid='read-only']") and not doc.xpath("//fieldset[@disabled]"), name
        assert _post_actions(doc) == actions, name

    # What the viewer reads: the saved values, the diagram, why they cannot generate, and every download.
    assert page(viewer.get(url("identification", assessment))).xpath(
        "//input[@name='system_name']/@value") == ["Acme CUI Enclave"]
    assert page(viewer.get(url("plan", assessment))).xpath("//input[@name='approver_name']/@value") == ["Pat"]
    RequirementImplementation.objects.filter(ssp=ssp, requirement__nist_id="3.1.1").update(
        starting_text_pending=True)
    described = page(viewer.get(url("family", assessment, "AC")))
    pending = by_testid(described, "pending-3.1.1")
    assert "not yet confirmed by an editor" in pending and "tick" not in pending  # nothing to tick for a viewer
    assert "tick “confirm”" in by_testid(page(editor.get(url("family", assessment, "AC"))), "pending-3.1.1")
    assert textarea(described, "id_r3-1-1-description") == get_row(ssp, "3.1.1").description
    environment = page(viewer.get(url("environment", assessment)))
    assert environment.xpath("//img[starts-with(@src, $u)]", u=url("diagram", assessment))
    assert viewer.get(url("diagram", assessment)).content == png_bytes()
    doc = page(viewer.get(url("overview", assessment)))
    assert "only editors and owners can do it" in by_testid(doc, "generate-read-only")
    for name, body in (("version_docx", b"PK docx"), ("version_pdf", b"%PDF pdf")):
        assert doc.xpath("//a[@href=$u]", u=url(name, assessment, 1))
        assert viewer.get(url(name, assessment, 1)).content == body
    assert doc.xpath("//a[@href=$u]", u=url("poam_docx", assessment))
    assert viewer.get(url("poam_docx", assessment))["Content-Disposition"].startswith("attachment")


# --- The biggest real forms and hostile saves (security check 18) ---------------------------------------------

ROW_MODELS = {name: formset.model for name, formset in TABLES} | {"roles": UserRoleFormSet.model}
ROW_FORMSETS = dict(TABLES) | {"roles": UserRoleFormSet}


def model_field(name: str) -> models.Field:
    """The model field behind a posted name: ``hardware-3-component``, ``system_owner-email`` or ``boundary``."""
    if row := re.fullmatch(r"(\w+)-\d+-(\w+)", name):
        return ROW_MODELS[row[1]]._meta.get_field(row[2])
    if "-" in name:
        return Contact._meta.get_field(name.split("-", 1)[1])
    return SystemSecurityPlan._meta.get_field(name)


def fill_everything():
    """A ``fill`` for browser_submission: every visible field at its model's limit, each value different."""
    seeds = itertools.count()

    def fill(el) -> str | None:
        name, seed = el.get("name"), next(seeds)
        if "__prefix__" in name:
            return None  # the hidden template row (crispy's empty form): sent as the page has it, empty
        field = model_field(name)
        if isinstance(field, models.EmailField):
            return f"person{seed}@example.com"
        if isinstance(field, models.IntegerField):
            return str(seed)
        return words(field.max_length, seed)
    return fill


def last_choice(name: str, values: list[str]) -> str:
    return values[-1]


def posted_rows(pairs: list[tuple[str, str]], table: str) -> list[dict]:
    """The rows of ``table`` in the order posted, as {field: value}."""
    rows: dict[int, dict] = {}
    for name, value in pairs:
        if (row := re.fullmatch(rf"{table}-(\d+)-(\w+)", name)) and row[2] not in ("id", "ssp", "DELETE"):
            rows.setdefault(int(row[1]), {})[row[2]] = value
    return [rows[i] for i in sorted(rows)]


def stored_rows(ssp: SystemSecurityPlan, table: str) -> list[dict]:
    fields = list(ROW_FORMSETS[table].form.base_fields)
    return [{k: str(v) for k, v in row.items()}
            for row in ROW_MODELS[table].objects.filter(ssp=ssp).order_by("pk").values(*fields)]


def refusal(response) -> tuple[int, list[str]]:
    """Why a post was not saved: the page's heading and the messages next to the fields."""
    texts = page(response).xpath("//h1//text() | //*[contains(@class, 'invalid-feedback')]//text()")
    return response.status_code, [t.strip() for t in texts if t.strip()]


def most_fields(form_class, tables: list[str], *, named_buttons: int = 1) -> int:
    """What a page posts at most, from the definitions: the CSRF token, the form's fields, the pressed button, and per
    table its 4 management fields and (ROWS_MAX + the template row) x (its fields + id, plan id, Delete)."""
    rows = sum(4 + (ROWS_MAX + 1) * (len(ROW_FORMSETS[t].form.base_fields) + 3) for t in tables)
    return 1 + len(form_class.base_fields) + named_buttons + rows


def test_the_environment_page_at_its_largest_saves_every_row_and_field_in_one_post(client, ssp):
    """The largest form of the product: both narratives, four tables at ROWS_MAX rows, every field at its limit."""
    tables = [name for name, _ in TABLES]
    for name in tables:  # two rows short of the limit: the page adds two empty rows, as it does for the user
        model = ROW_MODELS[name]
        required = {f.name: f.choices[0][0] if f.choices else "Kept" for f in model._meta.fields
                    if isinstance(f, models.CharField) and not f.blank}
        model.objects.bulk_create(model(ssp=ssp, **required) for _ in range(ROWS_MAX - 2))
    form = page(client.get(url("environment", ssp.assessment))).xpath("//form[@data-testid='environment-form']")[0]
    pairs = browser_submission(form, fill=fill_everything(), choose=last_choice,
                               tick=lambda el: not el.get("name").endswith("-DELETE"))
    response = post_submission(client, url("environment", ssp.assessment), pairs)
    assert response.status_code == 302, refusal(response)
    ssp.refresh_from_db()
    posted = dict(pairs)
    for name in EnvironmentForm.base_fields:
        assert getattr(ssp, name) == posted[name], name
    assert len(posted["boundary"]) > 19_000  # the narratives really are at their limit
    for name in tables:
        assert stored_rows(ssp, name) == posted_rows(pairs, name), name
        assert len(stored_rows(ssp, name)) == ROWS_MAX

    # Now every row is stored: tick every Delete and press "Save and continue", the most a browser can post here.
    form = page(client.get(url("environment", ssp.assessment))).xpath("//form[@data-testid='environment-form']")[0]
    pairs = browser_submission(form, choose=last_choice, tick=lambda el: True, click=("next", "1"))
    assert len(pairs) == most_fields(EnvironmentForm, tables) < django_settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    response = post_submission(client, url("environment", ssp.assessment), pairs)
    assert response.status_code == 302, refusal(response)
    assert response["Location"] == url("requirements", ssp.assessment)
    assert not any(ROW_MODELS[name].objects.filter(ssp=ssp).exists() for name in tables)


def test_the_identification_page_at_its_largest_saves_every_role_contact_and_category(client, ssp):
    UserRole.objects.bulk_create(UserRole(ssp=ssp, role="Kept", users=1, privileged_users=0)
                                 for _ in range(ROWS_MAX - 2))
    form = page(client.get(url("identification", ssp.assessment))).xpath(
        "//form[@data-testid='identification-form']")[0]
    pairs = browser_submission(form, fill=fill_everything(), choose=last_choice,
                               tick=lambda el: not el.get("name").endswith("-DELETE"), click=("next", "1"))
    # Every Delete box ticked as well would add ROWS_MAX + 1 (the template row's).
    assert len(pairs) + ROWS_MAX + 1 < django_settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    response = post_submission(client, url("identification", ssp.assessment), pairs)
    assert response.status_code == 302, refusal(response)
    assert response["Location"] == url("environment", ssp.assessment)
    ssp.refresh_from_db()
    posted = dict(pairs)
    assert ssp.cui_categories == [v for k, v in pairs if k == "cui_categories"]
    assert len(ssp.cui_categories) == len(IdentificationForm.base_fields["cui_categories"].choices)
    assert (ssp.system_name, ssp.purpose) == (posted["system_name"], posted["purpose"])
    for contact in Contact.objects.filter(ssp=ssp):
        assert (contact.name, contact.email) == (posted[f"{contact.role}-name"], posted[f"{contact.role}-email"])
    assert stored_rows(ssp, "roles") == posted_rows(pairs, "roles")
    assert len(stored_rows(ssp, "roles")) == ROWS_MAX


REQUIREMENT_LIMITS = {name: RequirementForm.base_fields[name].max_length
                      for name in ("description", "rationale", "responsible", "poam_reference")}


def implementation_written(ssp: SystemSecurityPlan, nist_id: str) -> tuple:
    """Everything a requirement save could change: its row and the assessment's last change."""
    row = RequirementImplementation.objects.filter(ssp=ssp, requirement__nist_id=nist_id).values().first()
    return row, Assessment.objects.values_list("updated_at", flat=True).get(pk=ssp.assessment_id)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_hostile_requirement_saves_are_saved_or_refused_never_a_500_and_a_refusal_writes_nothing(client, ssp, data):
    nist_id = data.draw(st.sampled_from(["3.1.1", "3.1.3", "3.1.16"]), label="requirement")
    before = implementation_written(ssp, nist_id)
    version = before[0]["version"]
    future = st.dates(min_value=date.today() + timedelta(days=1)).map(date.isoformat)
    fields = fuzz_fields(data, benign={
        "status": st.sampled_from(ImplementationStatus.values), **dict.fromkeys(REQUIREMENT_LIMITS, BENIGN_TEXT),
        "planned_date": st.one_of(st.just(""), future), "confirm": st.sampled_from(["", "on"]),
        "version": st.just(str(version)),
    }, hostile={
        "status": HOSTILE_TEXT, **{name: hostile_value(limit) for name, limit in REQUIREMENT_LIMITS.items()},
        "planned_date": HOSTILE_TEXT, "confirm": HOSTILE_TEXT, "version": hostile_version(version),
    })
    htmx = data.draw(st.sampled_from([True, False]), label="htmx")  # mostly the autosave, sometimes a plain form
    prefix = "r" + nist_id.replace(".", "-")
    response = post_hostile(client, url("requirement", ssp.assessment, nist_id),
                            {f"{prefix}-{k}": v for k, v in fields.items()}, htmx=htmx)

    received = {name: as_received(value) for name, value in fields.items()}
    saved = 200 if htmx else 302
    allowed = {saved, 400} | ({409} if fields.get("version") != str(version) else set())
    event(f"requirement {response.status_code}")  # pytest --hypothesis-show-statistics shows the spread
    assert response.status_code in allowed
    if any("\x00" in value for value in received.values()) or any(
            len(received.get(name, "").strip()) > limit for name, limit in REQUIREMENT_LIMITS.items()):
        assert response.status_code == 400
    if response.status_code != saved:
        assert implementation_written(ssp, nist_id) == before
        return
    row = get_row(ssp, nist_id)
    assert (row.version, row.status) == (version + 1, received["status"])
    for name in ("rationale", "responsible", "poam_reference"):
        assert getattr(row, name) == received.get(name, "").strip()
    if received.get("description", "").strip() != row.starting_text.strip():  # else the starting text may follow
        assert row.description == received.get("description", "").strip()
