"""A snapshot downloaded as the assessment file (version 2): the frozen document, importable as it is."""

import json

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from assessments import assessment_file
from assessments.models import Answer
from assessments.records import score_assessment
from tests.export_helpers import saved_as
from tests.personas import start_anonymous
from tests.timeline_helpers import rich_assessment
from timeline.snapshots import take_snapshot

pytestmark = pytest.mark.django_db


def url(assessment, number: int = 1) -> str:
    return reverse("timeline:snapshot_json", args=[assessment.public_id, number])


@pytest.mark.parametrize("role", ["owner", "editor", "viewer"])
def test_every_member_downloads_the_frozen_file_and_it_imports_back(org_people, role):
    assessment = rich_assessment(org_people["acme"])
    snapshot = take_snapshot(assessment=assessment, label="s")
    Answer.objects.filter(assessment=assessment).update(note="later", status="met")
    response = org_people["clients"][role].get(url(assessment))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert saved_as(response) == (f"Acme-snapshot-1-{snapshot.taken_at:%Y-%m-%d}.json",) * 2
    assert "no-store" in response["Cache-Control"]
    data = json.loads(response.content)
    assert data == snapshot.document
    assert (data["format"], data["version"]) == ("cmmc-ready.assessment", 2)
    assert data["requirements"]["3.1.2"]["note"] == "Planned role limits."
    copy = assessment_file.import_json(data=data, organization=org_people["acme"])
    assert score_assessment(copy).score == snapshot.score


def test_a_viewer_cannot_post_and_strangers_get_404(org_people):
    assessment = rich_assessment(org_people["acme"])
    take_snapshot(assessment=assessment, label="s")
    assert org_people["clients"]["viewer"].post(url(assessment)).status_code == 403
    for client in (org_people["clients"]["other_org"], org_people["clients"]["loner"], Client()):
        assert client.get(url(assessment)).status_code == 404
    assert org_people["clients"]["owner"].get(url(assessment, 9)).status_code == 404


def test_the_anonymous_holder_downloads_it_named_in_their_words_and_another_browser_gets_404():
    holder = Client()
    assessment = start_anonymous(holder, "Ünïcødé Shop / Ost")
    take_snapshot(assessment=assessment, label="s")
    take_snapshot(assessment=assessment, label="t")
    response = holder.get(url(assessment, 2))
    day = f"{timezone.localdate():%Y-%m-%d}"
    assert saved_as(response) == (f"Ünïcødé-Shop-Ost-snapshot-2-{day}.json", f"Unicode-Shop-Ost-snapshot-2-{day}.json")
    other = Client()
    start_anonymous(other, "Other")
    assert other.get(url(assessment, 2)).status_code == 404
