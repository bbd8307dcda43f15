"""assessments/records.py: the answers as pages read them (load_answer_rows) are what is stored, field by field."""

from datetime import date

import pytest
from django.test import Client

from assessments.models import Answer, ObjectiveAnswer
from assessments.records import (
    ANSWER_COLUMNS,
    catalog_rules,
    load_answer_rows,
    load_answers,
    score_assessment,
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
