"""What the results page and the SPRS worksheet derive from a scored assessment.

Plain functions over ``scoring.Result``; the score and the status themselves come only from ``scoring``.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from . import scoring
from .charts import FamilyLoss

# The CMMC status of a result in words: every page says it this way (the ``outcome`` filter, templatetags/words.py).
OUTCOME_WORDS = {
    scoring.Outcome.FINAL: "Level 2 Final",
    scoring.Outcome.CONDITIONAL: "Level 2 Conditional",
    scoring.Outcome.NO_STATUS: "No CMMC status",
    scoring.Outcome.INCOMPLETE: "Incomplete",
    scoring.Outcome.LEVEL1_MET: "Level 1 met",
    scoring.Outcome.LEVEL1_NOT_MET: "Level 1 not met",
}


def outcome_words(outcome: str) -> str:
    """``outcome``: a ``scoring.Outcome`` or its value as a snapshot stores it."""
    return OUTCOME_WORDS.get(outcome, OUTCOME_WORDS[scoring.Outcome.INCOMPLETE])


@dataclass(frozen=True)
class PoamCompletion:
    """The SPRS "Plan of Action completion date": when every open item is planned to be done (score 110)."""

    date: date | None  # the latest planned date of the open items; None when none is dated or nothing is open
    undated: tuple[str, ...]  # open items without a planned date: the date above cannot be trusted while any remain
    open_count: int

    @property
    def needed(self) -> bool:
        return self.open_count > 0

    @property
    def complete(self) -> bool:
        return self.needed and not self.undated and self.date is not None


def poam_completion(result: scoring.Result, planned: Mapping[str, date | None]) -> PoamCompletion:
    """``planned`` maps a NIST id to its answer's planned completion date (missing: no answer row)."""
    dates = [planned.get(nist_id) for nist_id in result.open]
    undated = tuple(nist_id for nist_id, when in zip(result.open, dates, strict=True) if when is None)
    known = [d for d in dates if d is not None]
    return PoamCompletion(date=max(known) if known else None, undated=undated, open_count=len(result.open))


class DeadlineBasis:
    STATUS_DATE = "conditional_status_date"
    ASSESSMENT_DATE = "assessment_date"
    TODAY = "today"


@dataclass(frozen=True)
class Deadline:
    status_date: date
    basis: str  # a DeadlineBasis value: which date the 180 days were counted from
    deadline: date

    @property
    def estimated(self) -> bool:
        return self.basis != DeadlineBasis.STATUS_DATE


def conditional_deadline(*, conditional_status_date: date | None, assessment_date: date | None,
                         today: date) -> Deadline:
    """The POA&M closeout deadline, counted from the Conditional status date when known, else estimated."""
    if conditional_status_date is not None:
        start, basis = conditional_status_date, DeadlineBasis.STATUS_DATE
    elif assessment_date is not None:
        start, basis = assessment_date, DeadlineBasis.ASSESSMENT_DATE
    else:
        start, basis = today, DeadlineBasis.TODAY
    return Deadline(status_date=start, basis=basis, deadline=scoring.poam_deadline(start))


class StatusDateKind:
    EXPIRES = "expires"  # Conditional: the POA&M closeout deadline, when the status ends unless every item is closed
    SINCE = "since"  # Final after a Conditional: it keeps the Conditional status date (32 CFR 170.4)
    AS_OF = "as_of"  # the date the answers describe: the assessment date, else today


@dataclass(frozen=True)
class StatusDate:
    """The date shown with the CMMC status on the results page."""

    kind: str  # a StatusDateKind value
    date: date
    basis: str  # a DeadlineBasis value: which date it comes from (not the status date: an estimate for now)


def status_date(result: scoring.Result, *, conditional_status_date: date | None, assessment_date: date | None,
                today: date) -> StatusDate | None:
    """The date that goes with the status: when a Conditional status expires (``conditional_deadline``), since when
    a Final that followed a Conditional applies, else the date the assessment describes. None while the status is
    not decided (something unanswered)."""
    if result.outcome is scoring.Outcome.INCOMPLETE:
        return None
    if result.outcome is scoring.Outcome.CONDITIONAL:
        deadline = conditional_deadline(conditional_status_date=conditional_status_date,
                                        assessment_date=assessment_date, today=today)
        return StatusDate(StatusDateKind.EXPIRES, deadline.deadline, deadline.basis)
    if result.outcome is scoring.Outcome.FINAL and conditional_status_date is not None:
        return StatusDate(StatusDateKind.SINCE, conditional_status_date, DeadlineBasis.STATUS_DATE)
    if assessment_date is not None:
        return StatusDate(StatusDateKind.AS_OF, assessment_date, DeadlineBasis.ASSESSMENT_DATE)
    return StatusDate(StatusDateKind.AS_OF, today, DeadlineBasis.TODAY)


def points_short_of_conditional(result: scoring.Result) -> int | None:
    """How many points the score lacks to reach 88; None when there is no score or it is already there."""
    if result.score is None or result.score >= scoring.CONDITIONAL_THRESHOLD:
        return None
    return scoring.CONDITIONAL_THRESHOLD - result.score


def family_losses(result: scoring.Result, names: Mapping[str, str]) -> list[FamilyLoss]:
    """Points lost per family (catalog order), next to what the family is worth in total."""
    possible: dict[str, int] = {}
    for item in result.items:
        possible[item.rule.family] = possible.get(item.rule.family, 0) + (item.rule.points or 0)
    lost = result.lost_by_family
    return [FamilyLoss(code=code, name=names.get(code, code), lost=lost.get(code, 0), possible=value)
            for code, value in possible.items()]


def family_progress(result: scoring.Result, names: Mapping[str, str]) -> list[dict]:
    """Each family's answered and open requirements, in catalog order (the overview and the family pages)."""
    progress: dict[str, dict] = {}
    for item in result.items:
        fam = progress.setdefault(item.rule.family, {"code": item.rule.family, "name": names.get(item.rule.family),
                                                     "total": 0, "answered": 0, "open": 0})
        fam["total"] += 1
        fam["answered"] += item.answered
        fam["open"] += item.is_open and item.answered
    for fam in progress.values():
        fam["percent"] = round(100 * fam["answered"] / fam["total"]) if fam["total"] else 0
    return list(progress.values())
