"""The dashboard: each of the user's organisations with its assessments' score, status and last change, and the
next deadlines of its assessments."""

from datetime import date, timedelta

import lxml.html
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from assessments.models import Answer, Assessment
from assessments.records import score_assessment
from assessments.report import outcome_words
from controls.models import Requirement
from tests.personas import make_assessment, make_org, signed_in, start_anonymous
from timeline.deadlines import add_years
from timeline.models import CmmcStatus, Submission
from timeline.panels import DASHBOARD_DEADLINES
from timeline.snapshots import take_snapshot

pytestmark = pytest.mark.django_db


def test_the_dashboard_lists_the_organisations_assessments_with_score_status_and_last_change(org_people):
    acme = org_people["acme"]
    ready = make_assessment(acme, "Acme 2026")
    assert score_assessment(ready).score is not None  # one with a score, one without (no SSP in objective mode)
    detailed = make_assessment(acme, "Acme objectives", objective_mode=True)
    body = org_people["clients"]["viewer"].get(reverse("orgs:dashboard")).content.decode()
    for assessment in (ready, detailed):
        result = score_assessment(assessment)
        row = body.split(assessment.public_id, 1)[1].split("</tr>", 1)[0]
        assert f"<td>{'—' if result.score is None else result.score}</td>" in row
        assert f'data-outcome="{result.outcome}">{outcome_words(result.outcome)}</td>' in row
        assert f"{result.answered_count} / {result.total}" in row
        assert assessment.updated_at.strftime("%Y-%m-%d %H:%M") in row


def test_the_dashboard_says_the_status_in_words(org_people):
    # Every requirement met but 3.1.1, which may never stay on a POA&M: no CMMC status, said so.
    assessment = make_assessment(org_people["acme"], "Acme 2026", answers={"3.12.4": "met", "3.1.1": "not_met"})
    Answer.objects.bulk_create(Answer(assessment=assessment, requirement=r, status="met")
                               for r in Requirement.objects.exclude(nist_id__in=["3.12.4", "3.1.1"]))
    assert score_assessment(assessment).outcome == "no_status"
    for persona in ("owner", "editor", "viewer"):
        doc = lxml.html.fromstring(org_people["clients"][persona].get(reverse("orgs:dashboard")).content)
        assert doc.xpath("//td[@data-outcome]")[0].text_content() == "No CMMC status"


def test_the_dashboard_shows_no_other_organisations_assessments(org_people):
    theirs = make_assessment(org_people["globex"], "Globex secret")
    mine = make_assessment(org_people["acme"], "Acme 2026")
    body = org_people["clients"]["owner"].get(reverse("orgs:dashboard")).content.decode()
    assert mine.public_id in body
    assert theirs.public_id not in body and "Globex secret" not in body


def test_the_dashboard_needs_a_signed_in_account():
    response = Client().get(reverse("orgs:dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_the_dashboard_is_not_cached(org_people):
    response = org_people["clients"]["owner"].get(reverse("orgs:dashboard"))
    assert "no-store" in response["Cache-Control"]


def test_the_dashboard_offers_to_claim_this_browsers_anonymous_assessments(org_people):
    # Started before signing in (signed in as an owner, a new assessment goes straight into the organisation).
    client = Client()
    start_anonymous(client, "Side")
    signed_in(org_people["owner"], client)
    assert reverse("orgs:claim") in client.get(reverse("orgs:dashboard")).content.decode()


def test_the_dashboard_links_a_new_assessment_in_each_organisation_the_user_may_edit(org_people):
    acme, editor = org_people["acme"], org_people["editor"]
    zeta = make_org("Zeta", viewer=[editor])
    doc = lxml.html.fromstring(org_people["clients"]["editor"].get(reverse("orgs:dashboard")).content.decode())
    links = doc.xpath("//main//a[text()='New assessment']/@href")
    assert doc.xpath(f"//main//section[@aria-labelledby='org-{zeta.public_id}']")  # listed, but a viewer there
    assert links == [f"{reverse('assessments:start')}?org={acme.public_id}"]
    # The link lands on the start page with that organisation chosen.
    start = lxml.html.fromstring(org_people["clients"]["editor"].get(links[0]).content.decode())
    assert start.xpath("//input[@name='organization'][@checked]/@value") == [acme.public_id]
    viewer_page = org_people["clients"]["viewer"].get(reverse("orgs:dashboard")).content.decode()
    assert "New assessment" not in viewer_page


def test_the_dashboard_query_count_does_not_grow_with_the_number_of_assessments(org_people, django_assert_num_queries):
    acme = org_people["acme"]
    client = org_people["clients"]["owner"]
    make_assessment(acme, "One")
    make_assessment(acme, "Objectives", objective_mode=True)
    client.get(reverse("orgs:dashboard"))  # warm-up: the counts below are of a steady-state request
    expected = 11
    # session, user, TOTP authenticator (MFA check), memberships + organisations, assessments, the catalog revision
    # (the rules are in memory per revision: controls/snapshot.py), every answer of the listed assessments, every
    # objective answer of those in objective mode; the deadlines panel: the latest SPRS submission of each, the
    # latest affirmation of each, the planned completion dates of all of them.
    with django_assert_num_queries(expected):
        client.get(reverse("orgs:dashboard"))
    for i in range(5):
        more = make_assessment(acme, f"More {i}", objective_mode=bool(i % 2))
        submit(more, timezone.localdate() - timedelta(days=i))
        submit(more, timezone.localdate() - timedelta(days=10 + i))  # an older one: only the latest counts
        plan(more, "3.1.2", timezone.localdate() + timedelta(days=20 + i))
    with django_assert_num_queries(expected):
        response = client.get(reverse("orgs:dashboard"))
    assert response.content.decode().count("<tr>") == 1 + 7
    assert len(lxml.html.fromstring(response.content).xpath("//li[@data-key]")) == DASHBOARD_DEADLINES


def submit(assessment: Assessment, status_date: date, status: str = CmmcStatus.L2_CONDITIONAL) -> Submission:
    return Submission.objects.create(
        assessment=assessment, snapshot=take_snapshot(assessment=assessment, label="s"), submitted_on=status_date,
        status_date=status_date, status=status, score=95, scope="enterprise", submitted_by="Jo")


def plan(assessment: Assessment, nist_id: str, due: date) -> None:
    Answer.objects.filter(assessment=assessment, requirement__nist_id=nist_id).update(planned_date=due)


def panel(client: Client) -> list[tuple[str, str, str, str]]:
    """(assessment public id, deadline key, due date, link) of every deadline listed on the dashboard."""
    doc = lxml.html.fromstring(client.get(reverse("orgs:dashboard")).content.decode())
    return [(li.get("data-assessment"), li.get("data-key"), li.get("data-due"), li.xpath("a/@href")[0])
            for li in doc.xpath("//ul[@data-testid='dashboard-deadlines']/li")]


@pytest.mark.parametrize("persona", ["owner", "editor", "viewer"])
def test_every_member_sees_the_next_deadlines_of_the_organisations_assessments_soonest_first(org_people, persona):
    acme, today = org_people["acme"], timezone.localdate()
    first = make_assessment(acme, "Acme 2026")
    second = make_assessment(acme, "Acme lab")
    sub = submit(first, today - timedelta(days=10))  # Conditional: closeout on day 180
    plan(first, "3.1.2", today + timedelta(days=30))
    plan(second, "3.1.2", today)  # due today is still upcoming
    assert panel(org_people["clients"][persona]) == [
        (second.public_id, "planned-3.1.2", f"{today}", reverse("timeline:calendar", args=[second.public_id])),
        (first.public_id, "planned-3.1.2", f"{today + timedelta(days=30)}",
         reverse("timeline:calendar", args=[first.public_id])),
        (first.public_id, f"poam-closeout-{sub.pk}", f"{today + timedelta(days=170)}",
         reverse("timeline:calendar", args=[first.public_id])),
        (first.public_id, f"affirmation-{sub.pk}-1", f"{add_years(sub.status_date, 1)}",
         reverse("timeline:calendar", args=[first.public_id])),
        (first.public_id, f"affirmation-{sub.pk}-2", f"{add_years(sub.status_date, 2)}",
         reverse("timeline:calendar", args=[first.public_id])),
    ][:DASHBOARD_DEADLINES]


def test_the_panel_leaves_out_past_deadlines_and_met_requirements_plans_and_keeps_only_the_soonest(org_people):
    acme, today = org_people["acme"], timezone.localdate()
    assessment = make_assessment(acme, "Acme 2026")
    plan(assessment, "3.1.2", today - timedelta(days=1))  # past
    plan(assessment, "3.1.1", today + timedelta(days=5))  # met: no plan to follow
    client = org_people["clients"]["owner"]
    assert panel(client) == []
    assert "No upcoming deadline" in client.get(reverse("orgs:dashboard")).content.decode()
    for i in range(DASHBOARD_DEADLINES + 2):
        plan(make_assessment(acme, f"More {i}"), "3.1.2", today + timedelta(days=i))
    assert [due for _, _, due, _ in panel(client)] == [f"{today + timedelta(days=i)}"
                                                       for i in range(DASHBOARD_DEADLINES)]


def test_the_panel_shows_no_deadline_of_another_organisation(org_people):
    today = timezone.localdate()
    theirs = make_assessment(org_people["globex"], "Globex secret")
    plan(theirs, "3.1.2", today + timedelta(days=3))
    mine = make_assessment(org_people["acme"], "Acme 2026")
    plan(mine, "3.1.2", today + timedelta(days=4))
    assert [row[0] for row in panel(org_people["clients"]["owner"])] == [mine.public_id]
    assert [row[0] for row in panel(org_people["clients"]["other_org"])] == [theirs.public_id]
