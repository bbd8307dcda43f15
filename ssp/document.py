"""The SSP's document model (blocks.py) built from the database in a constant number of queries; a document with
any readiness issue (readiness.py) is a DRAFT."""

from __future__ import annotations

from datetime import date

from assessments.models import Scope, TargetLevel, today
from assessments.poam import POAM_DETAILS, build_poam_rows
from assessments.scoring import SSP_REQUIREMENT

from . import matter
from .blocks import (
    NOT_PROVIDED,
    BulletList,
    ChangeRow,
    Fields,
    Figure,
    HardwareRow,
    Heading,
    InterconnectionRow,
    ObjectiveLine,
    Paragraph,
    ProviderRow,
    RequirementEntry,
    ReviewRow,
    Section,
    SoftwareRow,
    SspDocument,
    Table,
    UserRoleRow,
    cells,
    clean,
    long_date,
)
from .models import (
    MAINTAINED_QUESTION,
    Contact,
    ContactRole,
    HardwareItem,
    Interconnection,
    NetworkDiagram,
    PlanReview,
    PolicyDocument,
    ReviewFrequency,
    ServiceProvider,
    SoftwareItem,
    SspVersion,
    SystemSecurityPlan,
    UserRole,
    YesNo,
)
from .readiness import open_items, readiness_issues
from .records import RequirementRecord, records

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


def build_document(ssp: SystemSecurityPlan, *, version: str = "", on: date | None = None,
                   change: ChangeRow | None = None) -> SspDocument:
    """The whole plan (16 queries; 17 in objective mode). ``change`` is the record-of-changes row of the version
    being generated, shown as the last row. ``ssp.assessment`` should already be loaded."""
    assessment = ssp.assessment
    on = on or today()
    # 1-8: the plan's own rows.
    contacts = {c.role: c for c in Contact.objects.filter(ssp=ssp)}
    roles = list(UserRole.objects.filter(ssp=ssp).order_by("pk"))
    hardware = list(HardwareItem.objects.filter(ssp=ssp).order_by("pk"))
    software = list(SoftwareItem.objects.filter(ssp=ssp).order_by("pk"))
    interconnections = list(Interconnection.objects.filter(ssp=ssp).order_by("pk"))
    providers = list(ServiceProvider.objects.filter(ssp=ssp).order_by("pk"))
    policies = list(PolicyDocument.objects.filter(ssp=ssp).order_by("pk"))
    reviews = list(PlanReview.objects.filter(ssp=ssp).order_by("reviewed_on", "pk"))
    # 9: the diagram; 10: earlier versions.
    diagram = NetworkDiagram.objects.filter(ssp=ssp).first()
    versions = list(SspVersion.objects.filter(ssp=ssp).only(
        "label", "generated_on", "description", "made_by", "number").order_by("number"))
    # 11-16: each requirement's record with the score (ssp/records.py); the POA&M is built from the same rows.
    result, recs = records(assessment)
    # The plan never lists itself (3.12.4) in its own POA&M: generating it is what closes that item.
    poam = [matter.poam_row(row) for row in build_poam_rows(result, _poam_details(recs), _titles(recs))
            if row["requirement"] != SSP_REQUIREMENT]
    on_poam = {row.requirement for row in poam}

    organization = clean(ssp.org_name or assessment.organization_name)
    system_name = clean(ssp.system_name)
    if not version:
        version = versions[-1].label + " (working copy)" if versions else "Working draft"
    changes = [ChangeRow(v.label, v.generated_on, v.description, v.made_by) for v in versions]
    if change is not None:
        changes.append(change)

    points = {item.rule.nist_id: item for item in result.items}
    level2 = assessment.target_level == TargetLevel.L2
    entries = [_entry(rec, points.get(rec.requirement.nist_id), rec.requirement.nist_id in on_poam, level2)
               for rec in recs]
    # The requirements the assessment scores (a Level 1 assessment: its 17 practices only).
    in_scope = {rec.requirement.nist_id for rec in recs if level2 or rec.requirement.level1_id}
    issues = readiness_issues(ssp, system_name, entries, in_scope, contacts=contacts, diagram=diagram is not None,
                              hardware=bool(hardware), software=bool(software), poam=poam)
    planned = {rec.requirement.nist_id: rec.answer.planned_date for rec in recs}
    sections = [
        matter.approval(ssp, system_name, organization),
        matter.summary(assessment, result, planned, on),
        _identification(ssp, system_name, organization, contacts, roles, assessment),
        _environment(ssp, diagram, hardware, software, interconnections, providers),
        _requirements(entries, {r.requirement.family.code: (r.requirement.family.position, r.requirement.family.name)
                                for r in recs}),
        _record_of_changes(ssp, changes, reviews),
        matter.poam_appendix(poam),
        matter.policy_index(policies),
    ]
    sections.append(matter.acronyms(_texts(sections)))
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
        cui_banner=ssp.cui_banner, title_fields=title_fields, sections=tuple(sections), issues=tuple(issues),
        designation=matter.designation(ssp, organization), open_items=open_items(issues),
    )


def _texts(sections: list[Section]):
    """Every text of the sections (for the acronym list)."""
    for section in sections:
        for block in section.blocks:
            if isinstance(block, Paragraph | Heading):
                yield block.text
            elif isinstance(block, Fields):
                yield from (value for _, value in block.rows)
            elif isinstance(block, Table):
                yield from block.headers
                yield from (cell for row in block.rows for cell in cells(row))
            elif isinstance(block, RequirementEntry):
                yield from (block.text, block.description, block.rationale, block.evidence, block.provider)


def _entry(rec: RequirementRecord, item, on_poam: bool, level2: bool) -> RequirementEntry:
    req, answer = rec.requirement, rec.answer
    return RequirementEntry(
        nist_id=req.nist_id, family=req.family.code, title=clean(req.cmmc_title), text=clean(req.text),
        status=rec.status, description=clean(rec.description), rationale=clean(answer.justification),
        responsible=clean(answer.responsible), poam_reference=clean(answer.poam_reference),
        planned_date=answer.planned_date, starting_text_pending=rec.pending, evidence=clean(answer.evidence),
        answered=rec.answered, cmmc_id=req.cmmc_id if level2 or not req.level1_id else req.level1_id,
        points=req.points if level2 else None, partial_points=req.partial_points if level2 else None,
        deduction=item.deduction if item is not None and level2 and rec.answered else 0,
        objectives=tuple(ObjectiveLine(letter, clean(text), status) for letter, text, status in rec.objectives),
        responsibility=answer.responsibility, provider=clean(answer.provider),
        na_approved_by=clean(answer.na_approved_by), na_approved_on=answer.na_approved_on, on_poam=on_poam,
    )


def _poam_details(recs: list[RequirementRecord]) -> dict[str, dict]:
    return {rec.requirement.nist_id: {name: getattr(rec.answer, name) for name in POAM_DETAILS}
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
    role_rows = tuple(UserRoleRow(clean(r.role), r.users, r.privileged_users) for r in roles)
    if roles:
        role_rows += (UserRoleRow("Total", total_users, total_admins, total=True),)
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
        reason = clean(ssp.diagram_none_reason)
        blocks.append(Paragraph(f"No diagram: {reason}" if reason else "No diagram attached."))
    blocks += [Heading(2, "2.1", "Hardware inventory", "sec-2-1")]
    if ssp.hardware_reference.strip():
        blocks.append(Paragraph(f"Kept in: {clean(ssp.hardware_reference)}"))
    blocks.append(Table(("Component", "Make / model", "Version / firmware", "Responsible"),
                        tuple(HardwareRow(clean(h.component), clean(h.make_model), clean(h.version),
                                          clean(h.responsible)) for h in hardware), (34, 26, 18, 22)))
    blocks += [Heading(2, "2.2", "Software inventory", "sec-2-2")]
    if ssp.software_reference.strip():
        blocks.append(Paragraph(f"Kept in: {clean(ssp.software_reference)}"))
    blocks.append(Table(("Software", "Vendor", "Version", "Purpose", "Responsible"),
                        tuple(SoftwareRow(clean(s.name), clean(s.vendor), clean(s.version), clean(s.purpose),
                                          clean(s.responsible)) for s in software), (24, 18, 14, 26, 18)))
    owned = dict(YesNo.choices).get(ssp.maintained_by_org, NOT_PROVIDED)
    maintenance = [(MAINTAINED_QUESTION, owned)]
    if ssp.maintained_by_org == YesNo.NO:
        maintenance.append(("Explanation", _or_none(ssp.maintenance_explanation)))
    blocks += [
        Heading(2, "2.3", "Hardware and software maintenance and ownership", "sec-2-3"),
        Fields(tuple(maintenance)),
        Heading(2, "2.4", "Interconnections with other systems", "sec-2-4"),
        Table(("Other system", "Owner", "Connection", "Data exchanged", "Agreement"),
              tuple(InterconnectionRow(clean(i.system), clean(i.owner), clean(i.connection), clean(i.data),
                                       clean(i.agreement)) for i in interconnections), (22, 18, 20, 22, 18)),
        Heading(2, "2.5", "External service providers", "sec-2-5"),
        Table(("Provider", "Service", "Security responsibility", "What they are responsible for"),
              tuple(ProviderRow(clean(p.name), clean(p.service), p.responsibility, clean(p.notes))
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


def _record_of_changes(ssp, changes: list[ChangeRow], reviews: list[PlanReview]) -> Section:
    approver = ", ".join(p for p in (clean(ssp.approver_name), clean(ssp.approver_title)) if p)
    blocks = (
        Fields((("Review frequency", ReviewFrequency(ssp.review_frequency).label),
                ("Approved by", approver or NOT_PROVIDED),
                ("Approval date", long_date(ssp.approval_date) or NOT_PROVIDED))),
        Heading(2, "4.1", "Versions", "sec-4-1"),
        Table(("Version", "Date", "Description", "Made by"),
              tuple(ChangeRow(clean(c.version), c.date, clean(c.description), clean(c.made_by)) for c in changes),
              (14, 16, 46, 24), empty="No version generated yet."),
        *matter.review_log(tuple(ReviewRow(r.reviewed_on, clean(r.reviewer), clean(r.outcome)) for r in reviews)),
    )
    return Section("4", "Record of changes", "sec-4", blocks)
