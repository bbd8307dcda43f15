from django.conf import settings
from django.core.management.base import BaseCommand
from django.tasks import TaskResultStatus

from timeline.tasks import send_deadline_reminders


class Command(BaseCommand):
    help = (
        "Enqueue today's deadline reminders (30, 7 and 1 day before each deadline, to the organisation's owners and "
        "editors). With TASKS_BACKEND=database the worker (manage.py db_worker, `make worker`) sends them; "
        "otherwise they are sent now. Idempotent: run it daily (see README, Deploying)."
    )

    def handle(self, *args, **options) -> None:
        if not settings.DEADLINE_REMINDERS:
            self.stdout.write("Deadline reminders are off (no EMAIL_HOST, or DEADLINE_REMINDERS=false): nothing sent.")
            return
        result = send_deadline_reminders.enqueue()
        if result.status == TaskResultStatus.SUCCESSFUL:
            n = result.return_value
            self.stdout.write(f"Sent {n} reminder email{'s' if n != 1 else ''}." if n else "No reminder due.")
        elif result.status == TaskResultStatus.FAILED:
            raise RuntimeError(f"The reminder task failed: {result.errors[-1].traceback if result.errors else ''}")
        else:
            self.stdout.write(f"Enqueued the reminder task {result.id}; the worker sends the emails.")
