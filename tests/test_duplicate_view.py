"""Duplicating an organisation's assessment (next year's re-assessment): every answer copied, source untouched."""

import pytest
from django.test import Client
from django.urls import reverse

from assessments.models import Answer, Assessment, ObjectiveAnswer
from assessments.writes import duplicate_assessment
from tests.personas import make_assessment, start_anonymous

pytestmark = pytest.mark.django_db


def _rows(assessment):
    return (
        sorted(Answer.objects.filter(assessment=assessment).values_list(
            "requirement__nist_id", "status", "justification", "note", "evidence", "responsible", "planned_date")),
        sorted(ObjectiveAnswer.objects.filter(assessment=assessment).values_list("objective__objective_id", "status")),
    )


def test_duplicate_assessment_copies_every_answer_into_a_new_assessment_of_the_same_organisation(org_people):
    source = make_assessment(org_people["acme"], objective_mode=True)
    copy = duplicate_assessment(source=source, by=org_people["editor"])
    assert copy.pk != source.pk and copy.public_id != source.public_id and copy.access_id != source.access_id
    assert copy.organization == source.organization and copy.objective_mode
    assert _rows(copy) == _rows(source) and _rows(copy)[1]
    assert set(Answer.objects.filter(assessment=copy).values_list("version", flat=True)) == {1}
    history = Answer.history.filter(assessment_id=copy.pk)
    assert history.count() == Answer.objects.filter(assessment=copy).count()
    assert {h.history_user_id for h in history} == {org_people["editor"].pk}


def test_an_editor_duplicates_through_the_view(org_people):
    source = make_assessment(org_people["acme"])
    response = org_people["clients"]["editor"].post(reverse("orgs:duplicate", args=[source.public_id]))
    assert response.status_code == 302
    copy = Assessment.objects.exclude(pk=source.pk).get()
    assert response["Location"] == reverse("assessments:overview", args=[copy.public_id])
    assert _rows(copy) == _rows(source)


def test_viewers_get_403_strangers_404_and_get_is_not_allowed(org_people):
    source = make_assessment(org_people["acme"])
    url = reverse("orgs:duplicate", args=[source.public_id])
    assert org_people["clients"]["viewer"].post(url).status_code == 403
    assert org_people["clients"]["other_org"].post(url).status_code == 404
    assert Client().post(url).status_code == 404
    assert org_people["clients"]["owner"].get(url).status_code == 405
    assert Assessment.objects.count() == 1


def test_an_anonymous_assessment_is_not_duplicated(org_people):
    client = Client()
    source = start_anonymous(client)
    assert client.post(reverse("orgs:duplicate", args=[source.public_id])).status_code == 404
    assert Assessment.objects.count() == 1
