"""manage.py send_deadline_reminders: enqueues the reminder task; the immediate backend sends at once, the
database backend leaves it to the worker (manage.py db_worker, `make worker`), run here once for real."""

import io
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from assessments.models import Answer
from tests.personas import make_assessment, make_org, make_user
from timeline.models import Reminder

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture(autouse=True)
def reminders_on(settings):
    settings.DEADLINE_REMINDERS = True


def acme_with_a_deadline_in_three_days() -> None:
    org = make_org("Acme", owner=[make_user("owner@acme.test")], viewer=[make_user("viewer@acme.test")])
    Answer.objects.filter(assessment=make_assessment(org, "Acme 2026"), requirement__nist_id="3.1.2").update(
        planned_date=timezone.localdate() + timedelta(days=3))


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_with_the_immediate_backend_the_reminders_are_sent_at_once_and_a_second_run_sends_none():
    acme_with_a_deadline_in_three_days()
    assert run("send_deadline_reminders") == "Sent 1 reminder email.\n"
    assert [m.to for m in mail.outbox] == [["owner@acme.test"]]
    assert run("send_deadline_reminders") == "No reminder due.\n"
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_without_smtp_the_command_says_reminders_are_off_and_sends_nothing(settings):
    settings.DEADLINE_REMINDERS = False
    acme_with_a_deadline_in_three_days()
    assert "Deadline reminders are off" in run("send_deadline_reminders")
    assert mail.outbox == [] and not Reminder.objects.exists()


@pytest.mark.slow
def test_a_real_worker_run_sends_the_enqueued_reminders_and_completes_the_task(catalog_db, settings):
    # Transactional: the worker claims the task in its own transaction (select_for_update / BEGIN EXCLUSIVE), as a
    # separate worker process would.
    settings.TASKS = DATABASE_TASKS
    acme_with_a_deadline_in_three_days()
    out = run("send_deadline_reminders")
    task = DBTaskResult.objects.get()
    assert out == f"Enqueued the reminder task {task.id}; the worker sends the emails.\n"
    assert task.status == "READY" and mail.outbox == []
    call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0", verbosity=0)
    task.refresh_from_db()
    assert task.status == "SUCCESSFUL" and task.return_value == 1
    assert task.task_path == "timeline.tasks.send_deadline_reminders"
    assert [m.to for m in mail.outbox] == [["owner@acme.test"]]
    assert Reminder.objects.count() == 1
    call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0", verbosity=0)  # nothing left
    assert len(mail.outbox) == 1
