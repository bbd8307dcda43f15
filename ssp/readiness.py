"""What is missing before a plan is final: each issue makes the document a DRAFT and names the step and the form
field where it is filled in (the SSP overview lists them; a DRAFT lists them, grouped, on its first page).

Final means everything an assessor reads first is there: the contacts, the purpose, the CUI categories, the boundary
and topology, a diagram (or why there is none), the inventories (or where they are kept), the approval, a real
description of every requirement, an approved rationale for every N/A, and a complete POA&M row for every open
requirement.
"""

from __future__ import annotations

import re

from assessments.scoring import SSP_REQUIREMENT

from . import starting_text
from .blocks import Issue, PoamRow, RequirementEntry, clean
from .models import Contact, ContactRole, SystemSecurityPlan

# A description shorter than this says nothing an assessor can check ("Yes.", "Done", "We comply."): it needs at
# least a sentence about who does what with which tool.
MIN_DESCRIPTION_WORDS = 12
_WORD_RE = re.compile(r"\w+")


def _field(nist_id: str, name: str) -> str:
    """The HTML id of a requirement form field (the form's prefix is "r" + the NIST id with dashes)."""
    return f"id_r{nist_id.replace('.', '-')}-{name}"


def token(text: str) -> bool:
    """Too short to describe an implementation."""
    return len(_WORD_RE.findall(text)) < MIN_DESCRIPTION_WORDS


def readiness_issues(ssp: SystemSecurityPlan, system_name: str, entries: list[RequirementEntry], in_scope: set[str],
                     *, contacts: dict[str, Contact], diagram: bool, hardware: bool, software: bool,
                     poam: list[PoamRow]) -> list[Issue]:
    """Every issue of the plan; ``entries`` are its requirements, ``in_scope`` the NIST ids the assessment scores,
    ``contacts`` the contacts by role, ``diagram``/``hardware``/``software`` whether those exist, ``poam`` its rows."""
    issues = _plan_issues(ssp, system_name, contacts, diagram=diagram, hardware=hardware, software=software)
    rows = {row.requirement: row for row in poam}
    for e in entries:
        issues += _requirement_issues(e, e.nist_id in in_scope, rows.get(e.nist_id))
    return issues


def _plan_issues(ssp: SystemSecurityPlan, system_name: str, contacts: dict[str, Contact], *, diagram: bool,
                 hardware: bool, software: bool) -> list[Issue]:
    issues: list[Issue] = []

    def need(ok: object, code: str, message: str, step: str, field: str) -> None:
        if not ok:
            issues.append(Issue(code, message, step, field))

    need(system_name, "system_name_missing", "The system has no name (section 1.1).", "identification",
         "id_system_name")
    for role, label in ContactRole.choices:
        contact = contacts.get(role)
        complete = contact is not None and clean(contact.name) and (clean(contact.phone) or clean(contact.email))
        need(complete, "contact_missing", f"The {label.lower()} has no name, phone or e-mail (section 1.2).",
             "identification", f"id_{role}-name")
    need(clean(ssp.purpose), "purpose_missing", "The system's purpose is not described (section 1.3).",
         "identification", "id_purpose")
    need(ssp.cui_categories or clean(ssp.cui_other), "cui_categories_missing",
         "No CUI category is chosen (section 1.4).", "identification", "id_cui_categories_0")
    need(clean(ssp.boundary), "boundary_missing", "The system boundary is not described (section 2).", "environment",
         "id_boundary")
    need(clean(ssp.environment), "topology_missing", "The topology and components are not described (section 2).",
         "environment", "id_environment")
    need(diagram or clean(ssp.diagram_none_reason), "diagram_missing",
         "No network diagram, and no reason given for none (section 2).", "environment", "id_image")
    need(hardware or clean(ssp.hardware_reference), "hardware_missing",
         "No hardware inventory, and no reference to one (section 2.1).", "environment", "id_hardware_reference")
    need(software or clean(ssp.software_reference), "software_missing",
         "No software inventory, and no reference to one (section 2.2).", "environment", "id_software_reference")
    need(clean(ssp.approver_name) and clean(ssp.approver_title), "approver_missing",
         "No approver's name and title (plan approval).", "plan", "id_approver_name")
    need(ssp.approval_date, "approval_date_missing", "No approval date (plan approval).", "plan", "id_approval_date")
    return issues


def _requirement_issues(e: RequirementEntry, in_scope: bool, row: PoamRow | None) -> list[Issue]:
    issues: list[Issue] = []

    def add(code: str, message: str, name: str) -> None:
        issues.append(Issue(code, f"{e.nist_id}: {message}", "requirements", _field(e.nist_id, name), e.family,
                            e.nist_id))

    if in_scope and not e.answered and e.nist_id != SSP_REQUIREMENT:
        add("status_missing", "no status yet (answer it here or in the questionnaire).", "status")
    if e.starting_text_pending:
        add("description_unconfirmed", "the description is still the starting text; rewrite or confirm it.", "note")
    elif not e.description and not e.is_na:
        add("description_missing", "no implementation description.", "note")
    elif starting_text.has_placeholder(e.description):
        add("description_placeholder", "the description still has a <<placeholder>> to fill in.", "note")
    elif not e.is_na and token(e.description):
        add("description_too_short", f"the description is too short to assess (fewer than {MIN_DESCRIPTION_WORDS} "
            "words): say who does what, with which tool or document.", "note")
    if e.is_na:
        if not e.rationale:
            add("rationale_missing", "not applicable, but no rationale is given.", "justification")
        if not (e.na_approved_by and e.na_approved_on):
            add("na_not_approved", "not applicable, but who approved that, and when, is not recorded.",
                "na_approved_by")
    if e.is_planned and e.nist_id != SSP_REQUIREMENT:
        if e.planned_date is None:
            add("planned_date_missing", "open, but no scheduled completion date.", "planned_date")
        if row is not None:
            parts = (("the weakness", row.weakness), ("the responsible person", e.responsible),
                     ("a milestone", row.milestones))
            missing = [label for label, ok in parts if not ok]
            if missing:
                add("poam_incomplete", f"its POA&M row lacks {_join(missing)}.",
                    "weakness" if not row.weakness else "responsible" if not e.responsible else "milestones")
    return issues


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


# How a DRAFT's first page names each kind of requirement issue (the plan-wide ones are listed as they are).
GROUPS = {
    "status_missing": "No status yet",
    "description_unconfirmed": "Description still the starting text",
    "description_missing": "No implementation description",
    "description_placeholder": "Description has a <<placeholder>>",
    "description_too_short": "Description too short to assess",
    "rationale_missing": "Not applicable without a rationale",
    "na_not_approved": "Not applicable without a recorded approval",
    "planned_date_missing": "Open without a scheduled completion date",
    "poam_incomplete": "POA&M row incomplete",
}
LISTED = 12  # requirement ids named per line; the rest are counted


def open_items(issues: list[Issue]) -> tuple[str, ...]:
    """The open items as a DRAFT's first page lists them: each plan-wide issue, then one line per kind of
    requirement issue naming its requirements."""
    lines = [issue.message for issue in issues if not issue.nist_id]
    grouped: dict[str, list[str]] = {}
    for issue in issues:
        if issue.nist_id:
            grouped.setdefault(issue.code, []).append(issue.nist_id)
    for code, ids in grouped.items():
        named = ", ".join(ids[:LISTED]) + (f" and {len(ids) - LISTED} more" if len(ids) > LISTED else "")
        lines.append(f"{GROUPS.get(code, code)} ({len(ids)}): {named}.")
    return tuple(lines)
