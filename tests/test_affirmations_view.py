"""Recording an affirmation: the statement, the snapshot affirmed, and plain warnings first."""

from datetime import date

import lxml.html
import pytest
from django.test import Client
from django.urls import reverse

from assessments.models import Answer, Assessment
from tests.timeline_helpers import rich_assessment
from timeline.models import Affirmation, CmmcStatus, SnapshotReason, Submission
from timeline.snapshots import take_snapshot

pytestmark = pytest.mark.django_db


def url(assessment) -> str:
    return reverse("timeline:affirmations", args=[assessment.public_id])


def data(**values) -> dict:
    return {"official_name": "Jo Smith", "official_title": "CEO", "official_contact": "jo@acme.test",
            "affirmed_on": "2026-02-01", "snapshot_choice": "new"} | values


def submit(assessment: Assessment, status: str = CmmcStatus.L2_FINAL, on: date = date(2026, 1, 10)) -> Submission:
    return Submission.objects.create(assessment=assessment, snapshot=take_snapshot(assessment=assessment, label="s"),
                                     submitted_on=on, status_date=on, status=status, score=110, scope="enterprise",
                                     submitted_by="Jo")


@pytest.mark.parametrize("role", ["owner", "editor"])
def test_without_warnings_an_editor_records_it_with_a_new_snapshot(org_people, role):
    assessment = rich_assessment(org_people["acme"])
    submission = submit(assessment)
    doc = lxml.html.fromstring(org_people["clients"][role].get(url(assessment)).content)
    assert doc.xpath('//*[@data-testid="no-warnings"]')
    assert "32 CFR 170.22" in doc.xpath('//*[@data-testid="statement"]')[0].text_content()
    response = org_people["clients"][role].post(url(assessment), data())
    assert response.status_code == 302
    affirmation = Affirmation.objects.get()
    assert (affirmation.official_name, affirmation.affirmed_on, affirmation.submission) == (
        "Jo Smith", date(2026, 2, 1), submission)
    assert affirmation.snapshot.reason == SnapshotReason.AFFIRMATION
    assert "Acme" in affirmation.statement and "170.22" in affirmation.statement and affirmation.warnings == ""


def test_an_existing_snapshot_can_be_the_one_affirmed(org_people):
    assessment = rich_assessment(org_people["acme"])
    chosen = take_snapshot(assessment=assessment, label="year-end")
    assert org_people["clients"]["owner"].post(url(assessment), data(snapshot_choice=str(chosen.number))
                                               ).status_code == 302
    assert Affirmation.objects.get().snapshot == chosen
    response = org_people["clients"]["owner"].post(url(assessment), data(snapshot_choice="99"))
    assert response.status_code == 400 and Affirmation.objects.count() == 1


def test_a_regression_since_the_submission_warns_and_needs_acknowledging(org_people):
    assessment = rich_assessment(org_people["acme"])
    submit(assessment)
    Answer.objects.filter(assessment=assessment, requirement__nist_id="3.12.4").update(status="not_met")
    client = org_people["clients"]["owner"]
    doc = lxml.html.fromstring(client.get(url(assessment)).content)
    warning = doc.xpath('//*[@data-testid="warning-regressed"]')[0].text_content()
    assert "3.12.4 (Met → Not met)" in warning and "2026-01-10" in warning
    response = client.post(url(assessment), data())
    assert response.status_code == 400
    doc = lxml.html.fromstring(response.content)
    assert "Read the warnings above" in doc.xpath('//*[@id="div_id_acknowledge"]')[0].text_content()
    assert doc.xpath('//input[@name="official_title"]/@value') == ["CEO"]  # nothing typed is lost
    assert not Affirmation.objects.exists()
    assert client.post(url(assessment), data(acknowledge="on")).status_code == 302
    assert "3.12.4" in Affirmation.objects.get().warnings


def test_a_poam_item_past_its_180_days_warns(org_people):
    assessment = rich_assessment(org_people["acme"])
    submit(assessment, CmmcStatus.L2_CONDITIONAL, on=date(2025, 1, 10))
    doc = lxml.html.fromstring(org_people["clients"]["viewer"].get(url(assessment)).content)
    warning = doc.xpath('//*[@data-testid="warning-poam_overdue"]')[0].text_content()
    assert "2025-07-09" in warning and "3.1.2" in warning


def test_a_viewer_reads_but_cannot_record_and_strangers_get_404(org_people):
    assessment = rich_assessment(org_people["acme"])
    viewer = org_people["clients"]["viewer"]
    doc = lxml.html.fromstring(viewer.get(url(assessment)).content)
    assert not doc.xpath('//*[@data-testid="affirmation-form"]')
    assert viewer.post(url(assessment), data()).status_code == 403
    for client in (org_people["clients"]["other_org"], org_people["clients"]["loner"], Client()):
        assert client.get(url(assessment)).status_code == 404
        assert client.post(url(assessment), data()).status_code == 404
    assert not Affirmation.objects.exists()


@pytest.mark.parametrize(("values", "field", "message"), [
    ({"affirmed_on": "2999-01-01"}, "affirmed_on", "cannot be in the future"),
    ({"official_name": ""}, "official_name", "required"),
    ({"affirmed_on": "not a date"}, "affirmed_on", "valid date"),
])
def test_bad_input_is_refused_next_to_the_field(org_people, values, field, message):
    assessment = rich_assessment(org_people["acme"])
    response = org_people["clients"]["owner"].post(url(assessment), data(**values))
    assert response.status_code == 400
    assert message in lxml.html.fromstring(response.content).xpath(f'//*[@id="div_id_{field}"]')[0].text_content()
    assert not Affirmation.objects.exists()
