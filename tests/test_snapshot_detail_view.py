"""One snapshot, read-only: what it froze, whatever happened to the assessment since."""

import lxml.html
import pytest
from django.test import Client
from django.urls import reverse

from assessments.models import Answer
from tests.personas import start_anonymous
from tests.timeline_helpers import rich_assessment
from timeline.snapshots import take_snapshot

pytestmark = pytest.mark.django_db


def url(assessment, number: int = 1) -> str:
    return reverse("timeline:snapshot", args=[assessment.public_id, number])


def text(doc, testid: str) -> str:
    return " ".join(doc.xpath(f'//*[@data-testid="{testid}"]')[0].text_content().split())


@pytest.mark.parametrize("role", ["owner", "editor", "viewer"])
def test_every_member_reads_the_frozen_records_not_todays(org_people, role):
    assessment = rich_assessment(org_people["acme"])
    snapshot = take_snapshot(assessment=assessment, label="Before")
    Answer.objects.filter(assessment=assessment, requirement__nist_id="3.1.2").update(status="met", note="now done")
    doc = lxml.html.fromstring(org_people["clients"][role].get(url(assessment)).content)
    assert text(doc, "status-3.1.2") == "Not met"
    assert text(doc, "note-3.1.2") == "Planned role limits."
    assert text(doc, "status-3.5.3") == "Partially met"
    # Objective mode: a requirement-level N/A waits for its objectives, and the page says what was answered.
    assert text(doc, "status-3.1.22") == "Unanswered"
    assert "answered “Not applicable” for the requirement" in text(doc, "req-3.1.22")
    assert text(doc, "status-3.2.1") == "Unanswered"
    assert text(doc, "score") == f"{snapshot.score} of 110"
    assert text(doc, "catalog-revision") == snapshot.catalog_revision
    assert "3.1.1[a] Met" in text(doc, "req-3.1.1")
    assert not doc.xpath("//main//form[not(contains(@action,'/start/'))]//input[@type='text']")  # nothing to edit


def test_a_viewer_is_not_offered_to_start_from_it_but_an_editor_is(org_people):
    assessment = rich_assessment(org_people["acme"])
    take_snapshot(assessment=assessment, label="s")
    start = reverse("timeline:snapshot_start", args=[assessment.public_id, 1])
    viewer = lxml.html.fromstring(org_people["clients"]["viewer"].get(url(assessment)).content)
    editor = lxml.html.fromstring(org_people["clients"]["editor"].get(url(assessment)).content)
    assert not viewer.xpath(f'//form[@action="{start}"]')
    assert editor.xpath(f'//form[@action="{start}"]')


def test_a_viewer_cannot_post_to_it(org_people):
    assessment = rich_assessment(org_people["acme"])
    take_snapshot(assessment=assessment, label="s")
    assert org_people["clients"]["viewer"].post(url(assessment)).status_code == 403
    assert org_people["clients"]["owner"].post(url(assessment)).status_code == 405


@pytest.mark.parametrize("who", ["other_org", "loner"])
def test_a_stranger_gets_404(org_people, who):
    assessment = rich_assessment(org_people["acme"])
    take_snapshot(assessment=assessment, label="s")
    assert org_people["clients"][who].get(url(assessment)).status_code == 404
    assert Client().get(url(assessment)).status_code == 404


def test_a_snapshot_of_another_assessment_or_none_at_all_is_404(org_people):
    mine = rich_assessment(org_people["acme"], "Mine")
    other = rich_assessment(org_people["acme"], "Other")
    take_snapshot(assessment=other, label="other's")
    client = org_people["clients"]["owner"]
    assert client.get(url(mine)).status_code == 404
    assert client.get(url(other)).status_code == 200
    assert client.get(url(other, 2)).status_code == 404


def test_the_anonymous_holder_is_pointed_to_the_import(client):
    assessment = start_anonymous(client)
    take_snapshot(assessment=assessment, label="s")
    doc = lxml.html.fromstring(client.get(url(assessment)).content)
    assert doc.xpath(f'//a[@href="{reverse("assessments:import")}"]')
