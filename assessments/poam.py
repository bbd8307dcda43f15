"""The POA&M / gap list: the open requirements, blockers first, then by points recoverable, each with its record.

One list for every output: the results page's gap list, the CSV and XLSX downloads (spreadsheets.py) and the SSP's
appendix, which builds it from the records it has already read (``build_poam_rows``).
"""

from datetime import date

from controls.models import Requirement

from . import scoring
from .models import Answer, AnswerStatus, Assessment
from .records import score_assessment

POAM_COLUMNS: tuple[tuple[str, str], ...] = (
    ("requirement", "Requirement"),
    ("cmmc_id", "CMMC id"),
    ("title", "Title"),
    ("state", "State"),
    ("points", "Points recoverable"),
    ("poam_eligible", "POA&M eligible"),
    ("why_not", "Why not eligible"),
    ("responsible", "Responsible"),
    ("planned_date", "Planned completion date"),
    ("poam_reference", "POA&M reference"),
    ("note", "Implementation description"),
    ("evidence", "Evidence"),
    ("weakness", "Weakness"),
    ("identified_by", "Identified by"),
    ("identified_on", "Identified on"),
    ("resources", "Resources required"),
    ("milestones", "Milestones"),
    ("milestone_changes", "Changes to milestones"),
)
UNANSWERED_LABEL = "Unanswered (counted as not met)"
LEVEL1_NO_POAM = "Level 1 allows no POA&M: every practice must be met (32 CFR 170.15)."

Cell = str | int | date | None


def poam_rows(assessment: Assessment) -> list[dict[str, Cell]]:
    """The gap list (blockers first, then by points recoverable) with each item's answer details.

    Queries: the scoring ones (catalog 2, answers 1 or 2), then answer details 1 and requirement titles 1.
    """
    details = {
        row.pop("requirement__nist_id"): row
        for row in Answer.objects.filter(assessment=assessment).values("requirement__nist_id", *POAM_DETAILS)
    }
    titles = {nist_id: (cmmc_id, title) for nist_id, cmmc_id, title in
              Requirement.objects.values_list("nist_id", "cmmc_id", "cmmc_title")}
    return build_poam_rows(score_assessment(assessment), details, titles)


POAM_DETAILS = ("responsible", "planned_date", "poam_reference", "note", "evidence", "weakness", "identified_by",
                "identified_on", "resources", "milestones", "milestone_changes")


def build_poam_rows(result: scoring.Result, details: dict[str, dict], titles: dict[str, tuple[str, str]]
                    ) -> list[dict[str, Cell]]:
    """The POA&M rows from a score and each requirement's record (``details``: NIST id -> POAM_DETAILS values).

    Level 1 has no points and no POA&M: its open practices come in catalog order, none of them eligible.
    """
    labels = dict(AnswerStatus.choices)
    level1 = result.level is scoring.Level.L1
    rows: list[dict[str, Cell]] = []
    for item in [i for i in result.items if i.is_open] if level1 else result.gap_list:
        nist_id = item.rule.nist_id
        answer = details.get(nist_id, {})
        cmmc_id, title = titles.get(nist_id, ("", ""))
        rows.append({
            "requirement": nist_id,
            "cmmc_id": cmmc_id,
            "title": title,
            "state": labels[item.status] if item.status else UNANSWERED_LABEL,
            "points": None if level1 else item.deduction,
            "poam_eligible": "yes" if item.poam_eligible and not level1 else "no",
            "why_not": LEVEL1_NO_POAM if level1 else item.blocker_reason,
            "responsible": answer.get("responsible", ""),
            "planned_date": answer.get("planned_date"),
            "poam_reference": answer.get("poam_reference", ""),
            "note": answer.get("note", ""),
            "evidence": answer.get("evidence", ""),
            "weakness": answer.get("weakness", ""),
            "identified_by": answer.get("identified_by", ""),
            "identified_on": answer.get("identified_on"),
            "resources": answer.get("resources", ""),
            "milestones": answer.get("milestones", ""),
            "milestone_changes": answer.get("milestone_changes", ""),
        })
    return rows
