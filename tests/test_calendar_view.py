"""The deadlines page: every deadline, the counting rules stated, the same queries however many snapshots."""

from datetime import date

import lxml.html
import pytest
from django.test import Client
from django.urls import reverse

from tests.personas import make_assessment
from tests.timeline_helpers import rich_assessment, snapshots
from timeline.models import CmmcStatus, Submission
from timeline.snapshots import take_snapshot

pytestmark = pytest.mark.django_db


def url(assessment) -> str:
    return reverse("timeline:calendar", args=[assessment.public_id])


def submit(assessment) -> Submission:
    return Submission.objects.create(assessment=assessment, snapshot=take_snapshot(assessment=assessment, label="s"),
                                     submitted_on=date(2028, 2, 29), status_date=date(2028, 2, 29),
                                     status=CmmcStatus.L2_CONDITIONAL, score=95, scope="enterprise",
                                     submitted_by="Jo")


@pytest.mark.parametrize("role", ["owner", "editor", "viewer"])
def test_every_member_sees_every_deadline_soonest_first(org_people, role):
    assessment = rich_assessment(org_people["acme"])
    sub = submit(assessment)
    doc = lxml.html.fromstring(org_people["clients"][role].get(url(assessment)).content)
    rows = [(r.get("data-testid"), r.get("data-due")) for r in doc.xpath('//*[@data-testid="deadlines"]//tbody/tr')]
    assert rows == [("deadline-planned-3.1.2", "2026-06-30"), ("deadline-planned-3.1.3", "2026-09-01"),
                    (f"deadline-poam-closeout-{sub.pk}", "2028-08-27"),
                    (f"deadline-affirmation-{sub.pk}-1", "2029-02-28"),
                    (f"deadline-affirmation-{sub.pk}-2", "2030-02-28"),
                    (f"deadline-reassessment-{sub.pk}", "2031-02-28")]
    decisions = doc.xpath('//*[@data-testid="decisions"]')[0].text_content()
    assert "29 February" in decisions and "180 days" in decisions and "Evidence review-by dates" in decisions


def test_without_a_submission_the_page_says_how_to_get_dates(org_people):
    assessment = make_assessment(org_people["acme"])
    doc = lxml.html.fromstring(org_people["clients"]["viewer"].get(url(assessment)).content)
    assert doc.xpath('//*[@data-testid="no-deadlines"]')


def test_strangers_get_404_and_a_viewer_cannot_post(org_people):
    assessment = make_assessment(org_people["acme"])
    for client in (org_people["clients"]["other_org"], org_people["clients"]["loner"], Client()):
        assert client.get(url(assessment)).status_code == 404
    assert org_people["clients"]["viewer"].post(url(assessment)).status_code == 403


def test_the_page_makes_the_same_queries_with_one_snapshot_and_with_many(org_people, django_assert_num_queries):
    assessment = rich_assessment(org_people["acme"])
    submit(assessment)
    client = org_people["clients"]["owner"]
    client.get(url(assessment))  # warm-up
    # session, user, TOTP authenticator (MFA check), assessment, membership, the latest submission, the latest
    # affirmation, the score (the catalog revision: the rules are in memory per revision; answers, objective
    # answers), the planned dates
    with django_assert_num_queries(11):
        client.get(url(assessment))
    snapshots(assessment, 30)
    with django_assert_num_queries(11):
        client.get(url(assessment))
