"""The activity log of one assessment: who changed what, when, read from the django-simple-history records of the
assessment, its answers and objective answers, its System Security Plan (the plan and each of its row models) and
its ISO 27001 head start: one query per history model, however long the history.

Free text is never shown: the log says which fields changed, never what they say (it is a summary; the SSP's
descriptions and the answers' notes may hold what an attacker would like to read).
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from django.db import models
from django.db.models import Count

from iso27001.models import Edition, HeadStart
from ssp.models import (
    Contact,
    ContactRole,
    HardwareItem,
    Interconnection,
    NetworkDiagram,
    ServiceProvider,
    SoftwareItem,
    SspVersion,
    SystemSecurityPlan,
    UserRole,
)

from .models import ANSWER_FIELDS, DUPLICATED_FIELDS, Answer, Assessment, ObjectiveAnswer

ANSWER_TRACKED = ANSWER_FIELDS
OBJECTIVE_TRACKED = ("status",)
ASSESSMENT_TRACKED = (*DUPLICATED_FIELDS, "organization_id")
# Only short values are shown; for free text the log says that it changed, not what it says.
SHOWN_VALUES = {"status", "target_level", "scope", "objective_mode"}
HISTORY_TYPES = {"+": "created", "~": "changed", "-": "deleted"}
COMMON = ("history_date", "history_type", "history_user__email", "history_change_reason")

# The SSP's own fields, by the step that edits them.
PLAN_SECTIONS = (
    ("identification", ("system_name", "system_identifier", "categorization", "org_name", "org_address", "org_phone",
                        "purpose", "cui_categories", "cui_other")),
    ("environment", ("boundary", "environment", "hardware_reference", "software_reference", "maintained_by_org",
                     "maintenance_explanation")),
    ("plan details", ("review_frequency", "approver_name", "approver_title", "cui_banner")),
)
PLAN_TRACKED = tuple(name for _, names in PLAN_SECTIONS for name in names)
CONTACT_TRACKED = ("name", "title", "address", "phone", "email")
DIAGRAM_TRACKED = ("sha256", "caption")
TABLES: tuple[tuple[type[models.Model], str], ...] = (
    (UserRole, "user roles"), (HardwareItem, "hardware"), (SoftwareItem, "software"),
    (Interconnection, "interconnections"), (ServiceProvider, "service providers"),
)
# Where a field's verbose name reads badly in "… edited".
LABELS = {
    "description": "description", "rationale": "not-applicable rationale", "status": "status",
    "maintained_by_org": "maintained by the organization", "maintenance_explanation": "maintenance explanation",
    "approver_name": "approver's name", "cui_banner": "CUI page marking", "org_address": "organization address",
    "org_phone": "organization phone",
}


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


# --- The SSP and the ISO 27001 head start: a sentence per change --------------------------------------------------


def _with_previous(rows: Iterable[dict]) -> Iterator[tuple[dict, dict | None]]:
    """Each history row (oldest first) with the one before it of the same object; None for its first row, which
    for a row saved before its model kept history is not its creation."""
    previous: dict[object, dict] = {}
    for row in rows:
        yield row, previous.get(row["id"])
        previous[row["id"]] = row


def _changed(row: dict, before: dict, tracked: tuple[str, ...]) -> list[str]:
    return [name for name in tracked if row[name] != before[name]]


def _labels(model: type[models.Model], names: list[str]) -> str:
    return ", ".join(LABELS.get(name) or str(model._meta.get_field(name).verbose_name) for name in names)


def _sentence(row: dict, subject: str, action: str, changes: tuple[Change, ...] = ()) -> Entry:
    return Entry(when=row["history_date"], who=row["history_user__email"], subject=subject, action=action,
                 changes=changes, reason=row["history_change_reason"])


def _plan_entries(rows: list[dict]) -> Iterator[Entry]:
    for row, before in _with_previous(rows):
        if row["history_type"] == "+":
            yield _sentence(row, "SSP", "started")
        elif row["history_type"] == "-":
            yield _sentence(row, "SSP", "deleted")
        elif before is None:
            yield _sentence(row, "SSP", "edited")
        elif changed := _changed(row, before, PLAN_TRACKED):
            sections = [section for section, names in PLAN_SECTIONS if set(names) & set(changed)]
            subject = f"SSP: {sections[0]}" if len(sections) == 1 else "SSP"
            yield _sentence(row, subject, f"{_labels(SystemSecurityPlan, changed)} edited")


def _contact_entries(rows: list[dict]) -> Iterator[Entry]:
    roles = dict(ContactRole.choices)
    for row, before in _with_previous(rows):
        subject = f"SSP: {roles.get(row['role'], row['role']).lower()} contact"
        if row["history_type"] == "-":
            yield _sentence(row, subject, "deleted")
        elif row["history_type"] == "+":
            # Created empty with the plan (nothing to show), or filled in on the identification step.
            if changed := [name for name in CONTACT_TRACKED if row[name]]:
                yield _sentence(row, subject, f"{_labels(Contact, changed)} edited")
        elif before is None:
            yield _sentence(row, subject, "edited")
        elif changed := _changed(row, before, CONTACT_TRACKED):
            yield _sentence(row, subject, f"{_labels(Contact, changed)} edited")


def _table_entries(rows: list[dict], model: type[models.Model], table: str) -> Iterator[Entry]:
    tracked = _row_fields(model)
    subject = f"SSP: {table} table"
    for row, before in _with_previous(rows):
        if row["history_type"] == "+":
            yield _sentence(row, subject, "row added")
        elif row["history_type"] == "-":
            yield _sentence(row, subject, "row deleted")
        elif before is None:
            yield _sentence(row, subject, "row edited")
        elif changed := _changed(row, before, tracked):
            yield _sentence(row, subject, f"row edited ({_labels(model, changed)})")


def _diagram_entries(rows: list[dict]) -> Iterator[Entry]:
    subject = "SSP: network diagram"
    for row, before in _with_previous(rows):
        if row["history_type"] == "+":
            yield _sentence(row, subject, "uploaded")
        elif row["history_type"] == "-":
            yield _sentence(row, subject, "removed")
        elif before is None:
            yield _sentence(row, subject, "changed")
        else:
            parts = (["replaced"] if row["sha256"] != before["sha256"] else []) + (
                ["caption edited"] if row["caption"] != before["caption"] else [])
            if parts:
                yield _sentence(row, subject, " and ".join(parts))


def _version_entries(rows: list[dict]) -> Iterator[Entry]:
    for row in rows:
        subject = f"SSP: version {row['number']}"
        if row["history_type"] == "+":
            yield _sentence(row, subject, f"generated ({'draft' if row['draft'] else 'final'})")
        elif row["history_type"] == "-":
            yield _sentence(row, subject, "deleted")
        # A version is never changed once generated; a "~" row would be a save of the same bytes.


def _head_start_entries(rows: list[dict]) -> Iterator[Entry]:
    editions = dict(Edition.choices)
    for row in rows:
        if row["history_type"] == "-":
            yield _sentence(row, "ISO 27001 head start", "removed")
        else:  # each save writes one row, holding the controls then selected
            count = row["controls_count"]
            yield _sentence(row, "ISO 27001 head start:", f"{count} control{'' if count == 1 else 's'} selected "
                                                          f"({editions.get(row['edition'], row['edition'])})")


def _row_fields(model: type[models.Model]) -> tuple[str, ...]:
    return tuple(f.name for f in model._meta.concrete_fields if f.name not in ("id", "ssp"))


def _oldest_first(queryset: models.QuerySet, *fields: str) -> list[dict]:
    return list(queryset.order_by("history_date", "history_id").values("id", *COMMON, *fields))


def _ssp_and_iso_entries(assessment: Assessment) -> list[Entry]:
    """One query per history model. Row histories are found through the plan's history, so rows of a plan are
    found by plan id whatever happened to the plan itself."""
    plans = SystemSecurityPlan.history.filter(assessment_id=assessment.pk)
    of_plan = {"ssp_id__in": plans.values("id")}
    entries: list[Entry] = []
    entries += _plan_entries(_oldest_first(plans, *PLAN_TRACKED))
    entries += _contact_entries(_oldest_first(Contact.history.filter(**of_plan), "role", *CONTACT_TRACKED))
    for model, table in TABLES:
        entries += _table_entries(_oldest_first(model.history.filter(**of_plan), *_row_fields(model)), model, table)
    entries += _diagram_entries(_oldest_first(NetworkDiagram.history.filter(**of_plan), *DIAGRAM_TRACKED))
    entries += _version_entries(_oldest_first(SspVersion.history.filter(**of_plan), "number", "draft"))
    head_starts = HeadStart.history.filter(assessment_id=assessment.pk).annotate(
        controls_count=Count("historicalheadstart_controls"))
    entries += _head_start_entries(_oldest_first(head_starts, "edition", "controls_count"))
    return entries


def activity(assessment: Assessment, *, limit: int = 300) -> list[Entry]:
    """The newest ``limit`` changes, newest first."""
    answers = _oldest_first(Answer.history.filter(assessment_id=assessment.pk), "requirement__nist_id",
                            *ANSWER_TRACKED)
    objectives = _oldest_first(ObjectiveAnswer.history.filter(assessment_id=assessment.pk),
                               "objective__objective_id", *OBJECTIVE_TRACKED)
    settings = _oldest_first(Assessment.history.filter(id=assessment.pk), *ASSESSMENT_TRACKED)
    entries = (
        _entries(answers, "id", "requirement__nist_id", ANSWER_TRACKED)
        + _entries(objectives, "id", "objective__objective_id", OBJECTIVE_TRACKED)
        + _entries(settings, "id", None, ASSESSMENT_TRACKED)
        + _ssp_and_iso_entries(assessment)
    )
    entries.sort(key=lambda e: e.when, reverse=True)
    return entries[:limit]
