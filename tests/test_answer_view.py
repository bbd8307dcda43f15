from datetime import UTC, date, datetime, timedelta

import pytest
from django.test import Client
from django.test.utils import ContextList
from django.urls import reverse
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from assessments.forms import AnswerForm
from assessments.models import Answer, AnswerStatus, Assessment, today
from controls.models import Requirement

from .questionnaire_helpers import (
    BENIGN_TEXT,
    HOSTILE_TEXT,
    answer_all,
    answer_data,
    as_received,
    assert_private,
    by_testid,
    fuzz_fields,
    hostile_value,
    hostile_version,
    html,
    outsider,
    post_answer,
    post_hostile,
    prefix,
    start,
    text,
)

pytestmark = pytest.mark.django_db


def stored(assessment: Assessment, nist_id: str) -> Answer | None:
    return Answer.objects.filter(assessment=assessment, requirement__nist_id=nist_id).first()


def error_at(doc, nist_id: str, field: str) -> str:
    """The message shown under a field, tied to it by aria-describedby."""
    node_id = f"id_{prefix(nist_id)}-{field}-error"
    nodes = doc.xpath(f"//*[@id='{node_id}']")
    assert nodes, f"no error shown at {field}"
    described = doc.xpath(f"//*[@name='{prefix(nist_id)}-{field}']/@aria-describedby")
    assert described and set(described) == {node_id}
    return text(nodes[0])


def error_codes(response, field: str) -> list[str]:
    """The codes of the errors the bound form of the response has on ``field`` (the block that shows it is rendered
    on its own, in the family page or as the htmx answer)."""
    contexts = response.context if isinstance(response.context, ContextList) else [response.context]
    form = next(c["row"]["form"] for c in contexts if "row" in c and c["row"]["form"].is_bound)
    return [e.code for e in form.errors.as_data().get(field, [])]


def test_an_htmx_save_stores_one_answer_and_returns_its_block_and_the_score_out_of_band(client):
    assessment = start(client)
    response = post_answer(client, assessment, "3.1.1", status="not_met", note="Shared admin account",
                           responsible="Pat", planned_date=(today() + timedelta(days=30)).isoformat())
    assert response.status_code == 200
    answer = stored(assessment, "3.1.1")
    assert (answer.status, answer.note, answer.responsible, answer.version) == ("not_met", "Shared admin account",
                                                                                  "Pat", 1)
    doc = html(response)
    # The block that replaces the one on the page, with the new version and "Saved" next to the button.
    block = doc.xpath("//section[@id='req-3.1.1']")[0]
    assert block.xpath(f".//input[@name='{prefix('3.1.1')}-version']/@value") == ["1"]
    assert by_testid(doc, "save-state-3.1.1") == "Saved"
    assert by_testid(doc, "state-3.1.1") == "Not met (−5)"
    # The score box and the progress travel out of band.
    assert doc.xpath("//*[@id='score-box'][@hx-swap-oob='true']")
    assert doc.xpath("//*[@id='progress'][@hx-swap-oob='true']")
    assert by_testid(doc, "score") == str(110 - 313)
    # Only this requirement's block: never the whole page.
    assert len(doc.xpath("//section[contains(@class, 'requirement-block')]")) == 1
    assert not doc.xpath("//nav[@aria-label='Families']")
    assert_private(response)


def test_the_score_moves_with_each_answer(client):
    assessment = start(client)
    answer_all(assessment, except_=("3.1.1",))
    assert by_testid(html(post_answer(client, assessment, "3.1.1", status="met")), "score") == "110"
    assert by_testid(html(post_answer(client, assessment, "3.1.1", status="not_met")), "score") == "105"
    assert by_testid(html(post_answer(client, assessment, "3.1.1", status="na", justification="x")), "score") == "110"


def test_the_progress_list_keeps_the_current_family_highlighted(client):
    assessment = start(client)
    doc = html(post_answer(client, assessment, "3.2.1", status="met"))
    active = doc.xpath("//*[@id='progress']//li[contains(@class, 'active')]")
    assert len(active) == 1 and "Awareness" in text(active[0])


def test_a_plain_form_save_redirects_back_to_the_question(client):
    assessment = start(client)
    response = post_answer(client, assessment, "3.1.1", status="met", htmx=False)
    family = reverse("assessments:family", args=[assessment.public_id, "AC"])
    assert response.status_code == 302
    assert response["Location"] == family + "#req-3.1.1"
    page = client.get(family)
    assert "Saved 3.1.1." in page.content.decode()
    assert stored(assessment, "3.1.1").status == "met"


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain form"])
def test_not_applicable_without_a_justification_is_refused_at_the_field_and_the_typed_note_is_kept(client, htmx):
    assessment = start(client)
    response = post_answer(client, assessment, "3.1.12", status="na", justification="  ",
                           note="We have no remote access at all", htmx=htmx)
    assert response.status_code == 422
    doc = html(response)
    assert "needs a written justification" in error_at(doc, "3.1.12", "justification")
    assert error_codes(response, "justification") == ["justification_required"]
    assert text(doc.xpath(f"//textarea[@name='{prefix('3.1.12')}-note']")[0]) == "We have no remote access at all"
    assert doc.xpath(f"//input[@name='{prefix('3.1.12')}-status'][@checked]/@value") == ["na"]
    assert "Not saved" in by_testid(doc, "save-state-3.1.12")
    assert stored(assessment, "3.1.12") is None
    if not htmx:  # the whole page, with the rest of the family
        assert len(doc.xpath("//section[contains(@class, 'requirement-block')]")) == 22


def test_not_applicable_with_a_justification_is_saved(client):
    assessment = start(client)
    response = post_answer(client, assessment, "3.1.12", status="na", justification="No remote access is permitted")
    assert response.status_code == 200
    assert stored(assessment, "3.1.12").justification == "No remote access is permitted"


def test_a_planned_date_in_the_past_is_refused_with_the_typed_values_kept(client):
    assessment = start(client)
    past = (today() - timedelta(days=3)).isoformat()
    response = post_answer(client, assessment, "3.1.1", status="not_met", planned_date=past, responsible="Pat")
    assert response.status_code == 422
    assert error_codes(response, "planned_date") == ["date_in_past"]
    doc = html(response)
    assert "cannot be in the past" in error_at(doc, "3.1.1", "planned_date")
    assert doc.xpath(f"//input[@name='{prefix('3.1.1')}-planned_date']/@value") == [past]
    assert doc.xpath(f"//input[@name='{prefix('3.1.1')}-responsible']/@value") == ["Pat"]
    assert stored(assessment, "3.1.1") is None


def test_an_unchanged_past_date_already_stored_does_not_block_saving_again(client):
    assessment = start(client)
    post_answer(client, assessment, "3.1.1", status="not_met", planned_date=today().isoformat())
    past = today() - timedelta(days=40)
    Answer.objects.filter(assessment=assessment, requirement__nist_id="3.1.1").update(planned_date=past)
    response = post_answer(client, assessment, "3.1.1", status="not_met", planned_date=past.isoformat(),
                           note="Still waiting for the MFA tokens")
    assert response.status_code == 200
    answer = stored(assessment, "3.1.1")
    assert (answer.planned_date, answer.note) == (past, "Still waiting for the MFA tokens")
    # Moving it to another past date is still refused.
    response = post_answer(client, assessment, "3.1.1", status="not_met",
                           planned_date=(past - timedelta(days=1)).isoformat())
    assert response.status_code == 422


def test_today_is_a_valid_plan_date_wherever_the_user_is():
    # 03:00 UTC on 2 January is the evening of 1 January in the US: a plan "for today" (1 January) is not past.
    requirement = Requirement.objects.get(nist_id="3.1.1")

    def errors(planned: date, now: datetime, monkeypatch) -> list[str]:
        monkeypatch.setattr("assessments.forms.timezone.now", lambda: now)
        form = AnswerForm(answer_data("3.1.1", 0, status="not_met", planned_date=planned.isoformat()),
                          requirement=requirement)
        form.is_valid()
        return [e.code for e in form.errors.as_data().get("planned_date", [])]

    with pytest.MonkeyPatch.context() as monkeypatch:
        evening_in_the_us = datetime(2030, 1, 2, 3, 0, tzinfo=UTC)
        assert errors(date(2030, 1, 1), evening_in_the_us, monkeypatch) == []
        assert errors(date(2029, 12, 31), evening_in_the_us, monkeypatch) == ["date_in_past"]
        noon = datetime(2030, 1, 2, 12, 30, tzinfo=UTC)
        assert errors(date(2030, 1, 1), noon, monkeypatch) == ["date_in_past"]


def test_partially_met_is_refused_outside_3_5_3_and_3_13_11(client):
    assessment = start(client)
    response = post_answer(client, assessment, "3.1.1", status="partial")
    assert response.status_code == 422
    assert error_codes(response, "status") == ["partial_not_allowed"]
    assert "only for 3.5.3 and 3.13.11" in error_at(html(response), "3.1.1", "status")
    assert stored(assessment, "3.1.1") is None


def test_3_12_4_is_never_not_applicable(client):
    assessment = start(client)
    family = html(client.get(reverse("assessments:family", args=[assessment.public_id, "CA"])))
    assert "na" not in family.xpath(f"//input[@name='{prefix('3.12.4')}-status']/@value")
    response = post_answer(client, assessment, "3.12.4", status="na", justification="The parent company has one")
    assert response.status_code == 422
    assert error_codes(response, "status") == ["na_not_allowed"]
    assert "never not applicable" in error_at(html(response), "3.12.4", "status")
    assert stored(assessment, "3.12.4").status == "met"


@pytest.mark.parametrize("nist_id", ["3.5.3", "3.13.11"])
def test_partially_met_costs_3_points_on_3_5_3_and_3_13_11(client, nist_id):
    assessment = start(client)
    answer_all(assessment, except_=(nist_id,))
    response = post_answer(client, assessment, nist_id, status="partial")
    assert response.status_code == 200
    assert by_testid(html(response), "score") == "107"
    assert stored(assessment, nist_id).status == "partial"


def test_two_tabs_the_stale_save_gets_409_shows_both_versions_and_overwrites_nothing(client):
    assessment = start(client)
    post_answer(client, assessment, "3.1.1", status="not_met", note="first")
    # Both tabs now show version 1. Tab A saves first.
    assert post_answer(client, assessment, "3.1.1", version=1, status="met", note="Tab A: fixed by IT").status_code \
        == 200
    # Tab B still holds version 1.
    response = post_answer(client, assessment, "3.1.1", version=1, status="not_met", note="Tab B: still open")
    assert response.status_code == 409
    answer = stored(assessment, "3.1.1")
    assert (answer.status, answer.note, answer.version) == ("met", "Tab A: fixed by IT", 2)
    doc = html(response)
    saved = by_testid(doc, "conflict-saved-3.1.1")
    assert "Met" in saved and "Tab A: fixed by IT" in saved
    p = prefix("3.1.1")
    assert text(doc.xpath(f"//textarea[@name='{p}-note']")[0]) == "Tab B: still open"
    assert doc.xpath(f"//input[@name='{p}-status'][@checked]/@value") == ["not_met"]
    assert "changed elsewhere" in by_testid(doc, "save-state-3.1.1")
    # Saving again from the conflict form (it now carries the stored version) deliberately replaces it.
    version = int(doc.xpath(f"//input[@name='{p}-version']/@value")[0])
    assert version == 2
    again = post_answer(client, assessment, "3.1.1", version=version, status="not_met", note="Tab B: still open")
    assert again.status_code == 200
    answer = stored(assessment, "3.1.1")
    assert (answer.status, answer.note, answer.version) == ("not_met", "Tab B: still open", 3)


def test_two_tabs_answering_a_new_question_at_once_do_not_overwrite_each_other(client):
    assessment = start(client)
    assert post_answer(client, assessment, "3.1.1", version=0, status="met", note="A").status_code == 200
    response = post_answer(client, assessment, "3.1.1", version=0, status="not_met", note="B")
    assert response.status_code == 409
    assert stored(assessment, "3.1.1").note == "A"


def test_a_plain_form_conflict_shows_the_whole_page_with_both_versions(client):
    assessment = start(client)
    post_answer(client, assessment, "3.1.1", status="met", note="A")
    response = post_answer(client, assessment, "3.1.1", version=0, status="not_met", note="B", htmx=False)
    assert response.status_code == 409
    doc = html(response)
    assert "A" in by_testid(doc, "conflict-saved-3.1.1")
    assert text(doc.xpath(f"//textarea[@name='{prefix('3.1.1')}-note']")[0]) == "B"
    assert len(doc.xpath("//section[contains(@class, 'requirement-block')]")) == 22


def test_every_change_is_kept_in_the_answers_history(client):
    assessment = start(client)
    post_answer(client, assessment, "3.1.1", status="not_met", note="one")
    post_answer(client, assessment, "3.1.1", status="not_met", note="two")
    post_answer(client, assessment, "3.1.1", status="met", note="three")
    answer = stored(assessment, "3.1.1")
    versions = list(answer.history.order_by("history_date").values_list("version", "status", "note"))
    assert versions == [(1, "not_met", "one"), (2, "not_met", "two"), (3, "met", "three")]


# --- Bad input: a clear 400, never a 500, never a partial save -------------------------------------------------

def assert_refused(response, assessment: Assessment) -> None:
    assert response.status_code == 400
    assert stored(assessment, "3.1.1") is None


def test_5000_fields_are_refused_with_400_and_nothing_is_saved(client):
    assessment = start(client)
    data = answer_data("3.1.1", 0, status="met") | {f"junk{i}": "x" for i in range(5000)}
    response = client.post(reverse("assessments:answer", args=[assessment.public_id, "3.1.1"]), data,
                           HTTP_HX_REQUEST="true")
    assert_refused(response, assessment)
    assert "Nothing was saved" in response.content.decode()  # templates/400.html, not a bare error


def test_a_plain_form_with_too_many_fields_gets_a_readable_page(client):
    assessment = start(client)
    data = answer_data("3.1.1", 0, status="met") | {f"junk{i}": "x" for i in range(5000)}
    response = client.post(reverse("assessments:answer", args=[assessment.public_id, "3.1.1"]), data)
    assert response.status_code == 400
    assert "Request refused" in html(response).xpath("//h1")[0].text


def test_a_body_over_the_upload_limit_is_refused_with_400(client):
    assessment = start(client)
    response = post_answer(client, assessment, "3.1.1", status="met", note="x" * 3_000_000)
    assert_refused(response, assessment)
    assert "Nothing was saved" in response.content.decode()


@pytest.mark.parametrize("field, value", [
    ("note", "line one\x00line two"),
    ("justification", "\x00"),
    ("evidence", "SSP §4\x00"),
    ("planned_date", "2031-01-01\x00"),
])
def test_nul_bytes_are_refused_with_400_and_a_message_at_the_field(client, field, value):
    assessment = start(client)
    response = post_answer(client, assessment, "3.1.1", status="not_met", **{field: value})
    assert_refused(response, assessment)
    assert "Null characters are not allowed" in error_at(html(response), "3.1.1", field)


@pytest.mark.parametrize("field, limit", [("note", 10_000), ("justification", 10_000), ("evidence", 500),
                                          ("responsible", 500)])
def test_absurdly_long_values_are_refused_with_400_and_a_message_at_the_field_not_truncated(client, field, limit):
    assessment = start(client)
    response = post_answer(client, assessment, "3.1.1", status="not_met", **{field: "y" * (limit + 1)})
    assert_refused(response, assessment)
    assert f"at most {limit:,} characters".replace(",", "") in error_at(html(response), "3.1.1", field).replace(",", "")


@pytest.mark.parametrize("data", [
    {"status": "maybe"},
    {"status": "met", "version": "one"},
    {"status": "met", "version": "-1"},
], ids=["unknown status", "non-numeric version", "negative version"])
def test_a_tampered_answer_is_refused_with_400(client, data):
    assessment = start(client)
    fields = {f"{prefix('3.1.1')}-{k}": v for k, v in ({"version": "0"} | data).items()}
    response = client.post(reverse("assessments:answer", args=[assessment.public_id, "3.1.1"]), fields,
                           HTTP_HX_REQUEST="true")
    assert_refused(response, assessment)


def test_a_missing_version_is_refused_with_400(client):
    assessment = start(client)
    response = client.post(reverse("assessments:answer", args=[assessment.public_id, "3.1.1"]),
                           {f"{prefix('3.1.1')}-status": "met"}, HTTP_HX_REQUEST="true")
    assert_refused(response, assessment)


def test_a_post_without_the_csrf_token_is_refused():
    browser = Client(enforce_csrf_checks=True)
    browser.get(reverse("assessments:start"))
    assessment = start(browser, csrfmiddlewaretoken=browser.cookies["csrftoken"].value)
    response = post_answer(browser, assessment, "3.1.1", status="met")
    assert response.status_code == 403
    assert stored(assessment, "3.1.1") is None


# --- Scope and access -------------------------------------------------------------------------------------------

def test_a_level_1_assessment_refuses_answers_outside_its_17_practices(client):
    assessment = start(client, target_level="l1")
    assert post_answer(client, assessment, "3.1.3", status="met").status_code == 404
    assert post_answer(client, assessment, "3.1.1", status="met").status_code == 200
    assert stored(assessment, "3.1.3") is None


def test_an_unknown_requirement_is_404(client):
    assessment = start(client)
    assert post_answer(client, assessment, "3.99.1", status="met").status_code == 404


@pytest.mark.parametrize("method", ["get", "post", "put", "delete"])
def test_an_outsider_and_no_link_get_404_and_save_nothing(client, method):
    assessment = start(client)
    url = reverse("assessments:answer", args=[assessment.public_id, "3.1.1"])
    for stranger in (outsider(), Client()):
        response = getattr(stranger, method)(url, answer_data("3.1.1", 0, status="met"), HTTP_HX_REQUEST="true")
        assert response.status_code == 404
    assert stored(assessment, "3.1.1") is None


def test_the_owner_may_only_post(client):
    assessment = start(client)
    assert client.get(reverse("assessments:answer", args=[assessment.public_id, "3.1.1"])).status_code == 405


# --- Constant cost ----------------------------------------------------------------------------------------------

# An htmx save of an answer that exists: 1 session, 2 assessment (access check), 3 the catalog revision (the
# requirement, its family and objectives, the scoring rules and family names are in memory per revision:
# controls/snapshot.py), 4 the assessment's answers; save_answer: 5 savepoint, 6 the row locked at the expected
# version, 7 update, 8 history row, 9 assessment.updated_at, 10 release; the block: 11 ISO 27001 head-start hints.
UPDATE_QUERIES = 11
# The first answer to a requirement: the same, but save_answer inserts under its own savepoint instead of the locked
# read and update (5 savepoint, 6 savepoint, 7 insert, 8 history row, 9 release, 10 assessment.updated_at,
# 11 release).
CREATE_QUERIES = 12


def test_a_save_makes_the_same_queries_with_one_answer_and_with_all_110(client, django_assert_num_queries):
    few, many = start(client, "Few"), start(client, "Many")
    answer_all(many, except_=("3.1.1",))
    for assessment in (few, many):
        with django_assert_num_queries(CREATE_QUERIES):
            assert post_answer(client, assessment, "3.1.1", version=0, status="met").status_code == 200
        with django_assert_num_queries(UPDATE_QUERIES):
            assert post_answer(client, assessment, "3.1.1", version=1, status="not_met").status_code == 200
    assert Answer.objects.filter(assessment=many).count() == 110


# --- Hostile autosaves (security check 18) ----------------------------------------------------------------------

TEXT_LIMITS = {name: AnswerForm.base_fields[name].max_length for name in ("justification", "note", "evidence",
                                                                            "responsible")}
# An ordinary requirement, one with a partial state, and 3.12.4 (answered at intake: its row already exists).
FUZZED = ("3.1.1", "3.5.3", "3.12.4")


def written(assessment: Assessment, nist_id: str) -> tuple:
    """Everything a save could change: the answer row, its history, the assessment's last change."""
    row = Answer.objects.filter(assessment=assessment, requirement__nist_id=nist_id).values().first()
    return (row, Answer.history.filter(assessment_id=assessment.pk).count(),
            Assessment.objects.values_list("updated_at", flat=True).get(pk=assessment.pk))


@pytest.fixture
def fuzzed(client) -> Assessment:
    return start(client, "Fuzz Co")  # once for all the examples: starting one per example would hit the rate limit


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_hostile_answer_saves_are_saved_or_refused_never_a_500_and_a_refusal_writes_nothing(client, fuzzed, data):
    nist_id = data.draw(st.sampled_from(FUZZED), label="requirement")
    before = written(fuzzed, nist_id)
    version = before[0]["version"] if before[0] else 0
    future = st.dates(min_value=today() + timedelta(days=1)).map(date.isoformat)
    fields = fuzz_fields(data, benign={
        "status": st.sampled_from(["", *AnswerStatus.values]), **dict.fromkeys(TEXT_LIMITS, BENIGN_TEXT),
        "planned_date": st.one_of(st.just(""), future), "version": st.just(str(version)),
    }, hostile={
        "status": HOSTILE_TEXT, **{name: hostile_value(limit) for name, limit in TEXT_LIMITS.items()},
        "planned_date": st.one_of(HOSTILE_TEXT, st.dates().map(date.isoformat)), "version": hostile_version(version),
    })
    htmx = data.draw(st.sampled_from([True, False]), label="htmx")  # mostly the autosave, sometimes a plain form
    url = reverse("assessments:answer", args=[fuzzed.public_id, nist_id])
    response = post_hostile(client, url, {f"{prefix(nist_id)}-{k}": v for k, v in fields.items()}, htmx=htmx)

    received = {name: as_received(value) for name, value in fields.items()}
    saved = 200 if htmx else 302
    # 422: a rule broken (N/A without a justification, a past date, partial outside 3.5.3); 409 only for a
    # version other than the stored one.
    allowed = {saved, 400, 422} | ({409} if fields.get("version") != str(version) else set())
    event(f"answer {response.status_code}")  # pytest --hypothesis-show-statistics shows the spread
    assert response.status_code in allowed
    if any("\x00" in value for value in received.values()) or any(
            len(received.get(name, "").strip()) > limit for name, limit in TEXT_LIMITS.items()):
        assert response.status_code == 400
    if response.status_code != saved:
        assert written(fuzzed, nist_id) == before
        return
    row = stored(fuzzed, nist_id)
    assert row.version == version + 1
    assert row.status == received.get("status", "")
    for name in TEXT_LIMITS:
        assert getattr(row, name) == received.get(name, "").strip()
    assert (row.planned_date is None) == (received.get("planned_date", "").strip() == "")
