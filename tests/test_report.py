from datetime import date

from assessments import scoring
from assessments.report import (
    DeadlineBasis,
    conditional_deadline,
    family_losses,
    poam_completion,
    points_short_of_conditional,
    status_date,
)

RULES = [
    scoring.Rule("3.1.1", "AC", 1, 5, poam="no"),
    scoring.Rule("3.1.3", "AC", 2, 1, poam="yes"),
    scoring.Rule("3.2.1", "AT", 3, 3, poam="no"),
    scoring.Rule("3.12.4", "CA", 4, None, poam="no"),
]
MET = scoring.Answer(status=scoring.Status.MET)
NOT_MET = scoring.Answer(status=scoring.Status.NOT_MET)


def result(**answers: scoring.Answer) -> scoring.Result:
    return scoring.score(RULES, {k.replace("_", "."): v for k, v in answers.items()})


def test_poam_completion_is_the_latest_planned_date_of_the_open_items_only():
    r = result(**{"3_1_1": NOT_MET, "3_1_3": NOT_MET, "3_2_1": MET, "3_12_4": MET})
    planned = {"3.1.1": date(2027, 1, 1), "3.1.3": date(2027, 3, 1), "3.2.1": date(2030, 1, 1)}
    completion = poam_completion(r, planned)
    assert completion.date == date(2027, 3, 1) and completion.undated == () and completion.complete
    assert completion.open_count == 2


def test_poam_completion_names_open_items_without_a_date_unanswered_included():
    r = result(**{"3_1_1": NOT_MET, "3_12_4": MET})  # 3.1.3 and 3.2.1 unanswered: open
    completion = poam_completion(r, {"3.1.1": date(2027, 1, 1)})
    assert completion.date == date(2027, 1, 1)
    assert completion.undated == ("3.1.3", "3.2.1") and not completion.complete
    nothing = poam_completion(r, {})
    assert nothing.date is None and nothing.needed


def test_poam_completion_is_not_needed_when_nothing_is_open():
    r = result(**{"3_1_1": MET, "3_1_3": MET, "3_2_1": MET, "3_12_4": MET})
    completion = poam_completion(r, {"3.1.1": date(2027, 1, 1)})
    assert not completion.needed and completion.date is None and not completion.complete


def test_conditional_deadline_counts_180_days_from_the_best_known_date():
    status, assessed, today = date(2026, 1, 10), date(2026, 1, 5), date(2026, 2, 1)
    exact = conditional_deadline(conditional_status_date=status, assessment_date=assessed, today=today)
    assert (exact.deadline, exact.basis, exact.estimated) == (date(2026, 7, 9), DeadlineBasis.STATUS_DATE, False)
    by_assessment = conditional_deadline(conditional_status_date=None, assessment_date=assessed, today=today)
    assert (by_assessment.deadline, by_assessment.basis, by_assessment.estimated) == (
        date(2026, 7, 4), DeadlineBasis.ASSESSMENT_DATE, True)
    by_today = conditional_deadline(conditional_status_date=None, assessment_date=None, today=today)
    assert (by_today.status_date, by_today.deadline, by_today.basis) == (today, date(2026, 7, 31), DeadlineBasis.TODAY)


def test_points_short_of_conditional():
    assert points_short_of_conditional(result(**{"3_12_4": MET})) is None  # 110 - 9 = 101: not short
    # The toy catalog cannot go below 101; a real shortfall needs a lower score.
    low = scoring.Result(scoring.Level.L2, (), 80, 80, scoring.Outcome.NO_STATUS, False, (), (), (), True)
    assert points_short_of_conditional(low) == 8
    no_ssp = result(**{"3_12_4": NOT_MET})
    assert no_ssp.score is None and points_short_of_conditional(no_ssp) is None


def test_family_losses_pair_lost_points_with_the_family_total_in_catalog_order():
    r = result(**{"3_1_1": NOT_MET, "3_1_3": MET, "3_12_4": MET})  # 3.2.1 unanswered: counted
    rows = family_losses(r, {"AC": "Access Control", "AT": "Awareness and Training"})
    assert [(f.code, f.name, f.lost, f.possible) for f in rows] == [
        ("AC", "Access Control", 5, 6), ("AT", "Awareness and Training", 3, 3), ("CA", "CA", 0, 0)]


def test_the_status_date_is_the_conditional_deadline_or_since_when_or_as_of_when():
    conditional = result(**{"3_1_1": MET, "3_1_3": NOT_MET, "3_2_1": MET, "3_12_4": MET})
    final = result(**{"3_1_1": MET, "3_1_3": MET, "3_2_1": MET, "3_12_4": MET})
    none = result(**{"3_1_1": NOT_MET, "3_1_3": MET, "3_2_1": MET, "3_12_4": MET})
    incomplete = result(**{"3_1_1": MET, "3_12_4": MET})
    assert (conditional.outcome, final.outcome, none.outcome) == (
        scoring.Outcome.CONDITIONAL, scoring.Outcome.FINAL, scoring.Outcome.NO_STATUS)
    status_day, assessed, today = date(2026, 3, 1), date(2026, 2, 20), date(2026, 12, 7)

    def at(r: scoring.Result, status: date | None, assessment: date | None) -> tuple | None:
        found = status_date(r, conditional_status_date=status, assessment_date=assessment, today=today)
        return found and (found.kind, found.date, found.basis)

    # Conditional: when it expires, 180 days from the best known date (as conditional_deadline counts).
    assert at(conditional, status_day, assessed) == ("expires", date(2026, 8, 28), DeadlineBasis.STATUS_DATE)
    assert at(conditional, None, assessed) == ("expires", date(2026, 8, 19), DeadlineBasis.ASSESSMENT_DATE)
    assert at(conditional, None, None) == ("expires", date(2027, 6, 5), DeadlineBasis.TODAY)
    # A Final that followed a Conditional keeps its status date; otherwise the date the answers describe.
    assert at(final, status_day, assessed) == ("since", status_day, DeadlineBasis.STATUS_DATE)
    assert at(final, None, assessed) == ("as_of", assessed, DeadlineBasis.ASSESSMENT_DATE)
    assert at(none, status_day, None) == ("as_of", today, DeadlineBasis.TODAY)
    # Not decided yet: no date.
    assert at(incomplete, status_day, assessed) is None
