"""The dashboard: each of the user's organisations with its assessments' score, status and last change."""

import lxml.html
import pytest
from django.test import Client
from django.urls import reverse

from assessments.records import score_assessment
from tests.personas import make_assessment, make_org, signed_in, start_anonymous

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
        assert f'data-outcome="{result.outcome}"' in row
        assert f"{result.answered_count} / {result.total}" in row
        assert assessment.updated_at.strftime("%Y-%m-%d %H:%M") in row


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
    expected = 9
    # session, user, TOTP authenticator (MFA check), memberships + organisations, assessments, catalog rules
    # (requirements, objectives), every answer of the listed assessments, every objective answer of those in
    # objective mode.
    with django_assert_num_queries(expected):
        client.get(reverse("orgs:dashboard"))
    for i in range(5):
        make_assessment(acme, f"More {i}", objective_mode=bool(i % 2))
    with django_assert_num_queries(expected):
        response = client.get(reverse("orgs:dashboard"))
    assert response.content.decode().count("<tr>") == 1 + 7
