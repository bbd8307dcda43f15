"""Step 3, saving one requirement: the assessment's own record, under the questionnaire's rules."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from assessments.models import Answer, Assessment
from controls.models import ExampleNarrative
from ssp.document import build_document
from ssp.forms import RequirementForm
from ssp.models import SystemSecurityPlan

from .questionnaire_helpers import (
    BENIGN_TEXT,
    HOSTILE_TEXT,
    as_received,
    fuzz_fields,
    hostile_value,
    hostile_version,
    post_hostile,
)
from .ssp_helpers import (
    assessment_fixture,  # noqa: F401  (the assessment fixture)
    fresh_render_slots_fixture,  # noqa: F401  (autouse: a fresh render guard)
    get_row,
    page,
    requirement_data,
    ssp_fixture,  # noqa: F401  (the ssp fixture: the assessment's plan)
    textarea,
    url,
)

pytestmark = pytest.mark.django_db


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


def test_a_confirmed_example_becomes_the_description_and_is_final_once_its_placeholders_are_filled(client, ssp):
    ssp.narrative_variant = "on_prem"
    ssp.save()

    def issues(nist_id: str) -> set[str]:
        return {i.code for i in build_document(ssp).issues if i.nist_id == nist_id}

    rec = get_row(ssp, "3.1.8")
    example = ExampleNarrative.objects.get(requirement__nist_id="3.1.8", variant="on_prem").text
    assert rec.starting_text.endswith(example) and "description_unconfirmed" in issues("3.1.8")
    client.post(url("requirement", ssp.assessment, "3.1.8"), requirement_data(rec, confirm="on"))
    confirmed = get_row(ssp, "3.1.8")
    assert confirmed.answer.note == rec.starting_text and not confirmed.pending
    assert issues("3.1.8") == {"description_placeholder"}  # the lockout threshold is the user's own fact
    filled = rec.starting_text.replace("<<number>>", "5", 1).replace("<<number>>", "30", 1)
    client.post(url("requirement", ssp.assessment, "3.1.8"), requirement_data(confirmed, note=filled))
    assert get_row(ssp, "3.1.8").answer.note == filled and issues("3.1.8") == set()


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


def test_milestones_are_stored_with_iso_dates_and_an_impossible_date_is_refused_next_to_the_field(client, ssp):
    rec = get_row(ssp, "3.1.3")
    bad = requirement_data(rec, status="not_met", milestones="2027-1-5: Order the licence\n2027-02-30 Configure")
    response = client.post(url("requirement", ssp.assessment, "3.1.3"), bad)
    assert response.status_code == 400
    html = page(response)
    assert "Line 2: 2027-02-30 is not a real date" in html.xpath("string(//*[@id='id_r3-1-3-milestones-error'])")
    assert textarea(html, "id_r3-1-3-milestones") == "2027-1-5: Order the licence\n2027-02-30 Configure"
    good = requirement_data(rec, status="not_met", milestones="2027-1-5: Order the licence\nTrain staff")
    assert client.post(url("requirement", ssp.assessment, "3.1.3"), good).status_code == 302
    assert Answer.objects.get(assessment=ssp.assessment, requirement__nist_id="3.1.3").milestones == (
        "2027-01-05: Order the licence\nTrain staff")


def test_an_approval_of_not_applicable_dated_in_the_future_is_refused(client, ssp):
    rec = get_row(ssp, "3.1.16")
    later = (date.today() + timedelta(days=30)).isoformat()
    response = client.post(url("requirement", ssp.assessment, "3.1.16"),
                           requirement_data(rec, na_approved_by="Pat", na_approved_on=later))
    assert response.status_code == 400
    assert "This date is in the future" in page(response).xpath(
        "string(//*[@id='id_r3-1-16-na_approved_on-error'])")
    assert Answer.objects.get(assessment=ssp.assessment, requirement__nist_id="3.1.16").na_approved_on is None
