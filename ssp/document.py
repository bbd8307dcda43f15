"""The SSP as one framework-free tree of plain dataclasses, built from the database in a constant number of queries.

Both renderers (``render_docx``, ``render_pdf``) walk this tree and nothing else, so the DOCX and the PDF carry
the same content. All user text is cleaned here once: characters XML (and so Word) cannot hold are removed and
line ends are normalised. The readiness check also lives here: a document with any issue is a DRAFT.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import ClassVar

from assessments.models import Scope, TargetLevel, today
from assessments.poam import build_poam_rows
from assessments.scoring import SSP_REQUIREMENT
from assessments.spreadsheets import XML_ILLEGAL_RE

from . import starting_text
from .models import (
    Contact,
    ContactRole,
    HardwareItem,
    ImplementationStatus,
    Interconnection,
    NetworkDiagram,
    Responsibility,
    ReviewFrequency,
    ServiceProvider,
    SoftwareItem,
    SspVersion,
    SystemSecurityPlan,
    UserRole,
    YesNo,
)
from .records import RequirementRecord, records

NOT_PROVIDED = "Not provided."
# The most text one document may hold (all of it: user text, requirement text, tables), about 150 pages. It bounds
# the render: the PDF of a plan at this size takes about 10 s of CPU, well inside settings.RENDER_TIMEOUT, whereas
# every field at its own limit (about 1.4 million characters) took over 30 s. See docs/ssp.md.
MAX_PLAN_CHARS = 400_000
STATUS_LABELS = dict(ImplementationStatus.choices)
CUI_REGISTRY = "https://www.archives.gov/cui/registry/category-list"
# Common CUI Registry categories in defence contracting; anything else goes in "other".
CUI_CATEGORIES = (
    "Controlled Technical Information",
    "Export Controlled",
    "General Proprietary Business Information",
    "General Procurement and Acquisition",
    "Source Selection",
    "Small Business Research and Technology",
    "Critical Energy Infrastructure Information",
    "General Privacy",
    "Operations Security",
    "Naval Nuclear Propulsion Information",
)


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


# --- Blocks ---------------------------------------------------------------------------------------------------


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
    rows: tuple[tuple[str, ...], ...]
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
class ChangeRow:
    version: str
    date: date
    description: str
    made_by: str


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
                    total += sum(len(cell) for row in block.rows for cell in row)
                elif isinstance(block, RequirementEntry):
                    total += len(block.text) + len(block.description) + len(block.rationale) + len(block.responsible)
        return total

    @property
    def too_large(self) -> bool:
        return self.size > MAX_PLAN_CHARS


# --- Building ---------------------------------------------------------------------------------------------------


def build_document(ssp: SystemSecurityPlan, *, version: str = "", on: date | None = None,
                   change: ChangeRow | None = None) -> SspDocument:
    """The whole plan (15 queries; 16 in objective mode). ``change`` is the record-of-changes row of the version
    being generated, shown as the last row. ``ssp.assessment`` should already be loaded."""
    assessment = ssp.assessment
    on = on or today()
    # 1-6: the plan's own rows.
    contacts = {c.role: c for c in Contact.objects.filter(ssp=ssp)}
    roles = list(UserRole.objects.filter(ssp=ssp).order_by("pk"))
    hardware = list(HardwareItem.objects.filter(ssp=ssp).order_by("pk"))
    software = list(SoftwareItem.objects.filter(ssp=ssp).order_by("pk"))
    interconnections = list(Interconnection.objects.filter(ssp=ssp).order_by("pk"))
    providers = list(ServiceProvider.objects.filter(ssp=ssp).order_by("pk"))
    # 7: the diagram; 8: earlier versions.
    diagram = NetworkDiagram.objects.filter(ssp=ssp).first()
    versions = list(SspVersion.objects.filter(ssp=ssp).only(
        "label", "generated_on", "description", "made_by", "number").order_by("number"))
    # 9-15: each requirement's record with the score (ssp/records.py); the POA&M is built from the same rows.
    result, recs = records(assessment)
    # The plan never lists itself (3.12.4) in its own POA&M: generating it is what closes that item.
    poam = [row for row in build_poam_rows(result, _poam_details(recs), _titles(recs))
            if row["requirement"] != SSP_REQUIREMENT]

    organization = clean(ssp.org_name or assessment.organization_name)
    system_name = clean(ssp.system_name)
    if not version:
        version = versions[-1].label + " (working copy)" if versions else "Working draft"
    changes = [ChangeRow(v.label, v.generated_on, v.description, v.made_by) for v in versions]
    if change is not None:
        changes.append(change)

    entries = [_entry(rec) for rec in recs]
    # The requirements the assessment scores (a Level 1 assessment: its 17 practices only).
    in_scope = {rec.requirement.nist_id for rec in recs
                if assessment.target_level == TargetLevel.L2 or rec.requirement.level1_id}
    issues = _issues(ssp, system_name, entries, in_scope)
    sections = (
        _identification(ssp, system_name, organization, contacts, roles, assessment),
        _environment(ssp, diagram, hardware, software, interconnections, providers),
        _requirements(entries, {r.requirement.family.code: (r.requirement.family.position, r.requirement.family.name)
                                for r in recs}),
        _record_of_changes(ssp, changes),
        _poam_appendix(poam),
    )
    approver = ", ".join(p for p in (clean(ssp.approver_name), clean(ssp.approver_title)) if p)
    title_fields = (
        ("System", system_name or NOT_PROVIDED),
        ("Organization", organization or NOT_PROVIDED),
        ("Version", clean(version)),
        ("Date", long_date(on)),
        ("Approved by", approver or NOT_PROVIDED),
        ("Prepared for", "NIST SP 800-171 Rev. 2, requirement 3.12.4 (System Security Plan)"),
    )
    return SspDocument(
        organization=organization, system_name=system_name, version=clean(version), date=on, draft=bool(issues),
        cui_banner=ssp.cui_banner, title_fields=title_fields, sections=sections, issues=tuple(issues),
    )


def _entry(rec: RequirementRecord) -> RequirementEntry:
    req, answer = rec.requirement, rec.answer
    return RequirementEntry(
        nist_id=req.nist_id, family=req.family.code, title=clean(req.cmmc_title), text=clean(req.text),
        status=rec.status, description=clean(rec.description), rationale=clean(answer.justification),
        responsible=clean(answer.responsible), poam_reference=clean(answer.poam_reference),
        planned_date=answer.planned_date, starting_text_pending=rec.pending, evidence=clean(answer.evidence),
        answered=rec.answered,
    )


def _poam_details(recs: list[RequirementRecord]) -> dict[str, dict]:
    return {rec.requirement.nist_id: {"responsible": rec.answer.responsible, "planned_date": rec.answer.planned_date,
                                      "poam_reference": rec.answer.poam_reference, "note": rec.answer.note,
                                      "evidence": rec.answer.evidence}
            for rec in recs if rec.answer.pk}


def _titles(recs: list[RequirementRecord]) -> dict[str, tuple[str, str]]:
    return {rec.requirement.nist_id: (rec.requirement.cmmc_id, rec.requirement.cmmc_title) for rec in recs}


def _or_none(value: str) -> str:
    return clean(value) or NOT_PROVIDED


def _identification(ssp, system_name, organization, contacts, roles, assessment) -> Section:
    blocks: list = [
        Heading(2, "1.1", "System name and title", "sec-1-1"),
        Fields((("System name", system_name or NOT_PROVIDED),
                ("System categorization", _or_none(ssp.categorization)),
                ("System unique identifier", _or_none(ssp.system_identifier)))),
        Heading(2, "1.2", "Responsible organization", "sec-1-2"),
        Fields((("Name", organization or NOT_PROVIDED), ("Address", _or_none(ssp.org_address)),
                ("Phone", _or_none(ssp.org_phone)))),
    ]
    for index, (role, label) in enumerate(ContactRole.choices, start=1):
        contact = contacts.get(role) or Contact(role=role)
        blocks += [
            Heading(3, f"1.2.{index}", label, f"sec-1-2-{index}"),
            Fields((("Name", _or_none(contact.name)), ("Title", _or_none(contact.title)),
                    ("Office address", _or_none(contact.address)), ("Work phone", _or_none(contact.phone)),
                    ("E-mail address", _or_none(contact.email)))),
        ]
    total_users = sum(r.users for r in roles)
    total_admins = sum(r.privileged_users for r in roles)
    role_rows = tuple((clean(r.role), str(r.users), str(r.privileged_users)) for r in roles)
    if roles:
        role_rows += (("Total", str(total_users), str(total_admins)),)
    categories = [clean(c) for c in ssp.cui_categories if clean(c)]
    categories += [clean(line) for line in ssp.cui_other.splitlines() if clean(line)]
    cage = ", ".join(assessment.cage_code_list()) or NOT_PROVIDED
    blocks += [
        Heading(2, "1.3", "General description and purpose of the system", "sec-1-3"),
        Paragraph(_or_none(ssp.purpose)),
        Heading(3, "1.3.1", "Number of end users and privileged users", "sec-1-3-1"),
        Table(("Role", "Number of users", "Number of administrators / privileged users"), role_rows, (50, 25, 25)),
        Heading(2, "1.4", "General description of information", "sec-1-4"),
        Paragraph("CUI information types processed, stored, or transmitted by the system (CUI Registry: "
                  f"{CUI_REGISTRY}):", "instruction"),
        BulletList(tuple(categories)),
        Heading(2, "1.5", "Assessment scope", "sec-1-5"),
        Fields((("CMMC assessment scope", Scope(assessment.scope).label),
                ("CAGE codes covered by this plan", cage),
                ("Target", TargetLevel(assessment.target_level).label))),
    ]
    return Section("1", "System identification", "sec-1", tuple(blocks))


def _environment(ssp, diagram, hardware, software, interconnections, providers) -> Section:
    blocks: list = [
        Heading(3, "", "System boundary", "sec-2-boundary"),
        Paragraph(_or_none(ssp.boundary)),
        Heading(3, "", "Topology and components", "sec-2-topology"),
        Paragraph(_or_none(ssp.environment)),
        Heading(3, "", "Network diagram", "sec-2-diagram"),
    ]
    if diagram is not None:
        blocks.append(Figure("network-diagram", bytes(diagram.image), diagram.content_type, diagram.width,
                             diagram.height, clean(diagram.caption) or "System topology"))
    else:
        blocks.append(Paragraph("No diagram attached."))
    blocks += [Heading(2, "2.1", "Hardware inventory", "sec-2-1")]
    if ssp.hardware_reference.strip():
        blocks.append(Paragraph(f"Kept in: {clean(ssp.hardware_reference)}"))
    blocks.append(Table(("Component", "Make / model", "Version / firmware", "Responsible"),
                        tuple((clean(h.component), clean(h.make_model), clean(h.version), clean(h.responsible))
                              for h in hardware), (34, 26, 18, 22)))
    blocks += [Heading(2, "2.2", "Software inventory", "sec-2-2")]
    if ssp.software_reference.strip():
        blocks.append(Paragraph(f"Kept in: {clean(ssp.software_reference)}"))
    blocks.append(Table(("Software", "Vendor", "Version", "Purpose", "Responsible"),
                        tuple((clean(s.name), clean(s.vendor), clean(s.version), clean(s.purpose),
                               clean(s.responsible)) for s in software), (24, 18, 14, 26, 18)))
    owned = dict(YesNo.choices).get(ssp.maintained_by_org, NOT_PROVIDED)
    maintenance = [("Is all hardware and software maintained and owned by the organization?", owned)]
    if ssp.maintained_by_org == YesNo.NO:
        maintenance.append(("Explanation", _or_none(ssp.maintenance_explanation)))
    responsibility = dict(Responsibility.choices)
    blocks += [
        Heading(2, "2.3", "Hardware and software maintenance and ownership", "sec-2-3"),
        Fields(tuple(maintenance)),
        Heading(2, "2.4", "Interconnections with other systems", "sec-2-4"),
        Table(("Other system", "Owner", "Connection", "Data exchanged", "Agreement"),
              tuple((clean(i.system), clean(i.owner), clean(i.connection), clean(i.data), clean(i.agreement))
                    for i in interconnections), (22, 18, 20, 22, 18)),
        Heading(2, "2.5", "External service providers", "sec-2-5"),
        Table(("Provider", "Service", "Security responsibility", "What they are responsible for"),
              tuple((clean(p.name), clean(p.service), responsibility.get(p.responsibility, ""), clean(p.notes))
                    for p in providers), (24, 26, 20, 30)),
    ]
    return Section("2", "System environment", "sec-2", tuple(blocks))


def _requirements(entries: list[RequirementEntry], families: dict[str, tuple[int, str]]) -> Section:
    blocks: list = [Paragraph(
        "The source of the requirements is NIST Special Publication 800-171 Revision 2, Protecting Controlled "
        "Unclassified Information in Nonfederal Systems and Organizations. Each requirement below gives its status "
        "(Implemented, Partially implemented, Planned to be implemented, or Not applicable), how it is implemented or "
        "planned to be, and "
        "for requirements that are not applicable, the rationale.", "instruction")]
    family = None
    for entry in entries:
        if entry.family != family:
            family = entry.family
            position, name = families[family]
            blocks.append(Heading(2, f"3.{position}", name, f"fam-{family}"))
        blocks.append(entry)
    return Section("3", "Requirements", "sec-3", tuple(blocks))


def _record_of_changes(ssp, changes: list[ChangeRow]) -> Section:
    approver = ", ".join(p for p in (clean(ssp.approver_name), clean(ssp.approver_title)) if p)
    blocks = (
        Fields((("Review frequency", ReviewFrequency(ssp.review_frequency).label),
                ("Approved by", approver or NOT_PROVIDED))),
        Table(("Version", "Date", "Description", "Made by"),
              tuple((clean(c.version), iso_date(c.date), clean(c.description), clean(c.made_by)) for c in changes),
              (14, 16, 46, 24), empty="No version generated yet."),
    )
    return Section("4", "Record of changes", "sec-4", blocks)


def _poam_appendix(poam: list[dict]) -> Section:
    rows = []
    for row in poam:
        eligible = "Yes" if row["poam_eligible"] == "yes" else f"No. {clean(row['why_not'])}".strip()
        rows.append((f"{row['requirement']} {clean(row['title'])}", clean(row["state"]), str(row["points"]),
                     eligible, clean(row["responsible"]), iso_date(row["planned_date"]), clean(row["note"])))
    blocks = (
        Paragraph("Requirements not yet met, from the self-assessment (the same list as the POA&M spreadsheet), "
                  "blockers first, then by points recoverable. Requirement 3.12.2: develop and implement plans of "
                  "action to correct deficiencies and reduce or eliminate vulnerabilities.", "instruction"),
        Table(("Requirement", "State", "Points", "POA&M eligible", "Responsible", "Planned completion", "Note"),
              tuple(rows), (22, 12, 7, 17, 12, 11, 19), empty="No open items: every requirement is met.", small=True),
    )
    return Section("A", "Plan of action and milestones (POA&M)", "sec-a", blocks)


# --- Readiness --------------------------------------------------------------------------------------------------


def _field(nist_id: str, name: str) -> str:
    """The HTML id of a requirement form field (the form's prefix is "r" + the NIST id with dashes)."""
    return f"id_r{nist_id.replace('.', '-')}-{name}"


def _issues(ssp, system_name: str, entries: list[RequirementEntry], in_scope: set[str]) -> list[Issue]:
    issues: list[Issue] = []
    if not system_name:
        issues.append(Issue("system_name_missing", "The system has no name (section 1.1).", "identification",
                            "id_system_name"))
    if not clean(ssp.boundary):
        issues.append(Issue("boundary_missing", "The system boundary is not described (section 2).", "environment",
                            "id_boundary"))
    for e in entries:
        where = dict(step="requirements", family=e.family)
        if e.nist_id in in_scope and not e.answered and e.nist_id != SSP_REQUIREMENT:
            issues.append(Issue("status_missing", f"{e.nist_id}: no status yet (answer it here or in the "
                                "questionnaire).", field=_field(e.nist_id, "status"), **where))
        if e.starting_text_pending:
            issues.append(Issue("description_unconfirmed",
                                f"{e.nist_id}: the description is still the starting text; rewrite or confirm it.",
                                field=_field(e.nist_id, "note"), **where))
        elif not e.description and not e.is_na:
            issues.append(Issue("description_missing", f"{e.nist_id}: no implementation description.",
                                field=_field(e.nist_id, "note"), **where))
        elif starting_text.has_placeholder(e.description):
            issues.append(Issue("description_placeholder",
                                f"{e.nist_id}: the description still has a <<placeholder>> to fill in.",
                                field=_field(e.nist_id, "note"), **where))
        if e.is_na and not e.rationale:
            issues.append(Issue("rationale_missing", f"{e.nist_id}: not applicable, but no rationale is given.",
                                field=_field(e.nist_id, "justification"), **where))
        if e.is_planned and e.planned_date is None and e.nist_id != SSP_REQUIREMENT:
            issues.append(Issue("planned_date_missing", f"{e.nist_id}: planned, but no planned completion date.",
                                field=_field(e.nist_id, "planned_date"), **where))
    return issues
