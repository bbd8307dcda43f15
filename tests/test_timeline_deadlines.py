"""The deadline arithmetic: calendar days, calendar years, 29 February, and which anniversaries remain."""

from datetime import date

import pytest

from assessments.models import Answer
from tests.personas import make_org
from tests.timeline_helpers import rich_assessment
from timeline.deadlines import add_years, deadlines, evidence_review_deadlines, validity_end
from timeline.models import Affirmation, CmmcStatus, Submission
from timeline.snapshots import take_snapshot

pytestmark = pytest.mark.django_db


def test_a_year_is_the_same_day_and_29_february_becomes_28_february():
    assert add_years(date(2026, 3, 15), 1) == date(2027, 3, 15)
    assert add_years(date(2028, 2, 29), 1) == date(2029, 2, 28)
    assert add_years(date(2028, 2, 29), 4) == date(2032, 2, 29)
    assert add_years(date(2027, 2, 28), 1) == date(2028, 2, 28)


def submit(assessment, status: str, status_date: date, score: int | None = 100) -> Submission:
    return Submission.objects.create(
        assessment=assessment, snapshot=take_snapshot(assessment=assessment, label="s"), submitted_on=status_date,
        status_date=status_date, status=status, score=score, scope="enterprise", submitted_by="Jo")


def by_key(assessment) -> dict[str, date]:
    return {d.key: d.due for d in deadlines(assessment)}


def test_a_conditional_level_2_status_gives_the_closeout_two_affirmations_and_the_reassessment():
    assessment = rich_assessment(make_org("Acme"))
    Answer.objects.filter(assessment=assessment).update(planned_date=None)
    sub = submit(assessment, CmmcStatus.L2_CONDITIONAL, date(2026, 1, 10), 95)
    assert by_key(assessment) == {
        f"poam-closeout-{sub.pk}": date(2026, 7, 9),  # day 180, the status date being day 0
        f"affirmation-{sub.pk}-1": date(2027, 1, 10), f"affirmation-{sub.pk}-2": date(2028, 1, 10),
        f"reassessment-{sub.pk}": date(2029, 1, 10),
    }
    assert validity_end(sub) == date(2029, 1, 10)


def test_a_status_date_on_29_february_never_lands_late():
    assessment = rich_assessment(make_org("Acme"))
    Answer.objects.filter(assessment=assessment).update(planned_date=None)
    sub = submit(assessment, CmmcStatus.L2_FINAL, date(2024, 2, 29), 110)
    assert by_key(assessment) == {f"affirmation-{sub.pk}-1": date(2025, 2, 28),
                                  f"affirmation-{sub.pk}-2": date(2026, 2, 28),
                                  f"reassessment-{sub.pk}": date(2027, 2, 28)}


def test_level_1_is_reassessed_and_affirmed_every_year_and_a_basic_score_has_nothing_to_affirm():
    assessment = rich_assessment(make_org("Acme"))
    Answer.objects.filter(assessment=assessment).update(planned_date=None)
    sub = submit(assessment, CmmcStatus.L1_FINAL, date(2026, 5, 1), None)
    assert by_key(assessment) == {f"affirmation-{sub.pk}-1": date(2027, 5, 1),
                                  f"reassessment-{sub.pk}": date(2027, 5, 1)}
    later = submit(assessment, CmmcStatus.SCORE_ONLY, date(2026, 6, 1), 80)
    assert by_key(assessment) == {f"reassessment-{later.pk}": date(2029, 6, 1)}  # only the latest submission counts


def test_an_affirmation_passes_its_anniversary_and_an_old_one_brings_the_next_due_date_forward():
    assessment = rich_assessment(make_org("Acme"))
    Answer.objects.filter(assessment=assessment).update(planned_date=None)
    sub = submit(assessment, CmmcStatus.L2_FINAL, date(2025, 3, 1), 110)
    snap = sub.snapshot
    affirmation = Affirmation.objects.create(assessment=assessment, snapshot=snap, official_name="Jo",
                                             official_title="CEO", official_contact="jo@acme.test",
                                             affirmed_on=date(2026, 3, 2), statement="s")
    keys = by_key(assessment)
    assert f"affirmation-{sub.pk}-1" not in keys and keys[f"affirmation-{sub.pk}-2"] == date(2027, 3, 1)
    Affirmation.objects.filter(pk=affirmation.pk).update(affirmed_on=date(2025, 3, 1))
    keys = by_key(assessment)
    # Affirmed on the status date itself: the first anniversary is then due as usual.
    assert keys[f"affirmation-{sub.pk}-1"] == date(2026, 3, 1)
    # Affirmed before the status date (under an earlier status): due a year after it, before the anniversary.
    Affirmation.objects.filter(pk=affirmation.pk).update(affirmed_on=date(2025, 1, 15))
    assert by_key(assessment)[f"affirmation-after-{affirmation.pk}"] == date(2026, 1, 15)


def test_planned_completion_dates_of_open_requirements_only():
    assessment = rich_assessment(make_org("Acme"))
    Answer.objects.filter(assessment=assessment, requirement__nist_id="3.1.1").update(planned_date=date(2026, 2, 1))
    assert by_key(assessment) == {"planned-3.1.2": date(2026, 6, 30), "planned-3.1.3": date(2026, 9, 1)}
    assert [d.title for d in deadlines(assessment)] == ["3.1.2 planned completion", "3.1.3 planned completion"]


def test_evidence_review_dates_are_a_place_for_later_work():
    assert evidence_review_deadlines([rich_assessment(make_org("Acme"))]) == {}
