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

from assessments.models import Answer, Assessment
from cmmc_site import render_guard
from controls.models import Requirement
from ssp.forms import EnvironmentForm, IdentificationForm, RequirementForm, UserRoleFormSet
from ssp.models import (
    ROWS_MAX,
    Contact,
    HardwareItem,
    NetworkDiagram,
    SspVersion,
    SystemSecurityPlan,
    UserRole,
    record_version,
)
from ssp.records import RequirementRecord, records
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
    ("requirement", ["3.1.1"]), ("plan", []), ("generate", []), ("version_docx", [1]),
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
    posted = ("start", "diagram_upload", "diagram_delete", "requirement", "generate")
    response = client.post(target) if name in posted else client.get(target)
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
    assert SystemSecurityPlan.objects.count() == 0


def test_start_creates_the_plan_once_and_get_pages_never_write(client, assessment):
    response = client.post(url("start", assessment))
    assert response["Location"] == url("identification", assessment)
    client.post(url("start", assessment))
    assert SystemSecurityPlan.objects.count() == 1
    before = [m.objects.count() for m in (SystemSecurityPlan, Answer, Contact, SspVersion)]
    versions = list(Answer.objects.values_list("version", flat=True))
    for name, args in (("overview", []), ("identification", []), ("environment", []), ("family", ["AC"]),
                       ("plan", [])):
        assert client.get(url(name, assessment, *args)).status_code == 200
    assert [m.objects.count() for m in (SystemSecurityPlan, Answer, Contact, SspVersion)] == before
    assert list(Answer.objects.values_list("version", flat=True)) == versions


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
    assert response.status_code == 400 and "larger than 5 MB" in response.content.decode()


# --- Step 3 --------------------------------------------------------------------------------------------------


def requirement_data(rec: RequirementRecord, **overrides) -> dict:
    """What the step-3 form posts for a requirement, as the page shows it."""
    prefix = "r" + rec.requirement.nist_id.replace(".", "-")
    answer = rec.answer
    data = {"status": answer.status, "note": rec.description, "justification": answer.justification,
            "responsible": answer.responsible, "evidence": answer.evidence, "poam_reference": answer.poam_reference,
            "planned_date": answer.planned_date.isoformat() if answer.planned_date else "",
            "version": answer.version}
    data |= overrides
    return {f"{prefix}-{key}": value for key, value in data.items()}


def get_row(ssp, nist_id: str) -> RequirementRecord:
    _, (rec,) = records(ssp.assessment, requirement=Requirement.objects.get(nist_id=nist_id))
    return rec


def test_family_page_shows_each_requirement_from_the_answers_and_flags_starting_text(client, ssp):
    html = page(client.get(url("family", ssp.assessment, "AC")))
    assert len(html.xpath("//section[starts-with(@id, 'req-')]")) == 22
    assert html.xpath("//input[@name='r3-1-3-status'][@value='not_met']/@checked")
    radio = html.xpath("//input[@name='r3-1-3-status'][@value='not_met']/@id")[0]
    assert html.xpath("string(//label[@for=$i])", i=radio) == "Planned to be implemented"
    assert html.xpath("//*[@data-testid='pending-3.1.1']")
    assert textarea(html, "id_r3-1-1-note").startswith("Acme meets this requirement")


def test_saving_a_requirement_writes_the_assessments_record_and_clears_the_flag(client, ssp):
    rec = get_row(ssp, "3.1.1")
    response = client.post(url("requirement", ssp.assessment, "3.1.1"),
                           requirement_data(rec, note="Entra ID groups; quarterly review.", evidence="Access review"))
    assert response["Location"] == url("family", ssp.assessment, "AC") + "#req-3.1.1"
    after = get_row(ssp, "3.1.1")
    assert (after.answer.note, after.answer.evidence, after.pending, after.answer.version) == (
        "Entra ID groups; quarterly review.", "Access review", False, rec.answer.version + 1)
    # One record: the questionnaire shows what the plan saved.
    questionnaire = page(client.get(reverse("assessments:family", args=[ssp.assessment.public_id, "AC"])))
    assert textarea(questionnaire, "id_r3-1-1-note") == "Entra ID groups; quarterly review."


def test_an_unchanged_starting_text_is_not_stored_and_a_confirmed_one_is(client, ssp):
    rec = get_row(ssp, "3.1.1")
    client.post(url("requirement", ssp.assessment, "3.1.1"), requirement_data(rec))
    unchanged = get_row(ssp, "3.1.1")
    assert unchanged.answer.note == "" and unchanged.pending
    client.post(url("requirement", ssp.assessment, "3.1.1"), requirement_data(unchanged, confirm="on"))
    confirmed = get_row(ssp, "3.1.1")
    assert confirmed.answer.note == rec.starting_text and not confirmed.pending


def test_the_status_saved_in_the_plan_is_the_score(client, ssp):
    from assessments.records import score_assessment

    before = score_assessment(ssp.assessment).score
    rec = get_row(ssp, "3.1.3")
    response = client.post(url("requirement", ssp.assessment, "3.1.3"), requirement_data(rec, status="met"))
    assert response.status_code == 302
    assert score_assessment(ssp.assessment).score == before + rec.requirement.points


def test_the_same_rules_apply_as_in_the_questionnaire(client, ssp):
    rec = get_row(ssp, "3.1.1")
    response = client.post(url("requirement", ssp.assessment, "3.1.1"),
                           requirement_data(rec, status="na", justification=""))
    assert response.status_code == 400
    assert "Not applicable needs a written justification" in page(response).xpath(
        "string(//*[@id='id_r3-1-1-justification-error'])")
    assert get_row(ssp, "3.1.1").answer.status == "met"


def test_htmx_save_returns_just_the_block(client, ssp):
    rec = get_row(ssp, "3.1.2")
    response = client.post(url("requirement", ssp.assessment, "3.1.2"),
                           requirement_data(rec, note="Role-based access."), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = page(response)
    assert html.xpath("//section/@id") == ["req-3.1.2"]
    assert "Saved" in html.xpath("string(//*[@data-testid='save-state-3.1.2'])")
    # The block replaces itself: no CSS selector built from the id (dots are not valid in one).
    assert html.xpath("//form/@hx-target") == ["closest section"]


def test_a_too_long_description_is_refused_next_to_the_field_and_kept(client, ssp):
    rec = get_row(ssp, "3.1.1")
    huge = "y" * 102_400
    response = client.post(url("requirement", ssp.assessment, "3.1.1"), requirement_data(rec, note=huge))
    assert response.status_code == 400
    html = page(response)
    assert html.xpath("string(//*[@id='id_r3-1-1-note-error'])").startswith(
        "Keep this to 10000 characters or fewer (it has 102400).")
    assert textarea(html, "id_r3-1-1-note") == huge
    assert get_row(ssp, "3.1.1").answer.version == rec.answer.version


def test_a_save_from_a_stale_tab_is_a_conflict_that_keeps_both_versions(client, ssp):
    rec = get_row(ssp, "3.1.1")
    client.post(url("requirement", ssp.assessment, "3.1.1"), requirement_data(rec, note="Tab one."))
    response = client.post(url("requirement", ssp.assessment, "3.1.1"), requirement_data(rec, note="Tab two."))
    assert response.status_code == 409
    html = page(response)
    assert html.xpath("//*[@data-testid='conflict-3.1.1']")
    assert textarea(html, "id_r3-1-1-note") == "Tab two."
    assert html.xpath("//input[@name='r3-1-1-version']/@value") == [str(rec.answer.version + 1)]
    assert get_row(ssp, "3.1.1").answer.note == "Tab one."


# --- Readiness, generation and versions -----------------------------------------------------------------------


def test_readiness_lists_exactly_what_is_missing_with_links_to_the_fields(client, ssp, django_assert_num_queries):
    complete(ssp)
    ssp.boundary = ""
    ssp.save()
    ssp.assessment.answers.filter(requirement__nist_id="3.1.3").update(planned_date=None)
    ssp.assessment.answers.filter(requirement__nist_id="3.1.16").update(justification="")
    # 1 session, 2 assessment (access check), 3 plan; build_document: 4 contacts, 5 user roles, 6 hardware,
    # 7 software, 8 interconnections, 9 providers, 10 diagram, 11 version labels; the records: 12-13 catalog
    # (objectives, requirements), 14 answers (the score), 15 requirements with their family, 16 answers,
    # 17 objectives; 18 the versions table.
    with django_assert_num_queries(18):
        response = client.get(url("overview", ssp.assessment))
    links = page(response).xpath("//*[@data-testid='readiness']//li/a")
    assert [(a.text, a.get("href")) for a in links] == [
        ("The system boundary is not described (section 2).", url("environment", ssp.assessment) + "#id_boundary"),
        ("3.1.3: planned, but no planned completion date.",
         url("family", ssp.assessment, "AC") + "#id_r3-1-3-planned_date"),
        ("3.1.16: not applicable, but no rationale is given.",
         url("family", ssp.assessment, "AC") + "#id_r3-1-16-justification"),
    ]
    # Each link's target exists on its page.
    for _, href in [(a.text, a.get("href")) for a in links]:
        path, anchor = href.split("#")
        assert page(client.get(path)).xpath("//*[@id=$a]", a=anchor), href


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
    ssp.assessment.answers.filter(requirement__nist_id="3.2.1").update(note="")
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
    rec = get_row(ssp, "3.2.1")
    client.post(url("requirement", ssp.assessment, "3.2.1"), requirement_data(rec, note="Annual training."))
    response = generate(client, ssp, "1.1")
    assert response.status_code == 302 and response["Location"] == url("overview", ssp.assessment)
    # The overview, where the final version leads, offers to mark 3.12.4 met while it says "no SSP yet".
    assert not page(client.get(response["Location"])).xpath("//*[@data-testid='ssp-prompt']")
    ssp.assessment.answers.filter(requirement__nist_id="3.12.4").update(status="not_met")
    prompt = page(client.get(response["Location"])).xpath("//*[@data-testid='ssp-prompt']")[0]
    assert "Version 1.1 is final." in prompt.text_content()
    assert prompt.xpath(".//form/@action") == [reverse("assessments:ssp_answer", args=[ssp.assessment.public_id])]
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


def keep_version(ssp, label: str, *, draft: bool) -> None:
    record_version(ssp=ssp, label=label, generated_on=date(2026, 3, 9), description="v", made_by="Pat",
                   catalog_revision="x", draft=draft, docx=b"docx", pdf=b"%PDF")


def test_a_final_version_brings_the_offer_to_mark_3_12_4_met_until_it_is(client, ssp):
    ssp.assessment.answers.filter(requirement__nist_id="3.12.4").update(status="not_met")
    keep_version(ssp, "1.0", draft=True)
    assert not page(client.get(url("overview", ssp.assessment))).xpath("//*[@data-testid='ssp-prompt']")
    keep_version(ssp, "1.1", draft=False)
    html = page(client.get(url("overview", ssp.assessment)))
    button = html.xpath("//*[@data-testid='ssp-prompt']//button[@data-testid='mark-ssp-met']")
    assert [b.text_content().strip() for b in button] == ["Mark 3.12.4 (System Security Plan) as met"]
    form = button[0].getparent()
    assert form.xpath("./input[@name='next']/@value") == [url("overview", ssp.assessment)]
    response = client.post(form.get("action"), {"next": url("overview", ssp.assessment)})
    assert response["Location"] == url("overview", ssp.assessment)
    assert ssp.assessment.answers.get(requirement__nist_id="3.12.4").status == "met"
    assert not page(client.get(url("overview", ssp.assessment))).xpath("//*[@data-testid='ssp-prompt']")


def test_a_viewer_is_not_offered_to_mark_3_12_4_met_and_an_editor_is(org_people):
    assessment = make_assessment(org_people["acme"], answers={"3.12.4": "not_met"})
    keep_version(plan_for(assessment), "1.0", draft=False)
    viewer = page(org_people["clients"]["viewer"].get(url("overview", assessment)))
    assert not viewer.xpath("//*[@data-testid='ssp-prompt']") and not viewer.xpath("//*[@data-testid='mark-ssp-met']")
    assert page(org_people["clients"]["editor"].get(url("overview", assessment))).xpath(
        "//*[@data-testid='mark-ssp-met']")


def test_the_offer_costs_one_query_and_only_with_a_final_version(client, ssp, django_assert_num_queries):
    keep_version(ssp, "1.0", draft=False)
    # 1 session, 2 assessment (access check), 3 plan; build_document: 4-10 the plan's rows and diagram,
    # 11 requirement rows, 12 version labels, 13-14 catalog, 15 answers, 16 answer details, 17 requirement titles;
    # 18 the versions table, 19 the 3.12.4 answer (there is a final version).
    with django_assert_num_queries(19):
        client.get(url("overview", ssp.assessment))


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
    assert as_viewer.post(url("requirement", assessment, "3.1.1")).status_code == 403
    assert as_viewer.post(url("generate", assessment), {"label": "1.0"}).status_code == 403
    assert as_editor.post(url("requirement", assessment, "3.1.1")).status_code == 400
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
    """A viewer's saves, uploads and generations would get 403: each step shows what is saved in disabled
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
        ("overview",): {url("generate", assessment)},
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
    described = page(viewer.get(url("family", assessment, "AC")))
    pending = by_testid(described, "pending-3.1.3")  # no description yet: the starting text stands in
    assert "not yet confirmed by an editor" in pending and "tick" not in pending  # nothing to tick for a viewer
    assert "tick “confirm”" in by_testid(page(editor.get(url("family", assessment, "AC"))), "pending-3.1.3")
    assert textarea(described, "id_r3-1-1-note") == get_row(ssp, "3.1.1").description
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
                      for name in ("note", "justification", "responsible", "evidence", "poam_reference")}


def implementation_written(ssp: SystemSecurityPlan, nist_id: str) -> tuple:
    """Everything a requirement save could change: its record and the assessment's last change."""
    row = Answer.objects.filter(assessment=ssp.assessment, requirement__nist_id=nist_id).values().first()
    return row, Assessment.objects.values_list("updated_at", flat=True).get(pk=ssp.assessment_id)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_hostile_requirement_saves_are_saved_or_refused_never_a_500_and_a_refusal_writes_nothing(client, ssp, data):
    nist_id = data.draw(st.sampled_from(["3.1.1", "3.1.3", "3.1.16"]), label="requirement")
    before = implementation_written(ssp, nist_id)
    version = before[0]["version"]
    starting = get_row(ssp, nist_id).starting_text
    future = st.dates(min_value=date.today() + timedelta(days=1)).map(date.isoformat)
    fields = fuzz_fields(data, benign={
        "status": st.sampled_from(["met", "not_met"]), **dict.fromkeys(REQUIREMENT_LIMITS, BENIGN_TEXT),
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
    allowed = {saved, 400, 422} | ({409} if fields.get("version") != str(version) else set())
    event(f"requirement {response.status_code}")  # pytest --hypothesis-show-statistics shows the spread
    assert response.status_code in allowed
    # A NUL byte in a text field is refused. "confirm" is a checkbox: only whether it was sent counts (a browser
    # sends "on"; any other value means ticked too), so its value is never refused or stored.
    texts = {name: value for name, value in received.items() if name != "confirm"}
    if any("\x00" in value for value in texts.values()) or any(
            len(received.get(name, "").strip()) > limit for name, limit in REQUIREMENT_LIMITS.items()):
        assert response.status_code == 400
    if response.status_code != saved:
        assert implementation_written(ssp, nist_id) == before
        return
    answer = get_row(ssp, nist_id).answer
    # A post without a status leaves the stored one (the objective-mode form shows none).
    assert (answer.version, answer.status) == (version + 1, received.get("status", before[0]["status"]))
    for name in ("justification", "responsible", "evidence", "poam_reference"):
        assert getattr(answer, name) == received.get(name, "").strip()
    note = received.get("note", "").strip()
    assert answer.note == ("" if note == starting.strip() and not received.get("confirm") else note)
