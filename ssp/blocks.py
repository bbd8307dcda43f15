"""The SSP as one framework-free tree of plain dataclasses: what the document says, and nothing of how it looks.

``document.build_document`` builds it from the database; both renderers (``render_docx``, ``render_pdf``) walk it
and nothing else, so the DOCX and the PDF carry the same content. All user text is cleaned once, when the tree is
built (``clean``): characters XML (and so Word) cannot hold are removed and line ends are normalised. The tree is
plain picklable data: the PDF is rendered from it in a child process (ssp/jobs.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from functools import singledispatch
from typing import ClassVar

from assessments.spreadsheets import XML_ILLEGAL_RE

from .models import ImplementationStatus, Responsibility

NOT_PROVIDED = "Not provided."
# The most text one document may hold (all of it: user text, requirement text, tables), about 150 pages. It bounds
# the render: the PDF of a plan at this size takes about 10 s of CPU, well inside settings.RENDER_TIMEOUT, whereas
# every field at its own limit (about 1.4 million characters) took over 30 s. See docs/ssp.md.
MAX_PLAN_CHARS = 400_000
STATUS_LABELS = dict(ImplementationStatus.choices)


# Bidirectional embedding, override and isolate controls: in a document they make text display other than it reads
# ("evil" shown as "live"), so they never reach one. Right-to-left scripts still display right to left without them.
BIDI_CONTROLS_RE = re.compile("[\u202a-\u202e\u2066-\u2069]")


def clean(value: object) -> str:
    """User text as every renderer may take it: XML-legal characters only, no bidi controls, ``\\n`` line ends, no
    trailing space."""
    text = "" if value is None else str(value)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = BIDI_CONTROLS_RE.sub("", XML_ILLEGAL_RE.sub("", text))
    return "\n".join(line.rstrip() for line in text.split("\n")).strip("\n")


# Break opportunities inside very long unbroken runs, for the PDF: WeasyPrint's line breaking is quadratic in the
# length of a word it has to split (one 100 KB word took two minutes), so no run of visible characters stays longer.
SOFT_BREAK_EVERY = 24
_LONG_RUN_RE = re.compile(rf"(\S{{{SOFT_BREAK_EVERY}}})(?=\S)")


def soften(text: str) -> str:
    """Insert a zero-width space after every SOFT_BREAK_EVERY visible characters in a row."""
    return _LONG_RUN_RE.sub("\\1\u200b", text)


def long_date(value: date | None) -> str:
    return f"{value:%B} {value.day}, {value.year}" if value else ""


def iso_date(value: date | None) -> str:
    return value.isoformat() if value else ""


@dataclass(frozen=True)
class Heading:
    kind: ClassVar[str] = "heading"
    level: int  # 2: in the table of contents; 3: below it
    number: str
    text: str
    anchor: str

    @property
    def full(self) -> str:
        return f"{self.number} {self.text}" if self.number else self.text


@dataclass(frozen=True)
class Paragraph:
    kind: ClassVar[str] = "paragraph"
    text: str
    style: str = "body"  # body | instruction | flag


@dataclass(frozen=True)
class Fields:
    kind: ClassVar[str] = "fields"
    rows: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class BulletList:
    kind: ClassVar[str] = "list"
    items: tuple[str, ...]
    empty: str = NOT_PROVIDED


# --- Table rows: typed values (dates as dates, counts as numbers); ``cells`` is how both renderers print them ------


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


@dataclass(frozen=True)
class Table:
    kind: ClassVar[str] = "table"
    headers: tuple[str, ...]
    rows: tuple[TableRow, ...]
    widths: tuple[int, ...]  # relative column widths, in percent
    empty: str = "None listed."
    small: bool = False


@dataclass(frozen=True)
class Figure:
    kind: ClassVar[str] = "figure"
    name: str  # unique in the document: the PDF renderer serves it under this name
    data: bytes = field(repr=False)
    content_type: str
    width: int
    height: int
    caption: str


@dataclass(frozen=True)
class ObjectiveLine:
    """An SP 800-171A assessment objective of a requirement, with its answer in objective mode."""

    letter: str  # "a", "b", ...
    text: str
    status: str  # "Met", "Not met", "Not applicable", "Not assessed", or "" outside objective mode


@dataclass(frozen=True)
class Detail:
    """A labelled line of a requirement block; ``link`` is an anchor in the document (the POA&M row)."""

    label: str
    value: str
    link: str = ""


@dataclass(frozen=True)
class RequirementEntry:
    kind: ClassVar[str] = "requirement"
    nist_id: str
    family: str
    title: str
    text: str
    status: str
    description: str
    rationale: str
    responsible: str
    poam_reference: str
    planned_date: date | None
    starting_text_pending: bool
    evidence: str = ""
    answered: bool = True
    cmmc_id: str = ""
    points: int | None = None  # the DoD value; None for a Level 1 assessment
    partial_points: int | None = None  # the deduction when partially implemented (3.5.3, 3.13.11)
    deduction: int = 0  # what its status costs now
    objectives: tuple[ObjectiveLine, ...] = ()
    responsibility: str = ""  # a Responsibility value
    provider: str = ""
    na_approved_by: str = ""
    na_approved_on: date | None = None
    on_poam: bool = False  # it has a row in the POA&M appendix (its anchor: ``poam_anchor``)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def anchor(self) -> str:
        return "req-" + self.nist_id.replace(".", "-")

    @property
    def poam_anchor(self) -> str:
        return "poam-" + self.nist_id.replace(".", "-")

    @property
    def heading(self) -> str:
        """"3.1.1 (AC.L2-3.1.1) Authorized Access Control"."""
        return f"{self.nist_id} ({self.cmmc_id}) {self.title}" if self.cmmc_id else f"{self.nist_id} {self.title}"

    @property
    def is_planned(self) -> bool:
        """Open: on the POA&M (planned, or partially implemented with the rest planned)."""
        return self.status in (ImplementationStatus.PLANNED, ImplementationStatus.PARTIAL)

    @property
    def is_na(self) -> bool:
        return self.status == ImplementationStatus.NA

    @property
    def description_label(self) -> str:
        if self.status == ImplementationStatus.PARTIAL:
            return "What is in place, and what is planned"
        return "Planned implementation details" if self.is_planned else "Implementation details"

    @property
    def shows_description(self) -> bool:
        """Not applicable with no description: the rationale says it all, with no empty "Not provided." above it."""
        return bool(self.description) or not self.is_na

    @property
    def description_text(self) -> str:
        return self.description or NOT_PROVIDED

    @property
    def rationale_text(self) -> str:
        return self.rationale or NOT_PROVIDED

    @property
    def flag_text(self) -> str:
        return STARTING_TEXT_FLAG

    @property
    def points_text(self) -> str:
        if self.points is None:
            return ""
        text = f"{self.points} point{'' if self.points == 1 else 's'}"
        if self.partial_points is not None:
            text += f" ({self.partial_points} if partially implemented)"
        return text

    @property
    def responsibility_text(self) -> str:
        label = {"inherited": "Inherited from", "shared": "Shared with"}.get(self.responsibility)
        if label:
            return f"{label} {self.provider}" if self.provider else f"{label} a provider (not named)"
        return "Ours (we do it)" if self.responsibility == "ours" else ""

    @property
    def details(self) -> tuple[Detail, ...]:
        status = self.status_label if self.answered else f"{self.status_label} (not assessed yet)"
        if self.deduction:
            status += f": costs {self.deduction} point{'' if self.deduction == 1 else 's'} now"
        rows = [Detail("Status", status)]
        if self.points_text:
            rows.append(Detail("Value", self.points_text))
        if self.responsible:
            rows.append(Detail("Responsible role", self.responsible))
        if self.responsibility_text:
            rows.append(Detail("Carried out by", self.responsibility_text))
        if self.evidence:
            rows.append(Detail("Evidence", self.evidence))
        if self.is_na:
            approved = ", ".join(p for p in (self.na_approved_by, long_date(self.na_approved_on)) if p)
            rows.append(Detail("Not applicable approved by", approved or NOT_APPROVED))
        if self.is_planned:
            rows.append(Detail("Planned completion", iso_date(self.planned_date) or NOT_PROVIDED))
            if self.on_poam:
                reference = f"row {self.poam_reference}" if self.poam_reference else f"row {self.nist_id}"
                rows.append(Detail("POA&M", f"Appendix A, {reference}", link=self.poam_anchor))
        return tuple(rows)


NOT_APPROVED = "Not approved yet."
STARTING_TEXT_FLAG = ("STARTING TEXT, NOT YET CONFIRMED: this description is the generator's starting text. "
                      "Rewrite it to describe what is actually done, or confirm it, before relying on this plan.")


@dataclass(frozen=True)
class Signature:
    """The approval page's signature block: a line to sign and a line to date."""

    kind: ClassVar[str] = "signature"
    name: str
    title: str
    date: date | None


@dataclass(frozen=True)
class Section:
    number: str  # "" for front matter (approval, summary), "1" to "4", "A"... for the appendices
    title: str
    anchor: str
    blocks: tuple
    landscape: bool = False  # wide tables (the POA&M): landscape pages

    @property
    def full(self) -> str:
        if not self.number:
            return self.title
        prefix = "Appendix " if self.number.isalpha() else ""
        return f"{prefix}{self.number}. {self.title}"


@dataclass(frozen=True)
class Issue:
    """One thing missing before the plan is final; ``step`` and ``field`` say where it is filled in."""

    code: str
    message: str
    step: str  # identification | environment | requirements | plan
    field: str  # the HTML id of the form field
    family: str = ""  # for requirement issues: the family page
    nist_id: str = ""  # for requirement issues: the requirement


@dataclass(frozen=True)
class SspDocument:
    organization: str
    system_name: str
    version: str
    date: date
    draft: bool
    cui_banner: bool
    title_fields: tuple[tuple[str, str], ...]
    sections: tuple[Section, ...]
    issues: tuple[Issue, ...]
    # The cover's CUI designation indicator: (label, value) lines, "Controlled by" first; empty without a banner.
    designation: tuple[tuple[str, str], ...] = ()
    # A DRAFT's open items for its first page: ``issues`` grouped, one line per kind (readiness.open_items).
    open_items: tuple[str, ...] = ()

    title: ClassVar[str] = "System Security Plan"

    @property
    def display_name(self) -> str:
        return self.system_name or "<<System name>>"

    @property
    def header_text(self) -> str:
        return f"{self.display_name.upper()} SYSTEM SECURITY PLAN — Last updated {long_date(self.date)}"

    @property
    def date_text(self) -> str:
        return long_date(self.date)

    @property
    def contents(self) -> list[tuple[int, str, str]]:
        """The table of contents: (level, text, anchor) for sections and level-2 headings."""
        entries: list[tuple[int, str, str]] = []
        for section in self.sections:
            entries.append((1, section.full, section.anchor))
            entries += [(2, b.full, b.anchor) for b in section.blocks if b.kind == "heading" and b.level == 2]
        return entries

    @property
    def requirements(self) -> list[RequirementEntry]:
        return [b for s in self.sections for b in s.blocks if b.kind == "requirement"]

    def section(self, number: str) -> Section:
        return next(s for s in self.sections if s.number == number)

    def section_titled(self, title: str) -> Section:
        return next(s for s in self.sections if s.title == title)

    @property
    def poam_section(self) -> Section:
        return self.section("A")

    @property
    def size(self) -> int:
        """Characters of text in the sections (what the renderers lay out)."""
        total = 0
        for section in self.sections:
            for block in section.blocks:
                if isinstance(block, Paragraph | Heading):
                    total += len(block.text)
                elif isinstance(block, Fields):
                    total += sum(len(label) + len(value) for label, value in block.rows)
                elif isinstance(block, BulletList):
                    total += sum(len(item) for item in block.items)
                elif isinstance(block, Table):
                    total += sum(len(cell) for row in block.rows for cell in cells(row))
                elif isinstance(block, RequirementEntry):
                    total += len(block.text) + len(block.description) + len(block.rationale) + len(block.responsible)
                    total += len(block.evidence) + sum(len(o.text) for o in block.objectives)
        return total

    @property
    def too_large(self) -> bool:
        return self.size > MAX_PLAN_CHARS
