"""assessments.models: optimistic locking at the model layer (check 17). A write from a stale copy raises StaleWrite
with what is stored now, and changes nothing: not the row, not its history, not the assessment's last change.

Then the multi-row writes: switching objective mode (nothing is ever discarded, the score does not move) and the
SSP answer."""

import pytest

from assessments.models import Answer, Assessment, ObjectiveAnswer
from assessments.objective_mode import set_objective_mode
from assessments.records import has_ssp, score_assessment
from assessments.writes import StaleWrite, save_answer, save_objective_answer, set_ssp_answer
from controls.models import Objective, Requirement

pytestmark = pytest.mark.django_db


@pytest.fixture
def assessment() -> Assessment:
    return Assessment.objects.create(organization_name="Acme")


@pytest.fixture
def requirement() -> Requirement:
    return Requirement.objects.get(nist_id="3.1.1")


@pytest.fixture
def objective() -> Objective:
    return Objective.objects.get(objective_id="3.1.1[a]")


def _stored(model, **lookup) -> tuple[dict, int]:
    """The row as stored (every column) and the number of its history rows."""
    row = model.objects.filter(**lookup).values().get()
    return row, model.history.filter(id=row["id"]).count()


def _last_change(assessment: Assessment):
    return Assessment.objects.values_list("updated_at", flat=True).get(pk=assessment.pk)


def test_saving_an_answer_from_a_stale_version_raises_and_leaves_the_stored_answer_unchanged(assessment, requirement):
    save_answer(assessment=assessment, requirement=requirement, values={"status": "not_met", "note": "v1"},
                expected_version=0)
    # Tab 1 saves over version 1; tab 2 still holds version 1.
    save_answer(assessment=assessment, requirement=requirement, values={"status": "met", "note": "tab 1"},
                expected_version=1)
    before, history = _stored(Answer, assessment=assessment, requirement=requirement)
    assert (before["note"], before["version"], history) == ("tab 1", 2, 2)
    last_change = _last_change(assessment)

    with pytest.raises(StaleWrite) as stale:
        save_answer(assessment=assessment, requirement=requirement,
                    values={"status": "partial", "note": "tab 2", "responsible": "someone"}, expected_version=1)

    assert (stale.value.current.note, stale.value.current.version) == ("tab 1", 2)  # the server's copy
    assert _stored(Answer, assessment=assessment, requirement=requirement) == (before, history)
    assert _last_change(assessment) == last_change


def test_a_first_answer_from_a_page_that_saw_none_raises_when_another_was_saved_meanwhile(assessment, requirement):
    save_answer(assessment=assessment, requirement=requirement, values={"status": "met", "note": "tab 1"},
                expected_version=0)
    before, history = _stored(Answer, assessment=assessment, requirement=requirement)

    with pytest.raises(StaleWrite) as stale:
        save_answer(assessment=assessment, requirement=requirement, values={"status": "not_met", "note": "tab 2"},
                    expected_version=0)

    assert stale.value.current.note == "tab 1"
    assert _stored(Answer, assessment=assessment, requirement=requirement) == (before, history)
    assert Answer.objects.filter(assessment=assessment).count() == 1


def test_a_version_ahead_of_the_stored_one_is_stale_too(assessment, requirement):
    save_answer(assessment=assessment, requirement=requirement, values={"status": "met"}, expected_version=0)
    before, history = _stored(Answer, assessment=assessment, requirement=requirement)
    with pytest.raises(StaleWrite):
        save_answer(assessment=assessment, requirement=requirement, values={"status": "not_met"}, expected_version=7)
    assert _stored(Answer, assessment=assessment, requirement=requirement) == (before, history)


def test_saving_an_answer_that_does_not_exist_from_a_version_raises_with_nothing_stored(assessment, requirement):
    with pytest.raises(StaleWrite) as stale:
        save_answer(assessment=assessment, requirement=requirement, values={"status": "met"}, expected_version=1)
    assert stale.value.current is None
    assert not Answer.objects.filter(assessment=assessment).exists()
    assert not Answer.history.filter(assessment_id=assessment.pk).exists()


def test_saving_an_objective_answer_from_a_stale_version_raises_and_leaves_it_unchanged(assessment, objective):
    save_objective_answer(assessment=assessment, objective=objective, status="not_met", expected_version=0)
    save_objective_answer(assessment=assessment, objective=objective, status="met", expected_version=1)  # tab 1
    before, history = _stored(ObjectiveAnswer, assessment=assessment, objective=objective)
    assert (before["status"], before["version"], history) == ("met", 2, 2)
    last_change = _last_change(assessment)

    with pytest.raises(StaleWrite) as stale:
        save_objective_answer(assessment=assessment, objective=objective, status="na", expected_version=1)  # tab 2

    assert (stale.value.current.status, stale.value.current.version) == ("met", 2)
    assert _stored(ObjectiveAnswer, assessment=assessment, objective=objective) == (before, history)
    assert _last_change(assessment) == last_change


def test_a_first_objective_answer_raises_when_another_was_saved_meanwhile(assessment, objective):
    save_objective_answer(assessment=assessment, objective=objective, status="met", expected_version=0)
    before, history = _stored(ObjectiveAnswer, assessment=assessment, objective=objective)
    with pytest.raises(StaleWrite) as stale:
        save_objective_answer(assessment=assessment, objective=objective, status="not_met", expected_version=0)
    assert stale.value.current.status == "met"
    assert _stored(ObjectiveAnswer, assessment=assessment, objective=objective) == (before, history)
    assert ObjectiveAnswer.objects.filter(assessment=assessment).count() == 1


def test_the_current_version_saves_and_moves_the_version_on(assessment, requirement, objective):
    # The other side of the lock: a caller holding the stored version does write (one history row each).
    answer = save_answer(assessment=assessment, requirement=requirement, values={"status": "met"}, expected_version=0)
    answer = save_answer(assessment=assessment, requirement=requirement, values={"note": "more"}, expected_version=1)
    assert (answer.status, answer.note, answer.version) == ("met", "more", 2)
    assert Answer.history.filter(id=answer.id).count() == 2
    row = save_objective_answer(assessment=assessment, objective=objective, status="met", expected_version=0)
    row = save_objective_answer(assessment=assessment, objective=objective, status="na", expected_version=1)
    assert (row.status, row.version) == ("na", 2)
    assert ObjectiveAnswer.history.filter(id=row.id).count() == 2


# --- Switching objective mode: nothing is ever discarded --------------------------------------------------------


def _answer(assessment: Assessment, statuses: dict[str, str], default: str | None = "met") -> None:
    """Every requirement at ``default`` (None: only those given), then ``statuses``; N/A with a justification."""
    wanted = dict.fromkeys(Requirement.objects.values_list("nist_id", flat=True), default) if default else {}
    wanted |= statuses
    Answer.objects.bulk_create(
        Answer(assessment=assessment, requirement=Requirement.objects.get(nist_id=nist_id), status=status,
               justification="Not here" if status == "na" else "", note=f"note on {nist_id}")
        for nist_id, status in wanted.items() if status is not None)


def _objectives(assessment: Assessment) -> dict[str, tuple[str, int]]:
    return {o.objective.objective_id: (o.status, o.version)
            for o in ObjectiveAnswer.objects.filter(assessment=assessment).select_related("objective")}


def _statuses(assessment: Assessment) -> dict[str, str]:
    return dict(Answer.objects.filter(assessment=assessment).values_list("requirement__nist_id", "status"))


def _state(assessment: Assessment) -> tuple:
    result = score_assessment(assessment)
    return result.score, result.outcome, result.unanswered


def _objective_ids(nist_id: str) -> list[str]:
    return list(Objective.objects.filter(requirement__nist_id=nist_id).order_by("position")
                .values_list("objective_id", flat=True))


def test_switching_on_answers_every_objective_as_its_met_or_na_requirement_and_keeps_the_score(assessment):
    _answer(assessment, {"3.1.12": "na", "3.1.16": "na"})
    before = _state(assessment)
    assert before[0] == 110 and before[2] == ()

    switch = set_objective_mode(assessment=assessment, on=True)

    assessment.refresh_from_db()
    assert assessment.objective_mode and switch.switched and switch.on
    assert _state(assessment) == before  # still 110, Final, every requirement answered
    stored = _objectives(assessment)
    assert {oid: s for oid, (s, _) in stored.items() if oid.startswith("3.1.12[")} == dict.fromkeys(
        _objective_ids("3.1.12"), "na")
    assert {stored[oid][0] for oid in _objective_ids("3.1.1")} == {"met"}
    assert not any(oid.startswith("3.12.4[") for oid in stored)  # the SSP stays one answer
    every = Objective.objects.exclude(requirement__nist_id="3.12.4").count()
    assert len(stored) == switch.prefilled_objectives == every
    assert len(switch.prefilled) == 109 and switch.to_choose == () and switch.changed_by_kept == ()
    # Each written with its history row, saying why.
    reasons = set(ObjectiveAnswer.history.filter(assessment_id=assessment.pk).values_list(
        "history_change_reason", flat=True))
    assert reasons == {"objective mode switched on"}
    assert ObjectiveAnswer.history.filter(assessment_id=assessment.pk).count() == every
    assert Assessment.history.filter(id=assessment.pk).latest("history_date").objective_mode


def test_switching_on_leaves_a_not_met_or_partial_requirement_to_choose_and_its_answer_stands(assessment):
    _answer(assessment, {"3.1.1": "not_met", "3.5.3": "partial", "3.1.3": "not_met"})
    before = _state(assessment)
    assert before[0] == 110 - 5 - 3 - 1

    switch = set_objective_mode(assessment=assessment, on=True)

    assert switch.to_choose == ("3.1.1", "3.1.3", "3.5.3")
    stored = _objectives(assessment)
    assert not any(oid.split("[")[0] in ("3.1.1", "3.1.3", "3.5.3") for oid in stored)
    # Not counted as unanswered: the score, the status and the count of answers are what they were.
    assert _state(assessment) == before
    assert _statuses(assessment)["3.1.1"] == "not_met"


def test_switching_on_never_overwrites_an_objective_answer_given_before(assessment):
    _answer(assessment, {})
    a, b, *rest = _objective_ids("3.1.1")
    ObjectiveAnswer.objects.create(assessment=assessment, objective=Objective.objects.get(objective_id=a),
                                   status="not_met", version=3)
    ObjectiveAnswer.objects.create(assessment=assessment, objective=Objective.objects.get(objective_id=b),
                                   status="", version=2)  # a blank row holds no answer: it is filled

    switch = set_objective_mode(assessment=assessment, on=True)

    stored = _objectives(assessment)
    assert stored[a] == ("not_met", 3)
    assert stored[b] == ("met", 3)
    assert all(stored[oid] == ("met", 1) for oid in rest)
    assert switch.kept_objectives == 1 and switch.changed_by_kept == ("3.1.1",)
    assert _state(assessment)[0] == 105  # what the kept answer says: 3.1.1 is not met


def test_switching_off_writes_the_status_the_objectives_give_and_keeps_the_score_and_the_objectives(assessment):
    _answer(assessment, {"3.12.4": "met", "3.1.1": "met", "3.1.2": "met", "3.1.3": "", "3.1.12": "met",
                         "3.1.20": "met", "3.5.3": "partial", "3.1.4": "not_met"}, default=None)
    assessment.objective_mode = True
    assessment.save()
    for nist_id, statuses in {
        "3.1.1": ["met"] * 6,  # met, as stored
        "3.1.2": ["met", "not_met"],  # stored met from before objective mode: the objectives make it not met
        "3.1.3": ["met"] * 5,  # stored blank: met
        "3.1.12": ["na"] * 4,  # stored met: not applicable
        "3.1.20": ["met", None, None, None, None, None],  # stored met, objectives unfinished: unanswered
        "3.5.3": ["met", "met", "met", "not_met"],  # the partial choice with its failed objective: partial
        "3.1.4": ["met", None, None],  # a not met answer stands while the objectives are unfinished
    }.items():
        for oid, status in zip(_objective_ids(nist_id), statuses, strict=False):
            if status is not None:
                ObjectiveAnswer.objects.create(assessment=assessment, objective=Objective.objects.get(objective_id=oid),
                                               status=status)
    objectives = _objectives(assessment)
    in_objective_mode = score_assessment(assessment)
    derived = {i.rule.nist_id: i.status.value if i.status else "" for i in in_objective_mode.items}
    versions = dict(Answer.objects.filter(assessment=assessment).values_list("requirement__nist_id", "version"))

    switch = set_objective_mode(assessment=assessment, on=False)

    assessment.refresh_from_db()
    assert not assessment.objective_mode
    statuses = _statuses(assessment)
    assert {n: statuses.get(n, "") for n in derived} == derived
    assert (statuses["3.1.2"], statuses["3.1.3"], statuses["3.1.12"], statuses["3.1.20"], statuses["3.5.3"],
            statuses["3.1.4"]) == ("not_met", "met", "na", "", "partial", "not_met")
    assert switch.written == ("3.1.2", "3.1.3", "3.1.12", "3.1.20")
    after = score_assessment(assessment)
    assert (after.score, after.outcome, after.unanswered) == (
        in_objective_mode.score, in_objective_mode.outcome, in_objective_mode.unanswered)
    assert _objectives(assessment) == objectives  # kept, untouched
    assert switch.kept_objectives == len(objectives)
    # Rewritten answers move their version on (an open page's save is then a conflict), with a history row; the
    # rest are untouched and keep their notes.
    new_versions = dict(Answer.objects.filter(assessment=assessment).values_list("requirement__nist_id", "version"))
    assert {n for n in new_versions if new_versions[n] != versions[n]} == set(switch.written)
    assert set(Answer.history.filter(assessment_id=assessment.pk).values_list("history_change_reason", flat=True)
               ) == {"objective mode switched off"}
    assert Answer.objects.get(assessment=assessment, requirement__nist_id="3.1.2").note == "note on 3.1.2"


def test_switching_off_creates_the_answer_of_a_requirement_answered_only_through_its_objectives(assessment):
    _answer(assessment, {"3.12.4": "met"}, default=None)
    assessment.objective_mode = True
    assessment.save()
    for oid in _objective_ids("3.1.1"):
        ObjectiveAnswer.objects.create(assessment=assessment, objective=Objective.objects.get(objective_id=oid),
                                       status="met")
    before = _state(assessment)
    switch = set_objective_mode(assessment=assessment, on=False)
    assert switch.written == ("3.1.1",)
    assert _statuses(assessment) == {"3.12.4": "met", "3.1.1": "met"}
    assert _state(assessment) == before


def test_a_round_trip_on_off_on_keeps_every_answer_and_the_score(assessment):
    _answer(assessment, {"3.1.1": "not_met", "3.1.12": "na", "3.5.3": "partial", "3.13.11": "partial",
                         "3.1.5": None, "3.1.6": ""})
    notes = dict(Answer.objects.filter(assessment=assessment).values_list("requirement__nist_id", "note"))
    before = _state(assessment)

    set_objective_mode(assessment=assessment, on=True)
    objectives = {oid: status for oid, (status, _) in _objectives(assessment).items()}
    assert _state(assessment) == before
    set_objective_mode(assessment=assessment, on=False)
    assert _state(assessment) == before
    statuses = _statuses(assessment)
    set_objective_mode(assessment=assessment, on=True)

    assert _state(assessment) == before
    assert {oid: status for oid, (status, _) in _objectives(assessment).items()} == objectives
    set_objective_mode(assessment=assessment, on=False)
    assert _statuses(assessment) == statuses
    assert dict(Answer.objects.filter(assessment=assessment).values_list("requirement__nist_id", "note")) == notes


@pytest.mark.parametrize("on", [True, False])
def test_switching_to_the_mode_it_is_already_in_writes_nothing(assessment, on):
    _answer(assessment, {"3.1.1": "not_met"})
    Assessment.objects.filter(pk=assessment.pk).update(objective_mode=on)
    assessment.refresh_from_db()
    histories = (Answer.history.count(), ObjectiveAnswer.history.count(), Assessment.history.count())
    switch = set_objective_mode(assessment=assessment, on=on)
    assert not switch.switched
    assert (Answer.history.count(), ObjectiveAnswer.history.count(), Assessment.history.count()) == histories


# --- The SSP answer (3.12.4) ------------------------------------------------------------------------------------


def test_set_ssp_answer_writes_only_a_change_and_keeps_the_rest_of_the_answer(assessment):
    assert not has_ssp(assessment)
    first = set_ssp_answer(assessment=assessment, has_ssp=False)
    assert (first.status, first.version) == ("not_met", 1)
    Answer.objects.filter(pk=first.pk).update(note="Old plan retired")
    assert set_ssp_answer(assessment=assessment, has_ssp=False).version == 1  # unchanged: no new version
    met = set_ssp_answer(assessment=assessment, has_ssp=True)
    assert (met.status, met.version, met.note) == ("met", 2, "Old plan retired")
    assert has_ssp(assessment)
    assert list(Answer.history.filter(id=met.pk).order_by("history_date").values_list("status", flat=True)) == [
        "not_met", "met"]
