"""The plan's front and back matter, around the NIST template's four sections: the cover's CUI designation
indicator, the approval page, the assessment summary, the POA&M, the policy index and the acronyms.

Plain functions from rows already read (``document.build_document`` reads them) to blocks: no query here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

from assessments import report, scoring
from assessments.models import Assessment, Scope, TargetLevel

from .blocks import (
    NOT_PROVIDED,
    POAM_HEADERS,
    POAM_WIDTHS,
    AcronymRow,
    Fields,
    Heading,
    Milestone,
    Paragraph,
    PoamRow,
    PolicyRow,
    Section,
    Signature,
    Table,
    clean,
    long_date,
)
from .models import PolicyDocument, SystemSecurityPlan

OUTCOME_LABELS = {
    scoring.Outcome.FINAL: "Level 2 Final",
    scoring.Outcome.CONDITIONAL: "Level 2 Conditional",
    scoring.Outcome.NO_STATUS: "No CMMC status",
    scoring.Outcome.INCOMPLETE: "Not decided yet: some requirements are not assessed",
    scoring.Outcome.LEVEL1_MET: "Level 1 met",
    scoring.Outcome.LEVEL1_NOT_MET: "Level 1 not met",
}


def designation(ssp: SystemSecurityPlan, organization: str) -> tuple[tuple[str, str], ...]:
    """The DoD CUI designation indicator block for the cover (DoDI 5200.48; dodcui.mil): four lines, on a plan
    marked CUI. "Controlled by" falls back to the organisation, which is what a contractor puts there."""
    if not ssp.cui_banner:
        return ()
    return (
        ("Controlled by", clean(ssp.cui_controlled_by) or organization or NOT_PROVIDED),
        ("CUI Category", clean(ssp.cui_category_marking) or NOT_PROVIDED),
        ("Distribution/Dissemination Control", clean(ssp.cui_dissemination) or "None"),
        ("POC", clean(ssp.cui_poc) or NOT_PROVIDED),
    )


def approval(ssp: SystemSecurityPlan, system_name: str, organization: str) -> Section:
    who = organization or "the organization"
    blocks = (
        Paragraph(f"I have reviewed this System Security Plan{f' for {system_name}' if system_name else ''} and "
                  f"approve it as the description of how {who} protects Controlled Unclassified Information in this "
                  "system, and of the plan of action for the requirements not yet implemented."),
        Signature(clean(ssp.approver_name), clean(ssp.approver_title), ssp.approval_date),
    )
    return Section("", "Plan approval", "sec-approval", blocks)


def summary(assessment: Assessment, result: scoring.Result, planned: dict[str, date | None], on: date) -> Section:
    """The assessment summary: computed by the same scoring code as the site's results page."""
    level2 = result.level is scoring.Level.L2
    if not level2:
        score = "None: a Level 1 self-assessment submits no score, only whether every practice is met."
    elif result.score is None:
        score = ("None yet: no score exists until this plan (requirement 3.12.4) is in place. With it, the score "
                 f"would be {result.worst_case_score} of {scoring.MAX_SCORE}.")
    else:
        score = f"{result.score} of {scoring.MAX_SCORE}"
        if result.unanswered:
            score += f" ({len(result.unanswered)} requirements not assessed yet count as not met)"
    status = OUTCOME_LABELS[result.outcome]
    if result.outcome is scoring.Outcome.CONDITIONAL and assessment.conditional_status_date:
        status += f", status date {long_date(assessment.conditional_status_date)}"
    elif result.outcome in (scoring.Outcome.FINAL, scoring.Outcome.CONDITIONAL):
        status += " (self-assessed; the status date is the date the status is posted in SPRS)"
    rows: list[tuple[str, str]] = [
        ("SPRS score", score),
        ("CMMC status", status),
        ("Assessment date", long_date(assessment.assessment_date) or NOT_PROVIDED),
        ("Assessment scope", Scope(assessment.scope).label),
        ("Target", TargetLevel(assessment.target_level).label),
        ("CAGE codes", ", ".join(assessment.cage_code_list()) or NOT_PROVIDED),
        ("Requirements open", _open_text(result)),
    ]
    if level2:
        rows.append(("POA&M closeout date", _closeout(assessment, result, on)))
        completion = report.poam_completion(result, planned)
        if completion.needed:
            rows.append(("Planned completion of every open item",
                         long_date(completion.date) if completion.complete else
                         f"Not known: {len(completion.undated)} open item(s) have no planned date."))
    rows.append(("Affirming official", clean(assessment.affirming_official) or NOT_PROVIDED))
    blocks = (
        Paragraph("From the self-assessment this plan describes, computed as the results page computes it (DoD "
                  "Assessment Methodology scoring; status under 32 CFR 170.21).", "instruction"),
        Fields(tuple(rows)),
    )
    return Section("", "Assessment summary", "sec-summary", blocks)


def _open_text(result: scoring.Result) -> str:
    if not result.open:
        return "None"
    text = f"{len(result.open)} of {result.total}"
    if result.level is scoring.Level.L2 and result.blockers:
        text += f"; {len(result.blockers)} may not be on a POA&M (they keep Conditional status out of reach)"
    return text


def _closeout(assessment: Assessment, result: scoring.Result, on: date) -> str:
    """180 days after the Conditional status date (32 CFR 170.21(a)(2)(ii))."""
    if not result.open:
        return "None needed: every requirement is met."
    if result.outcome is not scoring.Outcome.CONDITIONAL:
        return "None: the assessment has no Conditional status, so no 180-day closeout runs."
    deadline = report.conditional_deadline(conditional_status_date=assessment.conditional_status_date,
                                           assessment_date=assessment.assessment_date, today=on)
    if deadline.estimated:
        return (f"{long_date(deadline.deadline)}, estimated from {long_date(deadline.status_date)}: it is 180 days "
                "after the Conditional status date, once that date is known.")
    return f"{long_date(deadline.deadline)} (180 days after the Conditional status date)"


# --- The POA&M ----------------------------------------------------------------------------------------------------

MILESTONE_RE = re.compile(r"^\s*(\d{4}-\d{1,2}-\d{1,2})\s*[:\-–—]?\s*(.*)$")


def milestone_line(line: str) -> tuple[str, date | None, str] | None:
    """A milestone line that starts with a date: (the date as written, the date or None if it is not a real one,
    what follows it). None for a line that does not start with a date. The form validates with it, the POA&M reads
    with it."""
    match = MILESTONE_RE.match(line)
    if not match:
        return None
    try:
        when = date.fromisoformat("-".join(part.zfill(2) for part in match[1].split("-")))
    except ValueError:
        when = None
    return match[1], when, match[2].strip()


def milestones(text: str) -> tuple[Milestone, ...]:
    """Milestones as written, one per line: "2027-01-15 Deploy MFA" (a line without a real date is kept as text)."""
    found = []
    for line in clean(text).split("\n"):
        if not line.strip():
            continue
        parsed = milestone_line(line)
        if parsed and parsed[1]:
            found.append(Milestone(parsed[1], parsed[2]))
        else:
            found.append(Milestone(None, line.strip()))
    return tuple(found)


def poam_row(row: dict) -> PoamRow:
    """A row of ``assessments.poam.build_poam_rows`` as the document's POA&M row."""
    partial = row["state"] == "Partially met"
    return PoamRow(
        requirement=row["requirement"], cmmc_id=row["cmmc_id"], title=clean(row["title"]), state=clean(row["state"]),
        points=row["points"], poam_eligible=row["poam_eligible"] == "yes", why_not=clean(row["why_not"]),
        weakness=clean(row["weakness"]), identified_by=clean(row["identified_by"]),
        identified_on=row["identified_on"], responsible=clean(row["responsible"]), resources=clean(row["resources"]),
        milestones=milestones(row["milestones"] or ""), planned_date=row["planned_date"],
        milestone_changes=clean(row["milestone_changes"]), status="In progress" if partial else "Open",
    )


def poam_appendix(rows: list[PoamRow]) -> Section:
    blocks = (
        Paragraph("The requirements not yet implemented, from the self-assessment (the same list as the POA&M "
                  "spreadsheet), those that may not stay on a POA&M first, then by points recoverable. Each row holds "
                  "what 38 U.S.C. 5727(16) lists for a plan of action and milestones. Requirement 3.12.2: develop and "
                  "implement plans of action to correct deficiencies and reduce or eliminate vulnerabilities.",
                  "instruction"),
        Table(POAM_HEADERS, tuple(rows), POAM_WIDTHS, empty="No open items: every requirement is met.", small=True),
    )
    return Section("A", "Plan of action and milestones (POA&M)", "sec-a", blocks, landscape=True)


def policy_index(policies: list[PolicyDocument]) -> Section:
    rows = tuple(PolicyRow(clean(p.title), clean(p.reference), clean(p.version)) for p in policies)
    blocks = (
        Paragraph("The policies and procedures the implementation descriptions cite (3.12.4[a]: the plan may refer "
                  "to them rather than repeat them).", "instruction"),
        Table(("Policy or procedure", "Document id or where it is kept", "Version or date"), rows, (46, 38, 16),
              empty="None listed."),
    )
    return Section("B", "Policies and procedures", "sec-b", blocks)


# Acronyms the plan may use: those that appear in the document (as whole words) are listed.
ACRONYMS = {
    "AD": "Active Directory", "ATP": "Advanced Threat Protection", "C3PAO": "CMMC Third-Party Assessment Organization",
    "CAGE": "Commercial and Government Entity", "CMMC": "Cybersecurity Maturity Model Certification",
    "CSP": "Cloud service provider", "CTI": "Controlled Technical Information",
    "CUI": "Controlled Unclassified Information", "DFARS": "Defense Federal Acquisition Regulation Supplement",
    "DLP": "Data loss prevention", "DNS": "Domain Name System", "DoD": "Department of Defense",
    "EDR": "Endpoint detection and response", "ESP": "External service provider",
    "FedRAMP": "Federal Risk and Authorization Management Program", "FIPS": "Federal Information Processing Standard",
    "GCC": "Government Community Cloud", "HR": "Human resources", "IT": "Information technology",
    "LDC": "Limited dissemination control", "MDM": "Mobile device management", "MFA": "Multifactor authentication",
    "MSP": "Managed service provider", "NIST": "National Institute of Standards and Technology",
    "PIV": "Personal Identity Verification", "POA&M": "Plan of action and milestones", "POC": "Point of contact",
    "SIEM": "Security information and event management", "SP": "Special Publication",
    "SPRS": "Supplier Performance Risk System", "SSP": "System Security Plan", "TLS": "Transport Layer Security",
    "USB": "Universal Serial Bus", "VLAN": "Virtual local area network", "VPN": "Virtual private network",
    "Wi-Fi": "Wireless local area network",
}
_ACRONYM_RE = re.compile(r"(?<![\w&-])(" + "|".join(re.escape(a) for a in sorted(ACRONYMS, key=len, reverse=True))
                         + r")(?![\w&-])")


def acronyms(texts: Iterable[str]) -> Section:
    found: set[str] = set()
    for text in texts:
        found.update(_ACRONYM_RE.findall(text))
    rows = tuple(AcronymRow(a, ACRONYMS[a]) for a in sorted(found, key=str.casefold))
    return Section("C", "Acronyms", "sec-c", (Table(("Acronym", "Meaning"), rows, (20, 80)),))


def review_log(rows: tuple) -> tuple:
    return (
        Heading(2, "4.2", "Review log", "sec-4-2"),
        Paragraph("Each review of the plan (3.12.4[h]: reviewed and updated periodically), whether or not it led to a "
                  "new version.", "instruction"),
        Table(("Date", "Reviewed by", "Outcome"), rows, (16, 30, 54), empty="No review recorded yet."),
    )
