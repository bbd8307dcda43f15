"""Email reminders of deadlines, to the owners and editors of the assessment's organisation.

A deadline is reminded once in each window it enters: 30 days before, 7 days before, and the day before (or on the
day). A run sends what is due and not yet sent, and records it (``Reminder``, unique per deadline, date and window):
a second run, or a second worker, sends nothing twice. A run that missed a window (the worker was down) sends only
the nearest one. Anonymous assessments have nobody to write to. The task (tasks.py) runs it; README, Deploying.

The email gives the date and kind of each deadline and a link; it never names an open requirement (an assessment
is a map of a company's weaknesses, and email is not the place for it): the deadlines page, behind sign-in, has them.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from itertools import batched

from django.conf import settings
from django.core.mail import EmailMessage, mailers
from django.db import IntegrityError, transaction
from django.urls import reverse

from assessments.models import Assessment
from assessments.records import score_assessments
from cmmc_site.links import absolute_url
from orgs.models import Membership, Role

from .deadlines import Deadline, deadlines_for
from .models import Reminder

WINDOWS = (1, 7, 30)  # days before a deadline, nearest first
CHUNK = 200  # assessments read at once: memory stays bounded on a large site


def window(due: date, today: date) -> int | None:
    """The nearest window the deadline is in today (1 also covers the day itself), None if none or past."""
    left = (due - today).days
    return None if left < 0 else next((days for days in WINDOWS if left <= days), None)


@dataclass(frozen=True)
class Due:
    deadline: Deadline
    days_before: int


def _line(due: Due, today: date) -> str:
    deadline = due.deadline
    title = "Planned completion of an open requirement" if deadline.kind == "planned" else deadline.title
    left = (deadline.due - today).days
    when = "today" if left == 0 else "tomorrow" if left == 1 else f"in {left} days"
    return f"- {deadline.due:%Y-%m-%d} ({when}): {title}"


def _message(assessment: Assessment, rows: Sequence[Due], today: date, to: str) -> EmailMessage:
    name = " ".join(assessment.organization_name.split())  # one line for the subject, whatever was typed
    soonest = min(d.deadline.due for d in rows)
    body = "\n".join([
        f"Deadlines of the assessment {name} ({assessment.organization.name}) on CMMC Ready:", "",
        *(_line(d, today) for d in sorted(rows, key=lambda d: (d.deadline.due, d.deadline.key))), "",
        "Every deadline, with how it is counted and a calendar file:",
        absolute_url(reverse("timeline:calendar", args=[assessment.public_id])), "",
        f"You receive this as an owner or editor of {assessment.organization.name}. Each deadline is reminded 30 "
        "days, 7 days and 1 day before it.",
    ])
    return EmailMessage(f"[CMMC Ready] {name}: a deadline on {soonest:%Y-%m-%d}", body, None, [to])


def _recipients(organization_ids: set[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for org, email in Membership.objects.filter(
            organization_id__in=organization_ids, role__in=[Role.OWNER, Role.EDITOR], user__is_active=True,
    ).exclude(user__email="").order_by("user__email").values_list("organization_id", "user__email"):
        found.setdefault(org, []).append(email)
    return found


def _send(assessment: Assessment, rows: list[Due], today: date, to: list[str]) -> int:
    """Record, then send; a failed send rolls the record back (retried next run), and a record another run made
    first (IntegrityError) means that run sends them."""
    try:
        with transaction.atomic():
            Reminder.objects.bulk_create(Reminder(
                assessment=assessment, deadline_key=d.deadline.key, due=d.deadline.due, days_before=d.days_before,
                recipients="\n".join(to)) for d in rows)
            return mailers.default.send_messages([_message(assessment, rows, today, email) for email in to])
    except IntegrityError:
        return 0


def _send_chunk(assessments: list[Assessment], today: date) -> int:
    found = deadlines_for(assessments, score_assessments(assessments))
    sent_before = set(Reminder.objects.filter(assessment__in=assessments, due__gte=today).values_list(
        "assessment_id", "deadline_key", "due", "days_before"))
    recipients = _recipients({a.organization_id for a in assessments})
    sent = 0
    for assessment in assessments:
        rows = [Due(d, days) for d in found[assessment.pk] if (days := window(d.due, today)) is not None
                and (assessment.pk, d.key, d.due, days) not in sent_before]
        if rows and recipients.get(assessment.organization_id):
            sent += _send(assessment, rows, today, recipients[assessment.organization_id])
    return sent


def send_due_reminders(*, today: date) -> int:
    """Send every reminder due ``today`` and not sent before; the number of emails sent. Nothing when reminders
    are off (settings.DEADLINE_REMINDERS: on with SMTP)."""
    if not settings.DEADLINE_REMINDERS:
        return 0
    assessments = Assessment.objects.filter(organization__isnull=False).select_related("organization").order_by("pk")
    return sum(_send_chunk(list(chunk), today) for chunk in batched(assessments.iterator(chunk_size=CHUNK), CHUNK))
