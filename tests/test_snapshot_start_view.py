"""Starting a new assessment from a snapshot: the one importer, in the same organisation, editors and owners."""

import pytest
from django.test import Client
from django.urls import reverse

from assessments.models import Answer, Assessment, ObjectiveAnswer
from assessments.records import score_assessment
from tests.personas import start_anonymous
from tests.timeline_helpers import rich_assessment
from timeline.snapshots import take_snapshot

pytestmark = pytest.mark.django_db


def url(assessment, number: int = 1) -> str:
    return reverse("timeline:snapshot_start", args=[assessment.public_id, number])


@pytest.mark.parametrize("role", ["owner", "editor"])
def test_an_editor_starts_a_new_assessment_with_the_frozen_answers(org_people, role):
    assessment = rich_assessment(org_people["acme"])
    snapshot = take_snapshot(assessment=assessment, label="s")
    Answer.objects.filter(assessment=assessment).update(note="later", status="met")
    response = org_people["clients"][role].post(url(assessment))
    copy = Assessment.objects.exclude(pk=assessment.pk).get()
    assert response.status_code == 302
    assert response["Location"] == reverse("assessments:overview", args=[copy.public_id])
    assert copy.organization == org_people["acme"] and copy.organization_name == "Acme (from snapshot 1)"
    assert copy.objective_mode
    stored = Answer.objects.get(assessment=copy, requirement__nist_id="3.1.2")
    assert (stored.status, stored.note, stored.poam_reference) == ("not_met", "Planned role limits.", "POAM-7")
    assert ObjectiveAnswer.objects.filter(assessment=copy).count() == ObjectiveAnswer.objects.filter(
        assessment=assessment).count()
    assert score_assessment(copy).score == snapshot.score


def test_a_viewer_gets_403_and_nothing_is_created(org_people):
    assessment = rich_assessment(org_people["acme"])
    take_snapshot(assessment=assessment, label="s")
    assert org_people["clients"]["viewer"].post(url(assessment)).status_code == 403
    assert org_people["clients"]["owner"].get(url(assessment)).status_code == 405
    assert Assessment.objects.count() == 1


@pytest.mark.parametrize("who", ["other_org", "loner"])
def test_a_stranger_gets_404(org_people, who):
    assessment = rich_assessment(org_people["acme"])
    take_snapshot(assessment=assessment, label="s")
    assert org_people["clients"][who].post(url(assessment)).status_code == 404
    assert Client().post(url(assessment)).status_code == 404
    assert Assessment.objects.count() == 1


def test_an_anonymous_assessment_cannot_start_one_here(client):
    assessment = start_anonymous(client)
    take_snapshot(assessment=assessment, label="s")
    assert client.post(url(assessment)).status_code == 404
    assert Assessment.objects.count() == 1
