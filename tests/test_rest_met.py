"""assessments/rest_met.py: answering the rest of a family met (a multi-row write with versions and history) and
undoing it exactly."""

import pytest
from django.utils import timezone

from assessments import rest_met
from assessments.activity import activity
from assessments.models import ANSWER_FIELDS, Answer, Assessment, ObjectiveAnswer
from assessments.records import score_assessment
from assessments.rest_met import ChangedMeanwhile, Done, answer_rest_met, plan, undo_rest_met
from assessments.writes import save_answer, save_objective_answer
from controls.models import Family, Objective, Requirement

from .personas import make_assessment, make_org, make_user, start_anonymous

pytestmark = pytest.mark.django_db

AC = ("3.1.1", "3.1.2", "3.1.3", "3.1.4", "3.1.5", "3.1.6", "3.1.7", "3.1.8", "3.1.9", "3.1.10", "3.1.11", "3.1.12",
      "3.1.13", "3.1.14", "3.1.15", "3.1.16", "3.1.17", "3.1.18", "3.1.19", "3.1.20", "3.1.21", "3.1.22")


def family(code: str = "AC") -> Family:
    return Family.objects.get(code=code)


def save(assessment: Assessment, nist_id: str, **values) -> Answer:
    stored = Answer.objects.filter(assessment=assessment, requirement__nist_id=nist_id).first()
    return save_answer(assessment=assessment, requirement=Requirement.objects.get(nist_id=nist_id), values=values,
                       expected_version=stored.version if stored else 0)


def rows(assessment: Assessment, code: str = "AC") -> dict[str, dict]:
    """Every answer row of the family as stored: each field of ANSWER_FIELDS and the version."""
    return {a.requirement.nist_id: {f: getattr(a, f) for f in (*ANSWER_FIELDS, "version")}
            for a in Answer.objects.filter(assessment=assessment, requirement__family__code=code)
            .select_related("requirement")}


def objective_rows(assessment: Assessment, nist_id: str) -> dict[str, tuple[str, int]]:
    return {o.objective.objective_id: (o.status, o.version) for o in ObjectiveAnswer.objects.filter(
        assessment=assessment, objective__requirement__nist_id=nist_id).select_related("objective")}


def without_versions(stored: dict[str, dict]) -> dict[str, dict]:
    return {n: {k: v for k, v in fields.items() if k != "version"} for n, fields in stored.items()}


@pytest.fixture
def assessment(client) -> Assessment:
    a = start_anonymous(client)
    save(a, "3.1.1", status="not_met", note="No access list yet")
    save(a, "3.1.2", note="Described in the SSP, no answer yet")  # a row without a status: unanswered
    save(a, "3.1.3", status="na", justification="No CUI flows")
    save(a, "3.2.1")  # another family's unanswered row
    return a


def test_every_unanswered_requirement_of_the_family_becomes_met_and_no_answer_is_overwritten(assessment):
    before = rows(assessment)
    done = answer_rest_met(assessment=assessment, family=family(), state=plan(assessment=assessment,
                                                                                family=family()).state)
    after = rows(assessment)
    assert done.nist_ids == tuple(n for n in AC if n not in ("3.1.1", "3.1.3"))
    assert set(after) == set(AC)
    assert after["3.1.1"] == before["3.1.1"] and after["3.1.3"] == before["3.1.3"]  # answers kept, same version
    assert after["3.1.2"] == before["3.1.2"] | {"status": "met", "version": 2}  # its note kept
    assert all(after[n]["status"] == "met" and after[n]["version"] == 1 for n in done.nist_ids if n != "3.1.2")
    # Nothing outside the family.
    assert set(rows(assessment, "AT")) == {"3.2.1"} and rows(assessment, "AT")["3.2.1"]["status"] == ""
    result = score_assessment(assessment)
    assert not {i.rule.nist_id for i in result.items if not i.answered} & set(AC)


def test_the_write_keeps_history_with_its_reason_and_moves_the_assessment(assessment):
    Assessment.objects.filter(pk=assessment.pk).update(updated_at=timezone.now() - timezone.timedelta(days=3))
    answer_rest_met(assessment=assessment, family=family(), state=plan(assessment=assessment, family=family()).state)
    history = Answer.history.filter(assessment_id=assessment.pk, history_change_reason="rest of AC answered met")
    kinds = {h.requirement.nist_id: h.history_type for h in history.select_related("requirement")}
    assert kinds["3.1.2"] == "~" and kinds["3.1.4"] == "+" and "3.1.1" not in kinds
    assert len(kinds) == 20
    assert (timezone.now() - Assessment.objects.get(pk=assessment.pk).updated_at).total_seconds() < 60
    logged = [e for e in activity(assessment) if e.reason == "rest of AC answered met"]
    assert {e.subject for e in logged} == set(kinds)
    assert next(e for e in logged if e.subject == "3.1.2").changes[0].new == "Met"


def test_a_save_made_after_the_list_was_shown_refuses_the_write(assessment):
    shown = plan(assessment=assessment, family=family())
    save(assessment, "3.1.5", status="not_met")  # in another tab, while the confirmation was on screen
    before = rows(assessment)
    with pytest.raises(ChangedMeanwhile) as refused:
        answer_rest_met(assessment=assessment, family=family(), state=shown.state)
    assert rows(assessment) == before
    assert "3.1.5" not in [r.nist_id for r in refused.value.plan.requirements]
    assert refused.value.plan.state != shown.state


def test_an_answer_cleared_meanwhile_joins_the_list_and_refuses_the_write_too(assessment):
    shown = plan(assessment=assessment, family=family())
    save(assessment, "3.1.3", status="")  # the N/A taken back: it would now be answered met as well
    with pytest.raises(ChangedMeanwhile) as refused:
        answer_rest_met(assessment=assessment, family=family(), state=shown.state)
    assert "3.1.3" in [r.nist_id for r in refused.value.plan.requirements]


def test_a_first_answer_created_during_the_write_rolls_everything_back(assessment, monkeypatch):
    stale = plan(assessment=assessment, family=family())
    save(assessment, "3.1.6", status="not_met")  # its first answer, saved between the check and the insert
    before = rows(assessment)
    calls = []

    def plans(**kwargs):
        calls.append(kwargs)
        return stale if len(calls) == 1 else plan(**kwargs)

    monkeypatch.setattr(rest_met, "plan", plans)
    with pytest.raises(ChangedMeanwhile):
        answer_rest_met(assessment=assessment, family=family(), state=stale.state)
    assert rows(assessment) == before
    assert not Answer.history.filter(assessment_id=assessment.pk, history_change_reason="rest of AC answered met")


def test_undo_restores_exactly_the_previous_state_of_those_rows(assessment):
    before = rows(assessment)
    done = answer_rest_met(assessment=assessment, family=family(), state=plan(assessment=assessment,
                                                                                family=family()).state)
    undone = undo_rest_met(assessment=assessment, done=Done.from_session(done.as_session()))
    after = rows(assessment)
    assert without_versions(after) == without_versions(before)  # the same rows, with the same fields
    assert after["3.1.2"]["version"] == 3  # versions only go up: a page still showing "met" gets a conflict
    assert undone.restored == done.nist_ids and undone.kept == ()
    reasons = set(Answer.history.filter(assessment_id=assessment.pk).values_list("history_change_reason",
                                                                                  flat=True))
    assert "undone: rest of AC answered met" in reasons
    deleted = Answer.history.filter(assessment_id=assessment.pk, history_type="-")
    assert deleted.count() == 19 and {h.history_change_reason for h in deleted} == {"undone: rest of AC answered met"}


def test_undo_keeps_a_row_changed_since_and_names_it(assessment):
    done = answer_rest_met(assessment=assessment, family=family(), state=plan(assessment=assessment,
                                                                                family=family()).state)
    save(assessment, "3.1.5", status="not_met", note="Found a gap")
    save(assessment, "3.1.2", evidence="policy.pdf")  # still met, but changed since
    undone = undo_rest_met(assessment=assessment, done=done)
    after = rows(assessment)
    assert undone.kept == ("3.1.2", "3.1.5")
    assert after["3.1.5"]["status"] == "not_met" and after["3.1.5"]["note"] == "Found a gap"
    assert after["3.1.2"]["status"] == "met" and after["3.1.2"]["evidence"] == "policy.pdf"
    assert "3.1.4" not in after and "3.1.5" not in undone.restored
    # A second undo of the same write finds nothing more to put back.
    again = undo_rest_met(assessment=assessment, done=done)
    assert rows(assessment) == after and again.kept == ("3.1.2", "3.1.5")


def test_a_family_with_nothing_unanswered_writes_nothing(client):
    a = start_anonymous(client)
    for nist_id in AC:
        save(a, nist_id, status="met")
    found = plan(assessment=a, family=family())
    assert found.requirements == ()
    done = answer_rest_met(assessment=a, family=family(), state=found.state)
    assert done.nist_ids == () and done.answers == ()


def test_a_level_1_assessment_answers_only_its_practices(client):
    a = start_anonymous(client, target_level="l1")
    done = answer_rest_met(assessment=a, family=family(), state=plan(assessment=a, family=family()).state)
    assert done.nist_ids == ("3.1.1", "3.1.2", "3.1.20", "3.1.22")
    assert set(rows(a)) == {"3.1.1", "3.1.2", "3.1.20", "3.1.22"}


def test_the_plan_requirement_is_answered_met_as_a_whole_when_it_has_no_answer(client):
    a = start_anonymous(client)
    save(a, "3.12.4", status="")
    assert score_assessment(a).score is None
    done = answer_rest_met(assessment=a, family=family("CA"), state=plan(assessment=a, family=family("CA")).state)
    assert "3.12.4" in done.nist_ids and rows(a, "CA")["3.12.4"]["status"] == "met"


# --- objective mode ---------------------------------------------------------------------------------------------


def objective(objective_id: str) -> Objective:
    return Objective.objects.get(objective_id=objective_id)


def test_in_objective_mode_the_unanswered_objectives_are_answered_met(client):
    a = start_anonymous(client, objective_mode="on")
    save_objective_answer(assessment=a, objective=objective("3.1.1[a]"), status="met", expected_version=0)
    save_objective_answer(assessment=a, objective=objective("3.1.2[a]"), status="not_met", expected_version=0)
    save_objective_answer(assessment=a, objective=objective("3.1.3[a]"), status="", expected_version=0)
    save(a, "3.1.4", status="not_met")  # given before objective mode: stands until the objectives decide
    before_314 = objective_rows(a, "3.1.4")
    done = answer_rest_met(assessment=a, family=family(), state=plan(assessment=a, family=family()).state)
    assert "3.1.2" not in done.nist_ids and "3.1.4" not in done.nist_ids  # answered not met
    assert {"3.1.1", "3.1.3", "3.1.5"} <= set(done.nist_ids)
    first = objective_rows(a, "3.1.1")
    assert first["3.1.1[a]"] == ("met", 1)  # the answer given is kept as it was
    assert all(value == ("met", 1) for key, value in first.items() if key != "3.1.1[a]")
    assert objective_rows(a, "3.1.3")["3.1.3[a]"] == ("met", 2)  # its blank row answered
    assert objective_rows(a, "3.1.4") == before_314
    assert not Answer.objects.filter(assessment=a, requirement__nist_id__in=done.nist_ids)  # objectives decide
    items = {i.rule.nist_id: i for i in score_assessment(a).items}
    assert all(items[n].status == "met" for n in done.nist_ids)
    assert items["3.1.2"].status == "not_met" and items["3.1.4"].status == "not_met"

    undone = undo_rest_met(assessment=a, done=done)
    assert undone.kept == ()
    assert objective_rows(a, "3.1.1") == {"3.1.1[a]": ("met", 1)}
    assert objective_rows(a, "3.1.3") == {"3.1.3[a]": ("", 3)}
    assert all(not items.answered for items in score_assessment(a).items if items.rule.nist_id in done.nist_ids)


def test_in_objective_mode_undo_keeps_an_objective_changed_since(client):
    a = start_anonymous(client, objective_mode="on")
    done = answer_rest_met(assessment=a, family=family(), state=plan(assessment=a, family=family()).state)
    row = ObjectiveAnswer.objects.get(assessment=a, objective__objective_id="3.1.1[b]")
    save_objective_answer(assessment=a, objective=row.objective, status="not_met", expected_version=row.version)
    undone = undo_rest_met(assessment=a, done=done)
    assert undone.kept == ("3.1.1[b]",) and "3.1.1" not in undone.restored
    assert objective_rows(a, "3.1.1") == {"3.1.1[b]": ("not_met", 2)}


def test_an_organisations_write_records_who_did_it(rf):
    from simple_history.models import HistoricalRecords

    editor = make_user("editor@acme.test")
    a = make_assessment(make_org("Acme", editor=[editor]), answers={"3.12.4": "met"})
    request = rf.post("/")
    request.user = editor
    HistoricalRecords.context.request = request  # what HistoryRequestMiddleware does for each request
    try:
        answer_rest_met(assessment=a, family=family(), state=plan(assessment=a, family=family()).state)
    finally:
        del HistoricalRecords.context.request
    users = set(Answer.history.filter(assessment_id=a.pk, history_change_reason="rest of AC answered met")
                .values_list("history_user__email", flat=True))
    assert users == {"editor@acme.test"}
