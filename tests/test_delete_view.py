"""Deleting an assessment: owners only, after a confirmation page, for good (history included)."""

import pytest
from django.test import Client
from django.urls import reverse

from assessments.models import Answer, Assessment, ObjectiveAnswer
from tests.personas import make_assessment, start_anonymous

pytestmark = pytest.mark.django_db


def test_get_shows_a_confirmation_page_and_deletes_nothing(org_people):
    assessment = make_assessment(org_people["acme"])
    response = org_people["clients"]["owner"].get(reverse("orgs:delete", args=[assessment.public_id]))
    assert response.status_code == 200
    assert "cannot be undone" in response.content.decode()
    assert Assessment.objects.filter(pk=assessment.pk).exists()


def test_posting_without_the_confirmation_deletes_nothing(org_people):
    assessment = make_assessment(org_people["acme"])
    response = org_people["clients"]["owner"].post(reverse("orgs:delete", args=[assessment.public_id]))
    assert response.status_code == 400
    assert "Tick the box" in response.content.decode()
    assert Assessment.objects.filter(pk=assessment.pk).exists()


def test_an_owner_deletes_the_assessment_with_its_answers_and_their_history(org_people):
    assessment = make_assessment(org_people["acme"], objective_mode=True)
    pk = assessment.pk
    response = org_people["clients"]["owner"].post(reverse("orgs:delete", args=[assessment.public_id]),
                                                   {"confirm": "on"})
    assert response["Location"] == reverse("orgs:dashboard")
    assert not Assessment.objects.filter(pk=pk).exists()
    assert not Answer.objects.filter(assessment_id=pk).exists()
    assert not ObjectiveAnswer.objects.filter(assessment_id=pk).exists()
    assert not Answer.history.filter(assessment_id=pk).exists()
    assert not ObjectiveAnswer.history.filter(assessment_id=pk).exists()
    assert not Assessment.history.filter(id=pk).exists()


def test_editors_and_viewers_get_403_and_strangers_404(org_people):
    assessment = make_assessment(org_people["acme"])
    url = reverse("orgs:delete", args=[assessment.public_id])
    for name, status in (("editor", 403), ("viewer", 403), ("other_org", 404), ("loner", 404)):
        assert org_people["clients"][name].get(url).status_code == status, name
        assert org_people["clients"][name].post(url, {"confirm": "on"}).status_code == status, name
    assert Client().post(url, {"confirm": "on"}).status_code == 404
    assert Assessment.objects.filter(pk=assessment.pk).exists()


def test_the_session_holder_of_an_anonymous_assessment_can_delete_it():
    client = Client()
    assessment = start_anonymous(client)
    assert Client().post(reverse("orgs:delete", args=[assessment.public_id]), {"confirm": "on"}).status_code == 404
    response = client.post(reverse("orgs:delete", args=[assessment.public_id]), {"confirm": "on"})
    assert response["Location"] == reverse("home")
    assert not Assessment.objects.filter(pk=assessment.pk).exists()


def test_deleting_a_user_does_not_delete_the_organisations_assessments(org_people):
    assessment = make_assessment(org_people["acme"])
    org_people["owner"].delete()
    assert Assessment.objects.filter(pk=assessment.pk, organization=org_people["acme"]).exists()
