"""Every deadline of an assessment, computed from its SPRS submissions, its affirmations and its plan of action.

Decisions where the rules leave the computation open (shared reference: lifecycle rules, section 6); the calendar
page states them to the user (templates/timeline/calendar.html):
- Days are calendar days. "Within 180 days of the CMMC Status Date" (32 CFR 170.21(b)) ends on the status date
  plus 180 days (the status date itself is day 0), as ``scoring.poam_deadline`` computes it.
- "Years" are calendar years: the same month and day; from 29 February, 28 February in a year without one (never
  1 March, so a deadline is never late).
- Validity: three years from the CMMC Status Date for Level 2 (the Conditional date, when a Final followed it, is
  the status date recorded with the Final); one year for Level 1; three years for a Basic score without a status.
- Affirmations: on each anniversary of the status date within the validity period (170.22(a)(3)(iii)); when the
  last affirmation was more than a year before the next anniversary, one year after it instead.
"""

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from django.db.models import OuterRef, Subquery

from assessments import scoring
from assessments.models import Answer, Assessment
from assessments.records import score_assessment

from .models import Affirmation, CmmcStatus, Submission

VALIDITY_YEARS = {CmmcStatus.L2_FINAL: 3, CmmcStatus.L2_CONDITIONAL: 3, CmmcStatus.L1_FINAL: 1,
                  CmmcStatus.SCORE_ONLY: 3}


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year + years, day=28)


@dataclass(frozen=True)
class Deadline:
    key: str  # stable: the calendar event's UID is made from it, so a re-download updates the same event
    kind: str  # "poam" | "affirmation" | "reassessment" | "planned" | "evidence"
    title: str
    due: date
    detail: str


def validity_end(submission: Submission) -> date:
    return add_years(submission.status_date, VALIDITY_YEARS[CmmcStatus(submission.status)])


def affirmation_dates(submission: Submission) -> list[date]:
    """The anniversaries of the status date on which the status must be affirmed again, before it lapses."""
    years = VALIDITY_YEARS[CmmcStatus(submission.status)]
    if submission.status == CmmcStatus.SCORE_ONLY:
        return []  # no CMMC status, nothing to affirm
    return [add_years(submission.status_date, n) for n in range(1, years)] or [validity_end(submission)]


def submission_deadlines(submission: Submission, last_affirmation: Affirmation | None) -> list[Deadline]:
    on = f"status date {submission.status_date:%Y-%m-%d}"
    found: list[Deadline] = []
    if submission.status == CmmcStatus.L2_CONDITIONAL:
        found.append(Deadline(
            f"poam-closeout-{submission.pk}", "poam", "POA&M closeout due (Conditional status expires)",
            scoring.poam_deadline(submission.status_date),
            f"Every POA&M item closed and the closeout self-assessment posted to SPRS within 180 days of the {on} "
            "(32 CFR 170.21(b))."))
    for n, due in enumerate(affirmation_dates(submission), start=1):
        if last_affirmation is not None and last_affirmation.affirmed_on >= due:
            continue  # already affirmed on or after it
        found.append(Deadline(
            f"affirmation-{submission.pk}-{n}", "affirmation", "Annual affirmation due", due,
            f"Anniversary {n} of the {on}: the affirming official affirms continuing compliance in SPRS "
            "(32 CFR 170.22(a)(3))."))
    if last_affirmation is not None:
        one_year = add_years(last_affirmation.affirmed_on, 1)
        upcoming = [d for d in found if d.kind == "affirmation"]
        if upcoming and one_year < upcoming[0].due:
            found.append(Deadline(
                f"affirmation-after-{last_affirmation.pk}", "affirmation", "Affirmation due (a year after the last)",
                one_year, f"An affirmation is current for one year; the last was on "
                          f"{last_affirmation.affirmed_on:%Y-%m-%d} (DFARS 204.7501, \"current\")."))
    level1 = submission.status == CmmcStatus.L1_FINAL
    found.append(Deadline(
        f"reassessment-{submission.pk}", "reassessment",
        "Annual Level 1 self-assessment due" if level1 else "Reassessment due (status lapses)",
        validity_end(submission),
        (f"Level 1 is self-assessed every year from the {on} (32 CFR 170.15)." if level1 else
         f"Three years from the {on} (32 CFR 170.16(a)(1); a Basic score is current for three years).")))
    return found


def evidence_review_deadlines(assessments: Sequence[Assessment]) -> dict[int, list[Deadline]]:
    """LATER WORK: evidence with review-by dates. When evidence records carry a review-by date, each one is a
    deadline here (kind "evidence"), keyed by assessment pk and read for all the assessments at once (the dashboard
    and the reminders ask for many), and the affirmation check (records.warnings) warns about overdue ones."""
    return {}


def _planned(rows: Iterable[tuple[str, date, str]], open_ids: Collection[str]) -> list[Deadline]:
    return [Deadline(f"planned-{nist_id}", "planned", f"{nist_id} planned completion", due,
                     f"Planned completion of requirement {nist_id}" + (f" (POA&M {ref})" if ref else "") + ".")
            for nist_id, due, ref in rows if nist_id in open_ids]


def planned_deadlines(assessment: Assessment) -> list[Deadline]:
    """The planned completion date of every open requirement (the plan of action)."""
    rows = Answer.objects.filter(assessment=assessment, planned_date__isnull=False).values_list(
        "requirement__nist_id", "planned_date", "poam_reference")
    return _planned(rows, set(score_assessment(assessment).open))


def _latest(model: type[Submission] | type[Affirmation], ids: list[int], *order: str) -> dict:
    """The latest row of each assessment, in one query (a correlated subquery picks each one's latest pk)."""
    latest = model.objects.filter(assessment_id=OuterRef("assessment_id")).order_by(*order).values("pk")[:1]
    return {row.assessment_id: row for row in model.objects.filter(assessment_id__in=ids, pk=Subquery(latest))}


def deadlines_for(assessments: Sequence[Assessment], results: Mapping[int, scoring.Result]
                  ) -> dict[int, list[Deadline]]:
    """Every deadline of each assessment, soonest first, keyed by pk, given their scores (``score_assessments``).
    Three queries whatever the number of assessments: the latest submissions, the latest affirmations, the
    planned dates."""
    ids = [a.pk for a in assessments]
    found: dict[int, list[Deadline]] = {pk: [] for pk in ids}
    last = _latest(Affirmation, ids, "-affirmed_on", "-pk")
    for pk, submission in _latest(Submission, ids, "-status_date", "-pk").items():
        found[pk] += submission_deadlines(submission, last.get(pk))
    planned: dict[int, list[tuple[str, date, str]]] = {pk: [] for pk in ids}
    for pk, nist_id, due, ref in Answer.objects.filter(assessment_id__in=ids, planned_date__isnull=False
                                                       ).values_list("assessment_id", "requirement__nist_id",
                                                                     "planned_date", "poam_reference"):
        planned[pk].append((nist_id, due, ref))
    for pk in ids:
        found[pk] += _planned(planned[pk], set(results[pk].open))
    for pk, evidence in evidence_review_deadlines(assessments).items():
        found[pk] += evidence
    return {pk: sorted(rows, key=lambda d: (d.due, d.key)) for pk, rows in found.items()}


def deadlines(assessment: Assessment) -> list[Deadline]:
    """Every deadline, soonest first (queries: the score 3-4, submission 1, affirmation 1, planned dates 1)."""
    return deadlines_for([assessment], {assessment.pk: score_assessment(assessment)})[assessment.pk]
