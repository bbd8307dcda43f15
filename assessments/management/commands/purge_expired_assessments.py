from django.core.management.base import BaseCommand
from django.utils import timezone

from accounts import security
from assessments.models import Assessment
from assessments.writes import purge_expired_assessments


def _count(n: int) -> str:
    return f"{n} expired anonymous assessment{'s' if n != 1 else ''} (and {'their' if n != 1 else 'its'} answers)"


class Command(BaseCommand):
    help = (
        "Delete for good every anonymous assessment whose last change is more than ANONYMOUS_RETENTION_DAYS ago, "
        "with its answers, history, SSP and ISO head start. Organisations' assessments are never touched. "
        "Idempotent: run it daily (see README, Deploying)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="only say how many would be deleted")

    def handle(self, *args, dry_run: bool, **options) -> None:
        now = timezone.now()
        if dry_run:
            n = Assessment.objects.expired_anonymous(now).count()
            self.stdout.write(f"Would delete {_count(n)}." if n else "Nothing to delete.")
            return
        n = purge_expired_assessments(now=now)
        if n:
            security.event(None, "assessment_purge", "success", count=n)
        self.stdout.write(f"Deleted {_count(n)}." if n else "Nothing to delete.")
