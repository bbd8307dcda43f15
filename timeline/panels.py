"""The dashboard's panel of upcoming deadlines (registered in apps.py; assessments/panels.py)."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.utils import timezone

from assessments import scoring
from assessments.models import Assessment
from assessments.panels import Panel

from .deadlines import Deadline, deadlines_for

DASHBOARD_DEADLINES = 5  # per organisation: the soonest; the calendar page of each assessment lists them all


@dataclass(frozen=True)
class Upcoming:
    assessment: Assessment
    deadline: Deadline


def upcoming_deadlines(assessments: Sequence[Assessment], results: Mapping[int, scoring.Result]) -> Panel:
    """The next deadlines (due today or later) of each organisation's assessments, soonest first; three queries
    whatever the number of assessments (``deadlines_for``)."""
    today = timezone.localdate()
    found = deadlines_for(assessments, results)
    by_org: dict[int, list[Upcoming]] = {}
    for assessment in assessments:
        by_org.setdefault(assessment.organization_id, []).extend(
            Upcoming(assessment, d) for d in found[assessment.pk] if d.due >= today)
    items = {org: sorted(rows, key=lambda u: (u.deadline.due, u.assessment.organization_name, u.deadline.key))
             [:DASHBOARD_DEADLINES] for org, rows in by_org.items()}
    return Panel(template="timeline/_dashboard_deadlines.html", items=items)
