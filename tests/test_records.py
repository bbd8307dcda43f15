"""assessments/records.py: the answers as pages read them (load_answer_rows) are what is stored, field by field;
a kept score (score_of) is the score of its own answers, whatever was scored before."""

from datetime import date

import pytest
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from assessments import scoring
from assessments.models import Answer, ObjectiveAnswer
from assessments.records import (
    ANSWER_COLUMNS,
    catalog_rules,
    load_answer_rows,
    load_answers,
    score_assessment,
    score_of,
    score_statuses,
)
from controls.models import Objective, Requirement
from controls.snapshot import current

from .questionnaire_helpers import answer_all, start

pytestmark = pytest.mark.django_db


def test_the_rows_asked_for_are_whole_and_every_status_is_there(django_assert_num_queries):
    assessment = start(Client())
    answer_all(assessment, "not_met", except_=("3.1.2",))
    Answer.objects.filter(assessment=assessment, requirement__nist_id="3.1.1").update(
        note="A <note> & more", evidence="E-1", responsible="IT", planned_date=date(2030, 1, 31), version=7)
    whole = {r.pk for r in Requirement.objects.filter(nist_id__in=["3.1.1", "3.1.2", "3.1.3"])}
    catalog = current()
    with django_assert_num_queries(1):
        statuses, rows, objective_answers = load_answer_rows(assessment, catalog, whole)
    stored, _ = load_answers(assessment)
    assert statuses == {a.nist_id: a.status for a in stored.values()} and len(statuses) == 109
    assert set(rows) == whole - {Requirement.objects.get(nist_id="3.1.2").pk}  # 3.1.2 has no answer
    for pk, row in rows.items():
        assert [getattr(row, c) for c in ANSWER_COLUMNS] == [getattr(stored[pk], c) for c in ANSWER_COLUMNS]
        assert row.nist_id == stored[pk].nist_id and not row._state.adding
    assert rows[Requirement.objects.get(nist_id="3.1.1").pk].planned_date == date(2030, 1, 31)
    assert objective_answers == {}
    rules = catalog_rules()
    assert score_statuses(assessment, rules, statuses, {}) == score_assessment(assessment, rules)


def test_objective_mode_reads_every_objective_answer_with_its_ids(django_assert_num_queries):
    assessment = start(Client(), objective_mode="on")
    objectives = list(Objective.objects.filter(requirement__nist_id__in=["3.1.1", "3.13.11"]))
    ObjectiveAnswer.objects.bulk_create(ObjectiveAnswer(assessment=assessment, objective=o, status="met")
                                        for o in objectives)
    catalog = current()
    with django_assert_num_queries(2):
        statuses, _, objective_answers = load_answer_rows(assessment, catalog, set())
    assert {(o.nist_id, o.oid) for o in objective_answers.values()} == {
        (o.requirement.nist_id, o.objective_id) for o in objectives}
    rules = catalog_rules()
    assert score_statuses(assessment, rules, statuses, objective_answers) == score_assessment(assessment, rules)


# --- kept scores ----------------------------------------------------------------------------------------------------

OBJECTIVE_STATUSES = st.sampled_from([scoring.ObjectiveStatus.MET, scoring.ObjectiveStatus.NOT_MET,
                                      scoring.ObjectiveStatus.NA])


@st.composite
def scoring_inputs(draw: st.DrawFn, rules: list[scoring.Rule]) -> tuple[dict[str, scoring.Answer], str]:
    """Answers in scoring form as the pages make them: a status per requirement (or none), and in objective mode
    some objectives answered; 3.12.4 met or not; a level."""
    answers = {}
    for rule in draw(st.lists(st.sampled_from(rules), max_size=30, unique=True)):
        choices = [scoring.Status.MET, scoring.Status.NOT_MET, scoring.Status.NA, None]
        if rule.partial_points is not None:
            choices.append(scoring.Status.PARTIAL)
        status = draw(st.sampled_from(choices))
        objectives = {}
        if rule.objectives and draw(st.booleans()):
            objectives = draw(st.dictionaries(st.sampled_from(rule.objectives), OBJECTIVE_STATUSES, max_size=3))
        if rule.nist_id == scoring.SSP_REQUIREMENT:
            status, objectives = draw(st.sampled_from([scoring.Status.MET, scoring.Status.NOT_MET])), {}
        answers[rule.nist_id] = scoring.Answer(status=status, objectives=objectives)
    return answers, draw(st.sampled_from(["l1", "l2"]))


@pytest.fixture(scope="module")
def rules(django_db_setup, django_db_blocker) -> list[scoring.Rule]:
    with django_db_blocker.unblock():
        return catalog_rules()


@pytest.mark.slow
@hsettings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_kept_score_is_always_the_score_of_its_own_answers(rules, data):
    # Scored one after the other in the same process: whatever was kept before, each gets its own result.
    for _ in range(3):
        answers, level = data.draw(scoring_inputs(rules))
        assert score_of(rules, answers, level) == scoring.score(rules, answers, level)


def test_the_same_answers_are_scored_once_and_any_change_is_scored_again(rules):
    met = {r.nist_id: scoring.Answer(status=scoring.Status.MET) for r in rules}
    first = score_of(rules, met, "l2")
    assert score_of(rules, dict(met), "l2") is first  # equal answers, another dict: kept
    assert first.score == 110
    changed = met | {"3.1.1": scoring.Answer(status=scoring.Status.NOT_MET)}
    assert score_of(rules, changed, "l2").score == 105
    objective = met | {"3.1.1": scoring.Answer(objectives={"3.1.1[a]": scoring.ObjectiveStatus.NOT_MET})}
    assert score_of(rules, objective, "l2").score == 105
    assert score_of(rules, met, "l1") is not first and score_of(rules, met, "l1").score is None
    # Another catalog revision has other rules (here: 3.1.1 worth 3 instead of 5): never the old revision's score.
    other = [scoring.Rule(**{**vars(r), "points": 3}) if r.nist_id == "3.1.1" else r for r in rules]
    assert score_of(other, changed, "l2").score == 107
    assert score_of(rules, changed, "l2").score == 105


def test_an_invalid_answer_raises_every_time_and_is_never_kept(rules):
    na_ssp = {scoring.SSP_REQUIREMENT: scoring.Answer(status=scoring.Status.NA)}
    for _ in range(2):
        with pytest.raises(scoring.InvalidAnswer):
            score_of(rules, na_ssp, "l2")


def test_the_pages_score_through_the_kept_scores(rules):
    assessment = start(Client())
    answer_all(assessment, "met")
    assert score_assessment(assessment) is score_assessment(assessment)
    Answer.objects.filter(assessment=assessment, requirement__nist_id="3.1.1").update(status="not_met")
    assert score_assessment(assessment).score == 105
