"""The SSP as one framework-free tree of plain dataclasses: what the document says, and nothing of how it looks.

``document.build_document`` builds it from the database; both renderers (``render_docx``, ``render_pdf``) walk it
and nothing else, so the DOCX and the PDF carry the same content. All user text is cleaned once, when the tree is
built (``clean``): characters XML (and so Word) cannot hold are removed and line ends are normalised. The tree is
plain picklable data: the PDF is rendered from it in a child process (ssp/jobs.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import ClassVar

from .models import ImplementationStatus

# Re-exported: the renderers and the builder import the whole model from here.
from .table_rows import POAM_HEADERS as POAM_HEADERS
from .table_rows import POAM_WIDTHS as POAM_WIDTHS
from .table_rows import RESPONSIBILITY_LABELS as RESPONSIBILITY_LABELS
from .table_rows import AcronymRow as AcronymRow
from .table_rows import ChangeRow as ChangeRow
from .table_rows import HardwareRow as HardwareRow
from .table_rows import InterconnectionRow as InterconnectionRow
from .table_rows import Milestone as Milestone
from .table_rows import PoamRow as PoamRow
from .table_rows import PolicyRow as PolicyRow
from .table_rows import ProviderRow as ProviderRow
from .table_rows import ReviewRow as ReviewRow
from .table_rows import SoftwareRow as SoftwareRow
from .table_rows import TableRow as TableRow
from .table_rows import UserRoleRow as UserRoleRow
from .table_rows import cells as cells
from .text import BIDI_CONTROLS_RE as BIDI_CONTROLS_RE
from .text import SOFT_BREAK_EVERY as SOFT_BREAK_EVERY
from .text import clean as clean
from .text import iso_date as iso_date
from .text import long_date as long_date
from .text import soften as soften

NOT_PROVIDED = "Not provided."
# The most text one document may hold (all of it: user text, starting text, requirement and objective text, tables),
# about 85 PDF pages. It bounds the render: 220,000 characters take about 5 s for both files in their render
# process, 400,000 took 8 to 10 s, every field at its own limit (about 1.4 million characters) over 30 s. It cannot
# go much lower: a plan with nothing written yet is about 155,000 characters (the catalog's text and the examples
# offered as starting text), and must still render as a DRAFT. See docs/ssp.md.
MAX_PLAN_CHARS = 220_000
STATUS_LABELS = dict(ImplementationStatus.choices)

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
