"""The activity log of one assessment: who changed what, when, read from the django-simple-history records of the
assessment, its answers and its objective answers (3 queries however long the history)."""

from dataclasses import dataclass
from datetime import datetime

from .models import DUPLICATED_FIELDS, Answer, Assessment, ObjectiveAnswer

ANSWER_TRACKED = ("status", "justification", "note", "evidence", "responsible", "planned_date")
OBJECTIVE_TRACKED = ("status",)
ASSESSMENT_TRACKED = (*DUPLICATED_FIELDS, "organization_id")
# Only short values are shown; for free text the log says that it changed, not what it says.
SHOWN_VALUES = {"status", "target_level", "scope", "objective_mode"}
HISTORY_TYPES = {"+": "created", "~": "changed", "-": "deleted"}


@dataclass(frozen=True)
class Change:
    field: str
    old: str | None
    new: str | None


@dataclass(frozen=True)
class Entry:
    when: datetime
    who: str | None  # the user's email; None for anonymous use
    subject: str  # "3.1.1", "3.1.1[a]" or "settings"
    action: str  # created / changed / deleted
    changes: tuple[Change, ...]
    reason: str | None


def _shown(field: str, value: object) -> str | None:
    if field not in SHOWN_VALUES:
        return None
    return "" if value is None else str(value)


def _entries(rows: list[dict], key: str, subject_field: str | None, tracked: tuple[str, ...]) -> list[Entry]:
    entries = []
    previous: dict[object, dict] = {}
    for row in rows:  # oldest first, so each record is compared with the one before it
        before = previous.get(row[key])
        if before is None or row["history_type"] == "+":
            changes = tuple(Change(f, None, _shown(f, row[f])) for f in tracked if row[f] not in ("", None, False))
        else:
            changes = tuple(Change(f, _shown(f, before[f]), _shown(f, row[f])) for f in tracked if before[f] != row[f])
        previous[row[key]] = row
        if not changes and row["history_type"] == "~":
            continue  # a save that changed nothing we track (e.g. only the timestamp)
        entries.append(Entry(
            when=row["history_date"], who=row["history_user__email"],
            subject=row[subject_field] if subject_field else "settings",
            action=HISTORY_TYPES.get(row["history_type"], row["history_type"]), changes=changes,
            reason=row["history_change_reason"],
        ))
    return entries


def activity(assessment: Assessment, *, limit: int = 300) -> list[Entry]:
    """The newest ``limit`` changes, newest first."""
    common = ("history_date", "history_type", "history_user__email", "history_change_reason")
    answers = list(Answer.history.filter(assessment_id=assessment.pk).order_by("history_date", "history_id").values(
        "id", "requirement__nist_id", *common, *ANSWER_TRACKED))
    objectives = list(ObjectiveAnswer.history.filter(assessment_id=assessment.pk).order_by(
        "history_date", "history_id").values("id", "objective__objective_id", *common, *OBJECTIVE_TRACKED))
    settings = list(Assessment.history.filter(id=assessment.pk).order_by("history_date", "history_id").values(
        "id", *common, *ASSESSMENT_TRACKED))
    entries = (
        _entries(answers, "id", "requirement__nist_id", ANSWER_TRACKED)
        + _entries(objectives, "id", "objective__objective_id", OBJECTIVE_TRACKED)
        + _entries(settings, "id", None, ASSESSMENT_TRACKED)
    )
    entries.sort(key=lambda e: e.when, reverse=True)
    return entries[:limit]
