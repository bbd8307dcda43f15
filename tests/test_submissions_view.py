"""Recording an SPRS submission: editors and owners; it keeps a snapshot and sets the validity end."""

from datetime import date

import lxml.html
import pytest
from django.test import Client
from django.urls import reverse

from tests.timeline_helpers import rich_assessment
from timeline.models import Snapshot, SnapshotReason, Submission

pytestmark = pytest.mark.django_db


def url(assessment) -> str:
    return reverse("timeline:submissions", args=[assessment.public_id])


def data(**values) -> dict:
    return {"submitted_on": "2026-01-12", "status_date": "2026-01-10", "status": "l2_conditional", "score": "95",
            "scope": "enclave", "cage_codes": "1abc2, 3DEF4", "ssp_version": "1.0", "submitted_by": "Jo Smith"} | values


@pytest.mark.parametrize("role", ["owner", "editor"])
def test_an_editor_records_a_submission_with_a_snapshot(org_people, role):
    assessment = rich_assessment(org_people["acme"])
    response = org_people["clients"][role].post(url(assessment), data())
    assert response.status_code == 302
    submission = Submission.objects.get()
    assert (submission.status_date, submission.score, submission.scope, submission.cage_codes) == (
        date(2026, 1, 10), 95, "enclave", "1ABC2 3DEF4")
    assert (submission.ssp_version, submission.submitted_by, submission.recorded_by) == (
        "1.0", "Jo Smith", f"{role}@acme.test")
    assert submission.snapshot.reason == SnapshotReason.SUBMISSION
    doc = lxml.html.fromstring(org_people["clients"][role].get(url(assessment)).content)
    assert doc.xpath('//*[@data-testid="valid-until"]')[0].text_content() == "2029-01-10"


def test_the_form_starts_from_the_assessment(org_people):
    assessment = rich_assessment(org_people["acme"])
    doc = lxml.html.fromstring(org_people["clients"]["editor"].get(url(assessment)).content)
    assert doc.xpath('//input[@name="cage_codes"]/@value') == ["1ABC2"]
    assert doc.xpath('//input[@name="submitted_by"]/@value') == ["Jo Smith, CEO"]
    assert doc.xpath('//select[@name="status"]/option[@selected]/@value') == ["score_only"]


@pytest.mark.parametrize(("values", "field", "message"), [
    ({"status": "l2_final", "score": "100"}, "score", "Final Level 2 status needs 110"),
    ({"status": "l2_conditional", "score": "80"}, "score", "at least 88"),
    ({"score": ""}, "score", "A Level 2 entry has a score"),
    ({"score": "111"}, "score", "between"),
    ({"status_date": "2999-01-01"}, "status_date", "cannot be in the future"),
    ({"cage_codes": "TOOLONG"}, "cage_codes", "is not a CAGE code"),
    ({"status": "gold"}, "status", "Select a valid choice"),
    ({"submitted_by": ""}, "submitted_by", "required"),
])
def test_bad_input_is_refused_next_to_the_field_and_keeps_what_was_typed(org_people, values, field, message):
    assessment = rich_assessment(org_people["acme"])
    response = org_people["clients"]["owner"].post(url(assessment), data(**values))
    assert response.status_code == 400
    doc = lxml.html.fromstring(response.content)
    assert message in doc.xpath(f'//*[@id="div_id_{field}"]')[0].text_content()
    assert doc.xpath('//input[@name="ssp_version"]/@value') == ["1.0"]
    assert not Submission.objects.exists() and not Snapshot.objects.exists()


def test_a_viewer_reads_but_cannot_record(org_people):
    assessment = rich_assessment(org_people["acme"])
    org_people["clients"]["owner"].post(url(assessment), data())
    viewer = org_people["clients"]["viewer"]
    doc = lxml.html.fromstring(viewer.get(url(assessment)).content)
    assert len(doc.xpath('//*[@data-testid="submissions"]//tbody/tr')) == 1
    assert not doc.xpath('//*[@data-testid="submission-form"]')
    assert viewer.post(url(assessment), data()).status_code == 403
    assert Submission.objects.count() == 1


@pytest.mark.parametrize("who", ["other_org", "loner"])
def test_a_stranger_gets_404(org_people, who):
    assessment = rich_assessment(org_people["acme"])
    assert org_people["clients"][who].get(url(assessment)).status_code == 404
    assert org_people["clients"][who].post(url(assessment), data()).status_code == 404
    assert Client().get(url(assessment)).status_code == 404
    assert not Submission.objects.exists()
