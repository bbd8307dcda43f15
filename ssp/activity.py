"""The SSP's part of the assessment's activity log (assessments/activity.py, registered in apps.py): a sentence per
change to the plan, its contacts, its table rows, its diagram and its versions, saying which fields changed, never
what they say. One query per history model."""

from collections.abc import Iterator

from django.db import models

from assessments.activity import Entry, changed_fields, oldest_first, sentence, with_previous
from assessments.models import Assessment

from .models import (
    Contact,
    ContactRole,
    HardwareItem,
    Interconnection,
    NetworkDiagram,
    PlanReview,
    PolicyDocument,
    ServiceProvider,
    SoftwareItem,
    SspVersion,
    SystemSecurityPlan,
    UserRole,
)

# The SSP's own fields, by the step that edits them.
PLAN_SECTIONS = (
    ("identification", ("system_name", "system_identifier", "categorization", "org_name", "org_address", "org_phone",
                        "purpose", "cui_categories", "cui_other", "narrative_variant")),
    ("environment", ("boundary", "environment", "hardware_reference", "software_reference", "maintained_by_org",
                     "maintenance_explanation", "diagram_none_reason")),
    ("plan details", ("review_frequency", "approver_name", "approver_title", "approval_date", "cui_banner",
                      "cui_controlled_by", "cui_category_marking", "cui_dissemination", "cui_poc")),
)
PLAN_TRACKED = tuple(name for _, names in PLAN_SECTIONS for name in names)
CONTACT_TRACKED = ("name", "title", "address", "phone", "email")
DIAGRAM_TRACKED = ("sha256", "caption")
TABLES: tuple[tuple[type[models.Model], str], ...] = (
    (UserRole, "user roles"), (HardwareItem, "hardware"), (SoftwareItem, "software"),
    (Interconnection, "interconnections"), (ServiceProvider, "service providers"), (PolicyDocument, "policies"),
    (PlanReview, "review log"),
)
# Where a field's verbose name reads badly in "… edited".
LABELS = {
    "description": "description", "rationale": "not-applicable rationale", "status": "status",
    "maintained_by_org": "maintained by the organization", "maintenance_explanation": "maintenance explanation",
    "approver_name": "approver's name", "cui_banner": "CUI page marking", "org_address": "organization address",
    "org_phone": "organization phone", "cui_controlled_by": "CUI “controlled by”",
    "cui_category_marking": "CUI category marking", "cui_dissemination": "CUI dissemination control",
    "cui_poc": "CUI point of contact",
}


def _labels(model: type[models.Model], names: list[str]) -> str:
    return ", ".join(LABELS.get(name) or str(model._meta.get_field(name).verbose_name) for name in names)


def _plan_entries(rows: list[dict]) -> Iterator[Entry]:
    for row, before in with_previous(rows):
        if row["history_type"] == "+":
            yield sentence(row, "SSP", "started")
        elif row["history_type"] == "-":
            yield sentence(row, "SSP", "deleted")
        elif before is None:
            yield sentence(row, "SSP", "edited")
        elif changed := changed_fields(row, before, PLAN_TRACKED):
            sections = [section for section, names in PLAN_SECTIONS if set(names) & set(changed)]
            subject = f"SSP: {sections[0]}" if len(sections) == 1 else "SSP"
            yield sentence(row, subject, f"{_labels(SystemSecurityPlan, changed)} edited")


def _contact_entries(rows: list[dict]) -> Iterator[Entry]:
    roles = dict(ContactRole.choices)
    for row, before in with_previous(rows):
        subject = f"SSP: {roles.get(row['role'], row['role']).lower()} contact"
        if row["history_type"] == "-":
            yield sentence(row, subject, "deleted")
        elif row["history_type"] == "+":
            # Created empty with the plan (nothing to show), or filled in on the identification step.
            if changed := [name for name in CONTACT_TRACKED if row[name]]:
                yield sentence(row, subject, f"{_labels(Contact, changed)} edited")
        elif before is None:
            yield sentence(row, subject, "edited")
        elif changed := changed_fields(row, before, CONTACT_TRACKED):
            yield sentence(row, subject, f"{_labels(Contact, changed)} edited")


def _table_entries(rows: list[dict], model: type[models.Model], table: str) -> Iterator[Entry]:
    tracked = _row_fields(model)
    subject = f"SSP: {table} table"
    for row, before in with_previous(rows):
        if row["history_type"] == "+":
            yield sentence(row, subject, "row added")
        elif row["history_type"] == "-":
            yield sentence(row, subject, "row deleted")
        elif before is None:
            yield sentence(row, subject, "row edited")
        elif changed := changed_fields(row, before, tracked):
            yield sentence(row, subject, f"row edited ({_labels(model, changed)})")


def _diagram_entries(rows: list[dict]) -> Iterator[Entry]:
    subject = "SSP: network diagram"
    for row, before in with_previous(rows):
        if row["history_type"] == "+":
            yield sentence(row, subject, "uploaded")
        elif row["history_type"] == "-":
            yield sentence(row, subject, "removed")
        elif before is None:
            yield sentence(row, subject, "changed")
        else:
            parts = (["replaced"] if row["sha256"] != before["sha256"] else []) + (
                ["caption edited"] if row["caption"] != before["caption"] else [])
            if parts:
                yield sentence(row, subject, " and ".join(parts))


def _version_entries(rows: list[dict]) -> Iterator[Entry]:
    for row in rows:
        subject = f"SSP: version {row['label']}"  # as the user wrote it ("0.9"), not its sequence number
        if row["history_type"] == "+":
            yield sentence(row, subject, f"generated ({'draft' if row['draft'] else 'final'})")
        elif row["history_type"] == "-":
            yield sentence(row, subject, "deleted")
        # A version is never changed once generated; a "~" row would be a save of the same bytes.


def _row_fields(model: type[models.Model]) -> tuple[str, ...]:
    return tuple(f.name for f in model._meta.concrete_fields if f.name not in ("id", "ssp"))


def plan_entries(assessment: Assessment) -> list[Entry]:
    """One query per history model. Row histories are found through the plan's history, so rows of a plan are
    found by plan id whatever happened to the plan itself."""
    plans = SystemSecurityPlan.history.filter(assessment_id=assessment.pk)
    of_plan = {"ssp_id__in": plans.values("id")}
    entries: list[Entry] = []
    entries += _plan_entries(oldest_first(plans, *PLAN_TRACKED))
    entries += _contact_entries(oldest_first(Contact.history.filter(**of_plan), "role", *CONTACT_TRACKED))
    for model, table in TABLES:
        entries += _table_entries(oldest_first(model.history.filter(**of_plan), *_row_fields(model)), model, table)
    entries += _diagram_entries(oldest_first(NetworkDiagram.history.filter(**of_plan), *DIAGRAM_TRACKED))
    entries += _version_entries(oldest_first(SspVersion.history.filter(**of_plan), "label", "draft"))
    return entries
