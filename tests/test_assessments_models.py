"""assessments.models: optimistic locking at the model layer (check 17). A write from a stale copy raises StaleWrite
with what is stored now, and changes nothing: not the row, not its history, not the assessment's last change."""

import pytest

from assessments.models import (
    Answer,
    Assessment,
    ObjectiveAnswer,
    StaleWrite,
    save_answer,
    save_objective_answer,
)
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
