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


def clean(value: object) -> str:
    """User text as every renderer may take it: XML-legal characters only, ``\\n`` line ends, no trailing space."""
    text = "" if value is None else str(value)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = XML_ILLEGAL_RE.sub("", text)
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
class PoamRow:
    """An open requirement of the POA&M appendix (assessments.poam.build_poam_rows)."""

    requirement: str  # the NIST id
    title: str
    state: str
    points: int | None  # points recoverable; None for a Level 1 assessment
    poam_eligible: bool
    why_not: str  # why it may not be on a POA&M
    responsible: str
    planned_date: date | None
    note: str


TableRow = UserRoleRow | HardwareRow | SoftwareRow | InterconnectionRow | ProviderRow | ChangeRow | PoamRow
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


@cells.register
def _(row: PoamRow) -> tuple[str, ...]:
    eligible = "Yes" if row.poam_eligible else f"No. {row.why_not}".strip()
    return (f"{row.requirement} {row.title}", row.state, str(row.points), eligible, row.responsible,
            iso_date(row.planned_date), row.note)


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

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def anchor(self) -> str:
        return "req-" + self.nist_id.replace(".", "-")

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
    def description_text(self) -> str:
        return self.description or NOT_PROVIDED

    @property
    def rationale_text(self) -> str:
        return self.rationale or NOT_PROVIDED

    @property
    def flag_text(self) -> str:
        return STARTING_TEXT_FLAG

    @property
    def details(self) -> tuple[tuple[str, str], ...]:
        rows = [("Status", self.status_label if self.answered else f"{self.status_label} (not assessed yet)")]
        if self.responsible:
            rows.append(("Responsible role", self.responsible))
        if self.evidence:
            rows.append(("Evidence", self.evidence))
        if self.is_planned:
            rows.append(("POA&M reference", self.poam_reference or NOT_PROVIDED))
            rows.append(("Planned completion", iso_date(self.planned_date) or NOT_PROVIDED))
        return tuple(rows)


STARTING_TEXT_FLAG = ("STARTING TEXT, NOT YET CONFIRMED: this description is the generator's starting text. "
                      "Rewrite it to describe what is actually done, or confirm it, before relying on this plan.")


@dataclass(frozen=True)
class Section:
    number: str  # "1" to "4", "A" for the appendix
    title: str
    anchor: str
    blocks: tuple

    @property
    def full(self) -> str:
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
        return total

    @property
    def too_large(self) -> bool:
        return self.size > MAX_PLAN_CHARS
