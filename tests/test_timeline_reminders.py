"""Deadline reminders (timeline/reminders.py): the windows, who gets them, once only, and nothing when off."""

from datetime import date, timedelta
from smtplib import SMTPException

import pytest
from django.core import mail
from django.urls import reverse

from assessments.models import Answer, Assessment
from tests.personas import make_assessment
from timeline.models import CmmcStatus, Reminder, Submission
from timeline.reminders import send_due_reminders, window
from timeline.snapshots import take_snapshot

pytestmark = pytest.mark.django_db

TODAY = date(2026, 6, 1)


@pytest.fixture(autouse=True)
def reminders_on(settings):
    settings.DEADLINE_REMINDERS = True
    settings.SITE_URL = "https://cmmc.example.com"


def plan(assessment: Assessment, nist_id: str, due: date) -> None:
    Answer.objects.filter(assessment=assessment, requirement__nist_id=nist_id).update(planned_date=due)


def test_the_windows_are_30_days_7_days_and_1_day_before_and_none_once_the_day_has_passed():
    assert [window(TODAY + timedelta(days=n), TODAY) for n in (-1, 0, 1, 2, 7, 8, 30, 31)] == [
        None, 1, 1, 7, 7, 30, 30, None]


def test_a_deadline_in_its_window_is_emailed_to_each_owner_and_editor_and_never_to_a_viewer(org_people):
    assessment = make_assessment(org_people["acme"], "Acme 2026")
    plan(assessment, "3.1.2", TODAY + timedelta(days=20))
    assert send_due_reminders(today=TODAY) == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["editor@acme.test", "owner@acme.test"]
    assert all(len(m.to) == 1 for m in mail.outbox)  # each their own: no member sees the others' addresses
    body = mail.outbox[0].body
    assert "2026-06-21 (in 20 days): Planned completion of an open requirement" in body
    assert f"https://cmmc.example.com{reverse('timeline:calendar', args=[assessment.public_id])}" in body
    assert "3.1.2" not in body and "3.1.2" not in mail.outbox[0].subject  # no weakness named in an email
    assert mail.outbox[0].subject == "[CMMC Ready] Acme 2026: a deadline on 2026-06-21"
    assert Reminder.objects.get().days_before == 30


def test_a_second_run_sends_nothing_twice_and_the_next_window_sends_again(org_people):
    assessment = make_assessment(org_people["acme"], "Acme 2026")
    plan(assessment, "3.1.2", TODAY + timedelta(days=20))
    assert send_due_reminders(today=TODAY) == 2
    assert send_due_reminders(today=TODAY) == 0
    assert send_due_reminders(today=TODAY + timedelta(days=5)) == 0  # still in the 30-day window
    assert send_due_reminders(today=TODAY + timedelta(days=13)) == 2  # 7 days before
    assert send_due_reminders(today=TODAY + timedelta(days=19)) == 2  # the day before
    assert send_due_reminders(today=TODAY + timedelta(days=20)) == 0  # on the day: the 1-day reminder was sent
    assert len(mail.outbox) == 6
    assert sorted(Reminder.objects.values_list("days_before", flat=True)) == [1, 7, 30]


def test_a_moved_deadline_is_reminded_for_its_new_date(org_people):
    assessment = make_assessment(org_people["acme"], "Acme 2026")
    plan(assessment, "3.1.2", TODAY + timedelta(days=3))
    assert send_due_reminders(today=TODAY) == 2
    plan(assessment, "3.1.2", TODAY + timedelta(days=6))
    assert send_due_reminders(today=TODAY) == 2
    assert "2026-06-07 (in 6 days)" in mail.outbox[-1].body


def test_a_run_that_missed_windows_sends_only_the_nearest_one_in_a_single_email_per_person(org_people):
    assessment = make_assessment(org_people["acme"], "Acme 2026")
    Submission.objects.create(
        assessment=assessment, snapshot=take_snapshot(assessment=assessment, label="s"),
        submitted_on=TODAY - timedelta(days=175), status_date=TODAY - timedelta(days=175),
        status=CmmcStatus.L2_CONDITIONAL, score=95, scope="enterprise", submitted_by="Jo")
    plan(assessment, "3.1.2", TODAY + timedelta(days=25))
    assert send_due_reminders(today=TODAY) == 2
    body = mail.outbox[0].body
    assert "2026-06-06 (in 5 days): POA&M closeout due (Conditional status expires)" in body
    assert "2026-06-26 (in 25 days): Planned completion of an open requirement" in body
    assert sorted(Reminder.objects.values_list("deadline_key", "days_before")) == [
        ("planned-3.1.2", 30), (f"poam-closeout-{Submission.objects.get().pk}", 7)]


def test_nothing_is_sent_or_recorded_when_reminders_are_off(org_people, settings):
    settings.DEADLINE_REMINDERS = False
    plan(make_assessment(org_people["acme"], "Acme 2026"), "3.1.2", TODAY + timedelta(days=1))
    assert send_due_reminders(today=TODAY) == 0
    assert mail.outbox == [] and not Reminder.objects.exists()


def test_an_anonymous_assessment_has_nobody_to_remind_and_another_organisation_hears_nothing(org_people):
    plan(make_assessment(None, "Nobody's"), "3.1.2", TODAY + timedelta(days=1))
    plan(make_assessment(org_people["globex"], "Globex 2026"), "3.1.2", TODAY + timedelta(days=1))
    assert send_due_reminders(today=TODAY) == 1
    assert [m.to for m in mail.outbox] == [["owner@globex.test"]]
    assert "Globex 2026" in mail.outbox[0].subject


def test_past_deadlines_and_plans_of_met_requirements_send_nothing(org_people):
    assessment = make_assessment(org_people["acme"], "Acme 2026")
    plan(assessment, "3.1.2", TODAY - timedelta(days=1))
    plan(assessment, "3.1.1", TODAY + timedelta(days=1))  # met
    assert send_due_reminders(today=TODAY) == 0
    assert mail.outbox == []


def test_a_failed_send_records_nothing_so_the_next_run_sends_it(org_people, monkeypatch):
    plan(make_assessment(org_people["acme"], "Acme 2026"), "3.1.2", TODAY + timedelta(days=1))

    def refuse(self, messages):
        raise SMTPException("connection refused")

    monkeypatch.setattr(type(mail.mailers.default), "send_messages", refuse)
    with pytest.raises(SMTPException):
        send_due_reminders(today=TODAY)
    assert not Reminder.objects.exists()
    monkeypatch.undo()
    assert send_due_reminders(today=TODAY) == 2
