"""Background tasks (Django's task framework; settings.TASKS: immediate, or django-tasks-db's worker)."""

from django.tasks import task
from django.utils import timezone

from .reminders import send_due_reminders


@task
def send_deadline_reminders() -> int:
    """Today's deadline reminders; idempotent, so enqueueing it twice a day sends nothing twice."""
    return send_due_reminders(today=timezone.localdate())
