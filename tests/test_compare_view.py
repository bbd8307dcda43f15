"""The compare page: what changed between two snapshots, or a snapshot and today; every number from scoring."""

import lxml.html
import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assessments.models import Answer, Assessment, ObjectiveAnswer
from assessments.records import score_assessment
from controls.models import Objective, Requirement
from tests.personas import make_assessment
from tests.timeline_helpers import rich_assessment, snapshots
from timeline.snapshots import take_snapshot

pytestmark = pytest.mark.django_db


def url(assessment, before=None, after=None) -> str:
    base = reverse("timeline:compare", args=[assessment.public_id])
    return base if before is None else f"{base}?before={before}&after={after}"


def page(client: Client, address: str, status: int = 200):
    response = client.get(address)
    assert response.status_code == status, response.status_code
    return lxml.html.fromstring(response.content)


def value(doc, testid: str) -> int:
    return int(doc.xpath(f'//*[@data-testid="{testid}"]/@data-value')[0])


def families(doc) -> dict[str, tuple[int, int]]:
    return {row.get("data-family"): (int(row.get("data-gained")), int(row.get("data-lost")))
            for row in doc.xpath('//*[@data-testid="families"]//tr[@data-family]')}


def set_answer(assessment: Assessment, nist_id: str, **values) -> None:
    Answer.objects.update_or_create(assessment=assessment, requirement=Requirement.objects.get(nist_id=nist_id),
                                    defaults=values)


def test_a_snapshot_against_today_shows_every_kind_of_change(org_people):
    assessment = rich_assessment(org_people["acme"])
    take_snapshot(assessment=assessment, label="Before")
    # Objective mode: 3.1.2's objectives all met make it met (+5, closed); its note changes.
    set_answer(assessment, "3.1.2", status="not_met", note="Planned role limits, now <b>done</b>.")
    for objective in Objective.objects.filter(requirement__nist_id="3.1.2"):
        ObjectiveAnswer.objects.create(assessment=assessment, objective=objective, status="met")
    set_answer(assessment, "3.1.5", status="not_met")  # unanswered → not met: no points move, a status changes
    set_answer(assessment, "3.12.4", status="met", note="Our plan v2.")
    ObjectiveAnswer.objects.filter(assessment=assessment, objective__objective_id="3.1.1[a]").update(status="not_met")
    doc = page(org_people["clients"]["viewer"], url(assessment, 1, "today"))
    # 3.1.1 fails an objective (-5), 3.1.2 is met (+5).
    assert families(doc) == {"AC": (5, 5)}
    assert (value(doc, "total-gained"), value(doc, "total-lost"), value(doc, "total-net")) == (5, 5, 0)
    rows = {tr.get("data-testid"): [td.text_content() for td in tr.xpath("td")]
            for tr in doc.xpath('//*[@data-testid="status-changes"]//tr[@data-testid]')}
    assert rows == {"status-3.1.1": ["Met", "Not met", "−5"], "status-3.1.2": ["Not met", "Met", "+5"],
                    "status-3.1.5": ["Unanswered", "Not met", "0"]}
    assert "3.1.1" in doc.xpath('//*[@data-testid="poam-opened"]')[0].text_content()
    assert "3.1.2" in doc.xpath('//*[@data-testid="poam-closed"]')[0].text_content()
    assert "3.1.1[a]: Met → Not met" in doc.xpath('//*[@data-testid="objective-changes"]')[0].text_content()
    # The narrative diff: deleted and inserted words, the user's markup shown as text, never as markup.
    assert doc.xpath("//ins[contains(., 'v2.')]") and doc.xpath("//del[contains(., 'v1.')]")
    assert not doc.xpath("//div[contains(@class,'diff')]//b")
    assert "&lt;b&gt;done&lt;/b&gt;" in lxml.html.tostring(doc).decode()


def test_two_snapshots_compare_and_the_default_is_the_latest_against_today(org_people):
    assessment = make_assessment(org_people["acme"])
    take_snapshot(assessment=assessment, label="one")
    set_answer(assessment, "3.1.2", status="met")
    take_snapshot(assessment=assessment, label="two")
    client = org_people["clients"]["owner"]
    doc = page(client, url(assessment, 1, 2))
    assert value(doc, "total-net") == 5
    doc = page(client, url(assessment))  # snapshot 2 against today: nothing changed
    assert doc.xpath('//select[@name="before"]/option[@selected]/@value') == ["2"]
    assert value(doc, "total-net") == 0


@pytest.mark.parametrize("query", ["?before=9&after=today", "?before=1&after=1", "?before=x&after=today",
                                   "?before=&after="])
def test_a_bad_choice_is_refused_with_a_message_never_a_500(org_people, query):
    assessment = make_assessment(org_people["acme"])
    take_snapshot(assessment=assessment, label="one")
    doc = page(org_people["clients"]["owner"], url(assessment) + query, status=400)
    assert doc.xpath('//*[contains(@class,"invalid-feedback")] | //*[@data-testid="form-error"]')
    assert not doc.xpath('//*[@data-testid="total-net"]')


def test_without_a_snapshot_the_page_says_to_take_one(org_people):
    assessment = make_assessment(org_people["acme"])
    doc = page(org_people["clients"]["viewer"], url(assessment))
    assert doc.xpath('//*[@data-testid="no-snapshots"]')


def test_strangers_get_404_and_a_viewer_cannot_post(org_people):
    assessment = make_assessment(org_people["acme"])
    take_snapshot(assessment=assessment, label="one")
    for client in (org_people["clients"]["other_org"], org_people["clients"]["loner"], Client()):
        assert client.get(url(assessment, 1, "today")).status_code == 404
    assert org_people["clients"]["viewer"].post(url(assessment)).status_code == 403


def test_the_page_makes_the_same_queries_with_one_snapshot_and_with_many(org_people, django_assert_num_queries):
    assessment = make_assessment(org_people["acme"])
    client = org_people["clients"]["owner"]
    snapshots(assessment, 1)
    address = url(assessment, 1, "today")
    client.get(address)  # warm-up
    with django_assert_num_queries(QUERIES) as captured:
        client.get(address)
    snapshots(assessment, 30)
    with django_assert_num_queries(QUERIES):
        client.get(address)
    assert len(captured.captured_queries) == QUERIES


# session, user, TOTP authenticator (MFA check), assessment, membership, the snapshots listed (no documents), the
# catalog revision (the rules are in memory per revision: controls/snapshot.py), the chosen snapshot's document;
# today's assessment file (answers, objective answers, the catalog revision again (its text's hash is in memory), the
# SSP section's plan, the ISO head start); the family names.
QUERIES = 14

STATUSES = ["met", "not_met", "na", ""]
REQUIREMENTS = ["3.1.1", "3.1.2", "3.1.3", "3.1.20", "3.3.1", "3.5.3", "3.13.11", "3.12.4", "3.14.1", "3.8.3"]


def statuses():
    def for_requirement(nist_id: str):
        choices = STATUSES + (["partial"] if nist_id in ("3.5.3", "3.13.11") else [])
        if nist_id == "3.12.4":
            choices = ["met", "not_met", ""]  # no SSP cannot be "not applicable"
        return st.sampled_from(choices)

    return st.fixed_dictionaries({nist_id: for_requirement(nist_id) for nist_id in REQUIREMENTS})


@settings(derandomize=True, max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(before=statuses(), after=statuses())
def test_the_pages_point_deltas_are_scoring_run_on_both_sides(org_people, before, after):
    assessment = Assessment.objects.create(organization=org_people["acme"], organization_name="Prop")
    requirements = {r.nist_id: r for r in Requirement.objects.filter(nist_id__in=REQUIREMENTS)}

    def write(values: dict[str, str]) -> None:
        Answer.objects.filter(assessment=assessment).delete()
        Answer.objects.bulk_create([Answer(assessment=assessment, requirement=requirements[n], status=s)
                                    for n, s in values.items()])

    write(before)
    old = score_assessment(assessment)
    take_snapshot(assessment=assessment, label="before")
    write(after)
    new = score_assessment(assessment)
    doc = page(org_people["clients"]["viewer"], url(assessment, 1, "today"))
    assert value(doc, "total-net") == new.worst_case_score - old.worst_case_score
    shown = families(doc)
    for code in set(old.lost_by_family) | set(new.lost_by_family):
        gained, lost = shown.get(code, (0, 0))
        assert gained - lost == old.lost_by_family.get(code, 0) - new.lost_by_family.get(code, 0), code
    assert value(doc, "total-gained") == sum(g for g, _ in shown.values())
    assert value(doc, "total-lost") == sum(lost for _, lost in shown.values())
    assessment.delete()
