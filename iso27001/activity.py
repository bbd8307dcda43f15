"""The ISO 27001 head start's part of the assessment's activity log (assessments/activity.py, registered in
apps.py): one query, each head start's controls counted in it."""

from collections.abc import Iterator

from django.db.models import Count

from assessments.activity import Entry, oldest_first, sentence
from assessments.models import Assessment

from .models import Edition, HeadStart


def _head_start_entries(rows: list[dict]) -> Iterator[Entry]:
    editions = dict(Edition.choices)
    for row in rows:
        if row["history_type"] == "-":
            yield sentence(row, "ISO 27001 head start", "removed")
        else:  # each save writes one row, holding the controls then selected
            count = row["controls_count"]
            yield sentence(row, "ISO 27001 head start:", f"{count} control{'' if count == 1 else 's'} selected "
                                                         f"({editions.get(row['edition'], row['edition'])})")


def head_start_entries(assessment: Assessment) -> list[Entry]:
    head_starts = HeadStart.history.filter(assessment_id=assessment.pk).annotate(
        controls_count=Count("historicalheadstart_controls"))
    return list(_head_start_entries(oldest_first(head_starts, "edition", "controls_count")))
