"""Check 20: the database itself refuses what the code should never write (run on SQLite and PostgreSQL in CI)."""

from unittest import mock

import pytest
from django.db import IntegrityError, transaction

from assessments import assessment_file
from assessments.models import Answer, Assessment, ObjectiveAnswer
from controls.models import Objective, Requirement

pytestmark = pytest.mark.django_db


@pytest.fixture
def assessment() -> Assessment:
    return Assessment.objects.create(organization_name="Integrity Inc")


def test_a_second_answer_to_the_same_requirement_is_refused(assessment):
    requirement = Requirement.objects.get(nist_id="3.1.1")
    Answer.objects.create(assessment=assessment, requirement=requirement, status="met")
    with pytest.raises(IntegrityError), transaction.atomic():
        Answer.objects.create(assessment=assessment, requirement=requirement, status="not_met")


def test_a_second_answer_to_the_same_objective_is_refused(assessment):
    objective = Objective.objects.get(objective_id="3.1.1[a]")
    ObjectiveAnswer.objects.create(assessment=assessment, objective=objective, status="met")
    with pytest.raises(IntegrityError), transaction.atomic():
        ObjectiveAnswer.objects.create(assessment=assessment, objective=objective, status="na")


def test_an_invalid_status_written_behind_the_forms_back_is_refused(assessment):
    answer = Answer.objects.create(assessment=assessment, requirement=Requirement.objects.get(nist_id="3.1.2"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Answer.objects.filter(pk=answer.pk).update(status="mostly")
    objective = ObjectiveAnswer.objects.create(assessment=assessment,
                                               objective=Objective.objects.get(objective_id="3.1.2[a]"))
    with pytest.raises(IntegrityError), transaction.atomic():
        ObjectiveAnswer.objects.filter(pk=objective.pk).update(status="partial")  # partial is requirement-level


def test_a_point_value_outside_1_3_5_is_refused_by_the_catalog_table():
    with pytest.raises(IntegrityError), transaction.atomic():
        Requirement.objects.filter(nist_id="3.1.1").update(points=2)


def test_an_import_failing_half_way_leaves_no_partial_assessment():
    document = {"requirements": {"3.1.1": {"status": "met"}, "3.1.2": {"status": "not_met"}}}
    before = (Assessment.objects.count(), Answer.objects.count())
    with mock.patch.object(assessment_file, "bulk_create_with_history", side_effect=IntegrityError("disk full")):
        with pytest.raises(IntegrityError):
            assessment_file.import_json(data=document)
    assert (Assessment.objects.count(), Answer.objects.count()) == before
