"""What is missing before a plan is final: each issue makes the document a DRAFT and names the step and the form
field where it is filled in (the SSP overview lists them)."""

from __future__ import annotations

from assessments.scoring import SSP_REQUIREMENT

from . import starting_text
from .blocks import Issue, RequirementEntry, clean
from .models import SystemSecurityPlan


def _field(nist_id: str, name: str) -> str:
    """The HTML id of a requirement form field (the form's prefix is "r" + the NIST id with dashes)."""
    return f"id_r{nist_id.replace('.', '-')}-{name}"


def readiness_issues(ssp: SystemSecurityPlan, system_name: str, entries: list[RequirementEntry], in_scope: set[str]
                     ) -> list[Issue]:
    """Every issue of the plan; ``entries`` are its requirements, ``in_scope`` the NIST ids the assessment scores."""
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
