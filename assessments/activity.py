"""The activity log of one assessment: who changed what, when, read from the django-simple-history records of the
assessment, its answers and objective answers, and what the apps above this one add (the SSP, the ISO 27001 head
start: ssp/activity.py, iso27001/activity.py, registered in their ready()): one query per history model, however
long the history.

Free text is never shown: the log says which fields changed, never what they say (it is a summary; the SSP's
descriptions and the answers' notes may hold what an attacker would like to read).
"""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from django.db import models

from .models import ANSWER_FIELDS, DUPLICATED_FIELDS, Answer, Assessment, ObjectiveAnswer

ANSWER_TRACKED = ANSWER_FIELDS
OBJECTIVE_TRACKED = ("status",)
ASSESSMENT_TRACKED = (*DUPLICATED_FIELDS, "organization_id")
# Only short values are shown; for free text the log says that it changed, not what it says.
SHOWN_VALUES = {"status", "target_level", "scope", "objective_mode"}
HISTORY_TYPES = {"+": "created", "~": "changed", "-": "deleted"}
COMMON = ("history_date", "history_type", "history_user__email", "history_change_reason")


@dataclass(frozen=True)
class Change:
    field: str
    old: str | None
    new: str | None


@dataclass(frozen=True)
class Entry:
    when: datetime
    who: str | None  # the user's email; None for anonymous use
    subject: str  # "3.1.1", "3.1.1[a]", "settings", "SSP: requirement 3.1.1", "ISO 27001 head start:", ...
    action: str  # created / changed / deleted; for the SSP and the head start, what happened in words
    changes: tuple[Change, ...]
    reason: str | None


# An app's part of the log: its entries for the assessment, in a fixed number of queries.
Source = Callable[[Assessment], Iterable[Entry]]
SOURCES: list[Source] = []


def register_activity_source(source: Source) -> None:
    if source not in SOURCES:
        SOURCES.append(source)


# The log speaks in words: a field by its label, a choice by its name ("Not met", never "not_met").
FIELD_LABELS = {"organization_id": "organisation", "objective_mode": "objective mode", "status": "status"}


def _label(model: type[models.Model], field: str) -> str:
    return FIELD_LABELS.get(field) or str(model._meta.get_field(field).verbose_name)


def _shown(model: type[models.Model], field: str, value: object) -> str | None:
    if field not in SHOWN_VALUES:
        return None
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "on" if value else "off"
    choices = dict(model._meta.get_field(field).flatchoices)
    return str(choices.get(value, value))


def _entries(rows: list[dict], key: str, subject_field: str | None, tracked: tuple[str, ...],
             model: type[models.Model]) -> list[Entry]:
    entries = []
    previous: dict[object, dict] = {}
    for row in rows:  # oldest first, so each record is compared with the one before it
        before = previous.get(row[key])
        if before is None or row["history_type"] == "+":
            changes = tuple(Change(_label(model, f), None, _shown(model, f, row[f])) for f in tracked
                            if row[f] not in ("", None, False))
        else:
            changes = tuple(Change(_label(model, f), _shown(model, f, before[f]), _shown(model, f, row[f]))
                            for f in tracked if before[f] != row[f])
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


# --- For the sources: a sentence per change -----------------------------------------------------------------------


def with_previous(rows: Iterable[dict]) -> Iterator[tuple[dict, dict | None]]:
    """Each history row (oldest first) with the one before it of the same object; None for its first row, which
    for a row saved before its model kept history is not its creation."""
    previous: dict[object, dict] = {}
    for row in rows:
        yield row, previous.get(row["id"])
        previous[row["id"]] = row


def changed_fields(row: dict, before: dict, tracked: tuple[str, ...]) -> list[str]:
    return [name for name in tracked if row[name] != before[name]]


def sentence(row: dict, subject: str, action: str, changes: tuple[Change, ...] = ()) -> Entry:
    return Entry(when=row["history_date"], who=row["history_user__email"], subject=subject, action=action,
                 changes=changes, reason=row["history_change_reason"])


def oldest_first(queryset: models.QuerySet, *fields: str) -> list[dict]:
    return list(queryset.order_by("history_date", "history_id").values("id", *COMMON, *fields))


def activity(assessment: Assessment, *, limit: int = 300) -> list[Entry]:
    """The newest ``limit`` changes, newest first: the assessment's own, then each registered source's."""
    answers = oldest_first(Answer.history.filter(assessment_id=assessment.pk), "requirement__nist_id",
                           *ANSWER_TRACKED)
    objectives = oldest_first(ObjectiveAnswer.history.filter(assessment_id=assessment.pk),
                              "objective__objective_id", *OBJECTIVE_TRACKED)
    settings = oldest_first(Assessment.history.filter(id=assessment.pk), *ASSESSMENT_TRACKED)
    entries = (
        _entries(answers, "id", "requirement__nist_id", ANSWER_TRACKED, Answer)
        + _entries(objectives, "id", "objective__objective_id", OBJECTIVE_TRACKED, ObjectiveAnswer)
        + _entries(settings, "id", None, ASSESSMENT_TRACKED, Assessment)
    )
    for source in SOURCES:
        entries += source(assessment)
    entries.sort(key=lambda e: e.when, reverse=True)
    return entries[:limit]
