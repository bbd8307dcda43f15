"""Anonymous assessments expire ANONYMOUS_RETENTION_DAYS after their last change (check 4, "an expired assessment
→ 404/410"): the holder gets 410 with an explanation, strangers still 404, the recovery key no longer opens it, and
every write path counts as a change. Time is controlled by setting updated_at with .update() (auto_now would
overwrite a save())."""

import io
import logging
from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from assessments.access import SESSION_KEY
from assessments.models import Answer, Assessment
from assessments.writes import claim_assessments
from ssp.models import create_ssp, record_version
from tests.personas import make_assessment, make_org, make_user, signed_in

from .questionnaire_helpers import (
    INTAKE,
    assert_private,
    by_testid,
    html,
    outsider,
    post_answer,
    post_objective,
    start,
    start_and_read_key,
    text,
)

pytestmark = pytest.mark.django_db

RESUME = reverse("assessments:resume")
DAYS = 90  # the default of ANONYMOUS_RETENTION_DAYS


def last_changed(assessment: Assessment, days_ago: float) -> None:
    Assessment.objects.filter(pk=assessment.pk).update(updated_at=timezone.now() - timedelta(days=days_ago))
    assessment.refresh_from_db()


def stored_updated_at(assessment: Assessment):
    return Assessment.objects.values_list("updated_at", flat=True).get(pk=assessment.pk)


def urls(assessment: Assessment) -> dict[str, tuple[str, str, dict]]:
    """(method, URL, data) of an overview, a family page, an answer save and an SSP page."""
    pid = assessment.public_id
    return {
        "overview": ("get", reverse("assessments:overview", args=[pid]), {}),
        "family": ("get", reverse("assessments:family", args=[pid, "AC"]), {}),
        "answer": ("post", reverse("assessments:answer", args=[pid, "3.1.1"]),
                   {"r3-1-1-status": "met", "r3-1-1-version": "0"}),
        "ssp": ("get", reverse("ssp:overview", args=[pid]), {}),
        "ssp_family": ("get", reverse("ssp:family", args=[pid, "AC"]), {}),
        "recovery_key": ("get", reverse("assessments:recovery_key", args=[pid]), {}),
    }


@pytest.fixture
def holder() -> Client:
    return Client()


@pytest.fixture
def expired(holder) -> Assessment:
    assessment = start(holder, "Expired Co")
    create_ssp(assessment=assessment)
    last_changed(assessment, DAYS + 1)
    return assessment


# --- The holder: 410 ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("page", ["overview", "family", "answer", "ssp", "ssp_family", "recovery_key"])
def test_the_holder_of_an_expired_assessment_gets_410_with_an_explanation(holder, expired, page):
    method, url, data = urls(expired)[page]
    response = getattr(holder, method)(url, data)
    assert response.status_code == 410
    assert_private(response)
    doc = html(response)
    assert f"deleted {DAYS} days after its last change" in by_testid(doc, "expired")
    assert doc.xpath("//main//a/@href") == [reverse("assessments:start")]
    # Nothing of the assessment is shown, and nothing was written.
    assert "Expired Co" not in response.content.decode()
    assert not Answer.objects.filter(assessment=expired, requirement__nist_id="3.1.1").exists()


def test_an_htmx_answer_save_to_an_expired_assessment_gets_410_and_writes_nothing(holder, expired):
    before = stored_updated_at(expired)
    response = post_answer(holder, expired, "3.1.1", status="met", note="too late")
    assert response.status_code == 410
    assert not Answer.objects.filter(assessment=expired, note="too late").exists()
    assert stored_updated_at(expired) == before  # a refused save does not revive it


def test_the_410_is_logged_as_an_access_denial(holder, expired, caplog):
    caplog.set_level(logging.INFO, logger="security")
    holder.get(reverse("assessments:overview", args=[expired.public_id]))
    lines = [r.getMessage() for r in caplog.records if r.name == "security"]
    assert [line for line in lines if "event=access " in line and "outcome=denied_expired " in line]


# --- Strangers: still 404 ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("page", ["overview", "family", "answer", "ssp", "ssp_family", "recovery_key"])
def test_a_stranger_gets_404_on_an_expired_assessment(expired, page):
    method, url, data = urls(expired)[page]
    for stranger in (Client(), outsider(), signed_in(make_user(f"bob-{page}@example.test"))):
        assert getattr(stranger, method)(url, data).status_code == 404


# --- The recovery key --------------------------------------------------------------------------------------------


def test_a_correct_recovery_key_for_an_expired_assessment_gives_410_and_no_grant(client, caplog):
    assessment, key = start_and_read_key(client, "Keyed Co")
    last_changed(assessment, DAYS + 1)
    caplog.set_level(logging.INFO, logger="security")
    laptop = Client()
    response = laptop.post(RESUME, {"recovery_key": key})
    assert response.status_code == 410
    assert_private(response)
    assert f"deleted {DAYS} days after its last change" in by_testid(html(response), "expired")
    assert key not in response.content.decode()
    assert str(assessment.access_id) not in laptop.session.get(SESSION_KEY, [])
    assert laptop.get(reverse("assessments:overview", args=[assessment.public_id])).status_code == 404
    lines = [r.getMessage() for r in caplog.records if r.name == "security"]
    assert [line for line in lines if "event=recovery_key " in line and "outcome=expired " in line]
    assert not [line for line in lines if "event=recovery_key " in line and "outcome=success " in line]


def test_a_correct_recovery_key_one_day_inside_the_window_still_opens_it(client):
    assessment, key = start_and_read_key(client, "Keyed Co")
    last_changed(assessment, DAYS - 1)
    laptop = Client()
    assert laptop.post(RESUME, {"recovery_key": key}).status_code == 302
    assert laptop.get(reverse("assessments:overview", args=[assessment.public_id])).status_code == 200


# --- Inside the window, and organisations ------------------------------------------------------------------------


def test_an_assessment_one_day_inside_the_window_still_works(holder):
    assessment = start(holder, "Fresh Co")
    create_ssp(assessment=assessment)
    last_changed(assessment, DAYS - 1)
    for page, (method, url, data) in urls(assessment).items():
        assert getattr(holder, method)(url, data).status_code in (200, 302), page
    assert Answer.objects.filter(assessment=assessment, requirement__nist_id="3.1.1", status="met").exists()


def test_an_organisations_assessment_never_expires(org_people):
    assessment = make_assessment(org_people["acme"])
    last_changed(assessment, 5 * 365)
    assert assessment.expires_at is None and not assessment.is_expired(timezone.now())
    response = org_people["clients"]["viewer"].get(reverse("assessments:overview", args=[assessment.public_id]))
    assert response.status_code == 200
    assert not html(response).xpath("//*[@data-testid='kept-until']")


def test_the_retention_period_comes_from_the_setting(holder, settings):
    settings.ANONYMOUS_RETENTION_DAYS = 7
    assessment = start(holder)
    overview = reverse("assessments:overview", args=[assessment.public_id])
    last_changed(assessment, 6)
    assert holder.get(overview).status_code == 200
    last_changed(assessment, 8)
    response = holder.get(overview)
    assert response.status_code == 410 and "deleted 7 days after" in by_testid(html(response), "expired")


def test_the_model_rule_and_the_query_agree_at_every_age(holder):
    now = timezone.now()
    ages = {"young": 1, "inside": DAYS - 1, "just_past": DAYS + 0.01, "old": 400}
    made = {}
    for name, days in ages.items():
        made[name] = start(holder, name)
        Assessment.objects.filter(pk=made[name].pk).update(updated_at=now - timedelta(days=days))
        made[name].refresh_from_db()
    org = make_assessment(make_org("Org Co"), "Org Co")
    Assessment.objects.filter(pk=org.pk).update(updated_at=now - timedelta(days=400))
    expired_names = {a.organization_name for a in Assessment.objects.expired_anonymous(now)}
    assert expired_names == {"just_past", "old"}
    assert {n for n, a in made.items() if a.is_expired(now)} == expired_names
    assert made["inside"].expires_at == made["inside"].updated_at + timedelta(days=DAYS)
    assert "Org Co" in {a.organization_name for a in Assessment.objects.unexpired(now)}


# --- Telling the user --------------------------------------------------------------------------------------------


def test_the_overview_and_the_key_page_say_until_when_it_is_kept(holder):
    assessment, _key = start_and_read_key(holder)  # making a key is a change; it is made, then time passes
    last_changed(assessment, 10)
    kept_until = (assessment.updated_at + timedelta(days=DAYS)).date().isoformat()
    for url in (reverse("assessments:overview", args=[assessment.public_id]),
                reverse("assessments:recovery_key", args=[assessment.public_id])):
        doc = html(holder.get(url))
        line = by_testid(doc, "kept-until")
        assert f"Kept until {kept_until} ({DAYS} days after your last change)." in line, url
        assert "Sign in and claim it to keep it longer." in line
        assert doc.xpath("//*[@data-testid='kept-until']//a/@href") == [reverse("account_login")]
        # Reading the page is no change: the date stays.
        assessment.refresh_from_db()
        assert (assessment.updated_at + timedelta(days=DAYS)).date().isoformat() == kept_until


def test_a_signed_in_holder_is_offered_the_claim_instead(holder):
    assessment = start(holder)
    signed_in(make_user("me@example.test"), holder)
    doc = html(holder.get(reverse("assessments:overview", args=[assessment.public_id])))
    assert doc.xpath("//*[@data-testid='kept-until']//a/@href") == [reverse("orgs:claim")]


def test_the_home_page_states_the_retention_and_marks_an_expired_assessment(holder):
    fresh = start(holder, "Fresh Co")
    old = start(holder, "Old Co")
    last_changed(old, DAYS + 1)
    doc = html(holder.get(reverse("home")))
    assert f"kept for {DAYS} days after its last change" in by_testid(doc, "retention")
    items = {text(li).split(" ·")[0]: text(li) for li in doc.xpath("//main//li")}
    assert items[old.organization_name].endswith("· expired")
    assert "expired" not in items[fresh.organization_name]


# --- Claiming ----------------------------------------------------------------------------------------------------


def test_an_expired_assessment_is_not_offered_for_claiming_and_cannot_be_claimed(holder):
    fresh = start(holder, "Fresh Co")
    old = start(holder, "Old Co")
    last_changed(old, DAYS + 1)
    user = make_user("me@example.test")
    signed_in(user, holder)
    response = holder.get(reverse("orgs:claim"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Fresh Co" in body and "Old Co" not in body
    org = make_org("Mine", owner=[user])
    assert claim_assessments(assessment_ids=[fresh.pk, old.pk], organization=org) == 1
    old.refresh_from_db()
    assert old.organization_id is None
    assert Assessment.objects.get(pk=fresh.pk).organization_id == org.pk


# --- Every write path counts as a change -------------------------------------------------------------------------


def _png() -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), "teal").save(buffer, format="PNG")
    buffer.seek(0)
    buffer.name = "net.png"
    return buffer


def _requirement_data(assessment: Assessment) -> dict:
    row = Answer.objects.filter(assessment=assessment, requirement__nist_id="3.1.1").first()
    return {"r3-1-1-status": "met", "r3-1-1-note": "Entra ID groups.", "r3-1-1-justification": "",
            "r3-1-1-responsible": "", "r3-1-1-poam_reference": "", "r3-1-1-planned_date": "",
            "r3-1-1-version": row.version if row else 0}


def _environment_data() -> dict:
    data = {"boundary": "One office.", "environment": "Laptops.", "hardware_reference": "",
            "software_reference": "", "maintained_by_org": "yes", "maintenance_explanation": ""}
    for prefix in ("hardware", "software", "interconnections", "providers"):
        data |= {f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0", f"{prefix}-MIN_NUM_FORMS": "0",
                 f"{prefix}-MAX_NUM_FORMS": "50"}
    return data


def _identification_data() -> dict:
    data = {"system_name": "Acme CUI Enclave", "system_identifier": "ACME-01", "categorization": "Moderate",
            "org_name": "Acme", "purpose": "Drawings.", "roles-TOTAL_FORMS": "0", "roles-INITIAL_FORMS": "0",
            "roles-MIN_NUM_FORMS": "0", "roles-MAX_NUM_FORMS": "50"}
    for role in ("information_owner", "system_owner", "security_officer"):
        data |= {f"{role}-name": f"Name {role}", f"{role}-email": f"{role}@example.com"}
    return data


def _upload_diagram(client: Client, a: Assessment):
    return client.post(reverse("ssp:diagram_upload", args=[a.public_id]), {"image": _png(), "caption": "Net"})


WRITES = {
    "answer": (None, lambda c, a: post_answer(c, a, "3.1.1", status="met")),
    "objective": (None, lambda c, a: post_objective(c, a, "3.1.1[a]", "met")),
    "intake": (None, lambda c, a: c.post(reverse("assessments:edit", args=[a.public_id]),
                                         INTAKE | {"organization_name": "Renamed"})),
    "sprs details": (None, lambda c, a: c.post(reverse("assessments:sprs", args=[a.public_id]),
                                               {"affirming_official": "Pat Doe, CEO"})),
    "iso head start": (None, lambda c, a: c.post(reverse("iso27001:head_start", args=[a.public_id]),
                                                 {"edition": "2022", "controls": ["A.5.15"]})),
    "ssp start": (None, lambda c, a: c.post(reverse("ssp:start", args=[a.public_id]))),
    "ssp identification": ("ssp", lambda c, a: c.post(reverse("ssp:identification", args=[a.public_id]),
                                                      _identification_data())),
    "ssp environment": ("ssp", lambda c, a: c.post(reverse("ssp:environment", args=[a.public_id]),
                                                   _environment_data())),
    "ssp diagram upload": ("ssp", _upload_diagram),
    "ssp diagram delete": ("diagram", lambda c, a: c.post(reverse("ssp:diagram_delete", args=[a.public_id]))),
    "ssp requirement": ("ssp", lambda c, a: c.post(reverse("ssp:requirement", args=[a.public_id, "3.1.1"]),
                                                   _requirement_data(a))),
    "ssp plan": ("ssp", lambda c, a: c.post(reverse("ssp:plan", args=[a.public_id]),
                                            {"review_frequency": "quarterly", "approver_name": "Pat",
                                             "approver_title": "CEO", "policies-TOTAL_FORMS": "0",
                                             "policies-INITIAL_FORMS": "0", "reviews-TOTAL_FORMS": "0",
                                             "reviews-INITIAL_FORMS": "0"})),
    "ssp version": ("ssp", lambda c, a: record_version(
        ssp=a.ssp, label="1.0", generated_on=date(2026, 1, 1), description="first", made_by="me",
        catalog_revision="test", draft=True, docx=b"docx", pdf=b"%PDF")),
}


@pytest.mark.parametrize("name", list(WRITES))
def test_every_write_path_counts_as_a_change(holder, name):
    setup, write = WRITES[name]
    assessment = start(holder, "Acme", **({"objective_mode": "on"} if name == "objective" else {}))
    if setup in ("ssp", "diagram"):
        create_ssp(assessment=assessment)
    if setup == "diagram":
        assert _upload_diagram(holder, assessment).status_code == 302
    last_changed(assessment, DAYS - 10)
    assessment = Assessment.objects.get(pk=assessment.pk)
    before = timezone.now()
    result = write(holder, assessment)
    if hasattr(result, "status_code"):
        assert result.status_code in (200, 302), (name, result.status_code, result.content[:1000])
    assert stored_updated_at(assessment) >= before - timedelta(seconds=1), name
