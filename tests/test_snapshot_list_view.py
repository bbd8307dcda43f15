"""The snapshot list: everyone with access reads it; editors and owners take a snapshot with a label."""

import lxml.html
import pytest
from django.test import Client
from django.urls import reverse

from tests.personas import make_assessment, start_anonymous
from tests.timeline_helpers import rich_assessment, snapshots
from timeline.models import Snapshot, SnapshotReason

pytestmark = pytest.mark.django_db


def url(assessment) -> str:
    return reverse("timeline:snapshots", args=[assessment.public_id])


@pytest.mark.parametrize("role", ["owner", "editor"])
def test_an_editor_or_owner_takes_a_snapshot_with_a_label(org_people, role):
    assessment = rich_assessment(org_people["acme"])
    response = org_people["clients"][role].post(url(assessment), {"label": "Board review"})
    assert response.status_code == 302 and response["Location"] == url(assessment)
    snapshot = Snapshot.objects.get(assessment=assessment)
    assert (snapshot.label, snapshot.reason, snapshot.taken_by) == ("Board review", SnapshotReason.MANUAL,
                                                                   f"{role}@acme.test")
    page = org_people["clients"][role].get(url(assessment)).content.decode()
    assert "Board review" in page and "Snapshot 1 taken" in page


def test_a_viewer_reads_the_list_but_cannot_take_one(org_people):
    assessment = rich_assessment(org_people["acme"])
    snapshots(assessment, 1)
    viewer = org_people["clients"]["viewer"]
    doc = lxml.html.fromstring(viewer.get(url(assessment)).content)
    assert doc.xpath('//*[@data-testid="snapshot-1"]')
    assert not doc.xpath('//*[@data-testid="snapshot-form"]')
    assert doc.xpath('//*[@data-testid="read-only"]')
    assert viewer.post(url(assessment), {"label": "sneaky"}).status_code == 403
    assert Snapshot.objects.count() == 1


@pytest.mark.parametrize("who", ["other_org", "loner"])
def test_a_stranger_gets_404_and_takes_nothing(org_people, who):
    assessment = rich_assessment(org_people["acme"])
    client = org_people["clients"][who]
    assert client.get(url(assessment)).status_code == 404
    assert client.post(url(assessment), {"label": "x"}).status_code == 404
    assert Client().get(url(assessment)).status_code == 404
    assert not Snapshot.objects.exists()


def test_an_empty_or_too_long_label_is_refused_next_to_the_field(org_people):
    assessment = rich_assessment(org_people["acme"])
    client = org_people["clients"]["editor"]
    response = client.post(url(assessment), {"label": "   "})
    assert response.status_code == 400
    doc = lxml.html.fromstring(response.content)
    assert "Give the snapshot a label" in doc.xpath('//*[@id="div_id_label"]')[0].text_content()
    long = "x" * 201
    response = client.post(url(assessment), {"label": long})
    assert response.status_code == 400
    assert lxml.html.fromstring(response.content).xpath('//input[@name="label"]/@value') == [long]  # kept
    assert not Snapshot.objects.exists()


def test_the_anonymous_holder_takes_and_lists_snapshots(client):
    assessment = start_anonymous(client)
    assert client.post(url(assessment), {"label": "mine"}).status_code == 302
    assert Snapshot.objects.get().taken_by == ""
    assert "mine" in client.get(url(assessment)).content.decode()


def test_the_list_shows_a_trend_point_per_snapshot(org_people):
    assessment = make_assessment(org_people["acme"])
    snapshots(assessment, 3)
    doc = lxml.html.fromstring(org_people["clients"]["viewer"].get(url(assessment)).content)
    assert doc.xpath("//svg[contains(@class,'trend-chart')]//circle/@data-number") == ["1", "2", "3"]
    assert not doc.xpath("//*[@style]") and not doc.xpath("//script[not(@src)]")


def test_the_list_makes_the_same_queries_with_one_snapshot_and_with_many(org_people, django_assert_num_queries):
    assessment = make_assessment(org_people["acme"])
    client = org_people["clients"]["owner"]
    snapshots(assessment, 1)
    client.get(url(assessment))  # warm-up
    # session, user, TOTP authenticator (MFA check), membership, assessment, snapshots (without their documents)
    with django_assert_num_queries(6):
        client.get(url(assessment))
    snapshots(assessment, 40)
    with django_assert_num_queries(6):
        response = client.get(url(assessment))
    assert response.content.decode().count('data-testid="snapshot-') == 41 + 1  # rows + the form
