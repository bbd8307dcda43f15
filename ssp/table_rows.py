"""The rows of the plan's tables: typed values (dates as dates, counts as numbers), and ``cells``, how both renderers
print them (and what the document's size counts)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import singledispatch

from .models import Responsibility
from .text import iso_date


@dataclass(frozen=True)
class UserRoleRow:
    role: str
    users: int
    privileged_users: int
    total: bool = False  # the last row: the sums of the roles above (``role`` says "Total")


@dataclass(frozen=True)
class HardwareRow:
    component: str
    make_model: str
    version: str
    responsible: str


@dataclass(frozen=True)
class SoftwareRow:
    name: str
    vendor: str
    version: str
    purpose: str
    responsible: str


@dataclass(frozen=True)
class InterconnectionRow:
    system: str
    owner: str
    connection: str
    data: str
    agreement: str


@dataclass(frozen=True)
class ProviderRow:
    name: str
    service: str
    responsibility: str  # a Responsibility value; "" if not given
    notes: str


@dataclass(frozen=True)
class ChangeRow:
    """A row of the record of changes: a generated version."""

    version: str
    date: date
    description: str
    made_by: str


@dataclass(frozen=True)
class Milestone:
    on: date | None  # None: a milestone written without a date
    text: str


@dataclass(frozen=True)
class PoamRow:
    """An open requirement of the POA&M (assessments.poam.build_poam_rows), with what a POA&M must contain
    (38 U.S.C. 5727(16)): the weakness, who identified it and when, the responsible person, the resources required,
    milestones with dates, the scheduled completion date, changes to the milestones, and the status."""

    requirement: str  # the NIST id
    cmmc_id: str
    title: str
    state: str  # the assessment's status in words ("Not met", "Partially met", "Unanswered ...")
    points: int | None  # points recoverable; None for a Level 1 assessment
    poam_eligible: bool
    why_not: str  # why it may not be on a POA&M
    weakness: str
    identified_by: str
    identified_on: date | None
    responsible: str
    resources: str
    milestones: tuple[Milestone, ...]
    planned_date: date | None  # the scheduled completion date
    milestone_changes: str
    status: str  # the row's status: "Open" or "Partially implemented"

    @property
    def anchor(self) -> str:
        """The row's bookmark: each requirement block links here."""
        return "poam-" + self.requirement.replace(".", "-")


@dataclass(frozen=True)
class AcronymRow:
    acronym: str
    meaning: str


@dataclass(frozen=True)
class PolicyRow:
    title: str
    reference: str
    version: str


@dataclass(frozen=True)
class ReviewRow:
    """A review of the plan (3.12.4[h]), apart from the generated versions."""

    date: date
    reviewer: str
    outcome: str


TableRow = (UserRoleRow | HardwareRow | SoftwareRow | InterconnectionRow | ProviderRow | ChangeRow | PoamRow
            | AcronymRow | PolicyRow | ReviewRow)
RESPONSIBILITY_LABELS = dict(Responsibility.choices)


@singledispatch
def cells(row: TableRow) -> tuple[str, ...]:
    """A table row as text, one string per column: what the DOCX and the PDF print, and what ``size`` counts."""
    raise TypeError(f"not a table row: {row!r}")


@cells.register
def _(row: UserRoleRow) -> tuple[str, ...]:
    return row.role, str(row.users), str(row.privileged_users)


@cells.register
def _(row: HardwareRow) -> tuple[str, ...]:
    return row.component, row.make_model, row.version, row.responsible


@cells.register
def _(row: SoftwareRow) -> tuple[str, ...]:
    return row.name, row.vendor, row.version, row.purpose, row.responsible


@cells.register
def _(row: InterconnectionRow) -> tuple[str, ...]:
    return row.system, row.owner, row.connection, row.data, row.agreement


@cells.register
def _(row: ProviderRow) -> tuple[str, ...]:
    return row.name, row.service, RESPONSIBILITY_LABELS.get(row.responsibility, ""), row.notes


@cells.register
def _(row: ChangeRow) -> tuple[str, ...]:
    return row.version, iso_date(row.date), row.description, row.made_by


# The POA&M's columns, in the order 38 U.S.C. 5727(16) lists a POA&M's contents, after the requirement itself.
POAM_HEADERS = ("Requirement", "Weakness", "Responsible", "Resources required", "Scheduled completion",
                "Milestones with dates", "Changes to milestones", "Identified by", "Status")
POAM_WIDTHS = (13, 17, 9, 11, 9, 15, 10, 8, 8)


@cells.register
def _(row: PoamRow) -> tuple[str, ...]:
    points = "" if row.points is None else f"\n{row.points} point{'' if row.points == 1 else 's'}"
    cmmc = f" ({row.cmmc_id})" if row.cmmc_id else ""
    eligible = "" if row.poam_eligible else f"\nMay not stay on a POA&M. {row.why_not}".rstrip()
    found = "\n".join(p for p in (row.identified_by, iso_date(row.identified_on)) if p)
    milestones = "\n".join(f"{iso_date(m.on)}: {m.text}" if m.on else m.text for m in row.milestones)
    return (f"{row.requirement}{cmmc} {row.title}{points}", f"{row.weakness}{eligible}".strip(), row.responsible,
            row.resources, iso_date(row.planned_date), milestones, row.milestone_changes, found,
            f"{row.status}\n{row.state}")


@cells.register
def _(row: AcronymRow) -> tuple[str, ...]:
    return row.acronym, row.meaning


@cells.register
def _(row: PolicyRow) -> tuple[str, ...]:
    return row.title, row.reference, row.version


@cells.register
def _(row: ReviewRow) -> tuple[str, ...]:
    return iso_date(row.date), row.reviewer, row.outcome
