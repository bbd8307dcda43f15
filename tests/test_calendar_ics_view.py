"""The deadlines as an .ics file: read back with a real iCalendar parser, one event per deadline, stable UIDs."""

from datetime import date

import icalendar
import pytest
from django.test import Client
from django.urls import reverse

from assessments.models import Answer, Assessment
from tests.export_helpers import saved_as
from tests.timeline_helpers import rich_assessment
from timeline.deadlines import deadlines
from timeline.ics import calendar
from timeline.models import CmmcStatus, Submission
from timeline.snapshots import take_snapshot

pytestmark = pytest.mark.django_db


def url(assessment) -> str:
    return reverse("timeline:calendar_ics", args=[assessment.public_id])


def events(body: bytes) -> dict[str, icalendar.Event]:
    parsed = icalendar.Calendar.from_ical(body)
    return {str(e["UID"]): e for e in parsed.walk("VEVENT")}


def with_submission(org) -> Assessment:
    assessment = rich_assessment(org, "Acme, Inc.; East\nDivision")
    Submission.objects.create(assessment=assessment, snapshot=take_snapshot(assessment=assessment, label="s"),
                              submitted_on=date(2026, 1, 10), status_date=date(2026, 1, 10),
                              status=CmmcStatus.L2_CONDITIONAL, score=95, scope="enterprise", submitted_by="Jo")
    return assessment


@pytest.mark.parametrize("role", ["owner", "editor", "viewer"])
def test_every_member_downloads_one_event_per_deadline_that_a_real_parser_reads(org_people, role):
    assessment = with_submission(org_people["acme"])
    response = org_people["clients"][role].get(url(assessment))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert saved_as(response) == ("Acme-Inc-East-Division-deadlines.ics",) * 2  # whose deadlines, in words
    found = events(response.content)
    expected = deadlines(assessment)
    assert len(found) == len(expected) == 6  # closeout, 2 affirmations, reassessment, 2 planned dates
    for deadline in expected:
        event = found[f"{deadline.key}.{assessment.public_id}@cmmc-ready"]
        assert event.decoded("DTSTART") == deadline.due
        assert str(event["SUMMARY"]) == f"{deadline.title} (Acme, Inc.; East\nDivision)"  # escaped, read back
        assert str(event["DESCRIPTION"]) == deadline.detail
    assert all(len(line) <= 75 for line in response.content.split(b"\r\n"))


def test_the_uids_stay_the_same_from_one_download_to_the_next(org_people):
    assessment = with_submission(org_people["acme"])
    client = org_people["clients"]["owner"]
    first = events(client.get(url(assessment)).content)
    Answer.objects.filter(assessment=assessment, requirement__nist_id="3.1.2").update(planned_date=date(2026, 8, 1))
    second = events(client.get(url(assessment)).content)
    assert set(first) == set(second)
    uid = f"planned-3.1.2.{assessment.public_id}@cmmc-ready"
    assert second[uid].decoded("DTSTART") == date(2026, 8, 1) != first[uid].decoded("DTSTART")


def test_long_lines_are_folded_without_splitting_a_character():
    from timeline.deadlines import Deadline

    text = "é" * 100 + " 32 CFR 170.22"
    body = calendar([Deadline("k", "planned", "T", date(2026, 1, 1), text)], public_id="p", name="N",
                    host="h", stamp=__import__("datetime").datetime(2026, 1, 1, 12))
    body.decode("utf-8")  # every fold boundary falls between characters
    assert all(len(line) <= 75 for line in body.split(b"\r\n"))
    assert str(next(iter(events(body).values()))["DESCRIPTION"]) == text


def test_strangers_get_404_and_a_viewer_cannot_post(org_people):
    assessment = with_submission(org_people["acme"])
    for client in (org_people["clients"]["other_org"], org_people["clients"]["loner"], Client()):
        assert client.get(url(assessment)).status_code == 404
    assert org_people["clients"]["viewer"].post(url(assessment)).status_code == 403
