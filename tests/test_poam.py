import csv
import io
from datetime import date

import pytest

from assessments import poam, scoring, spreadsheets
from assessments.records import score_assessment
from controls.models import Requirement

from .export_helpers import answer, make

pytestmark = pytest.mark.django_db


def test_poam_rows_follow_the_gap_list_and_carry_each_answers_details(django_assert_num_queries):
    assessment = make()
    answer(assessment, "3.12.4", status="met")
    answer(assessment, "3.1.1", status="not_met", responsible="IT lead", planned_date=date(2030, 3, 1),
           note="needs AD cleanup", evidence="AC-1.pdf")
    answer(assessment, "3.5.3", status="partial")
    answer(assessment, "3.13.11", status="partial")
    answer(assessment, "3.1.3", status="not_met")
    answer(assessment, "3.1.20", status="not_met")
    answer(assessment, "3.2.1", status="met")
    answer(assessment, "3.2.2", status="na", justification="no such users")
    # 1: the catalog revision (the rules are in memory per revision: controls/snapshot.py); 2: answers for scoring;
    # 3: answer details; 4: requirement ids and titles.
    with django_assert_num_queries(4):
        rows = poam.poam_rows(assessment)
    result = score_assessment(assessment)
    assert [r["requirement"] for r in rows] == [i.rule.nist_id for i in result.gap_list]
    assert "3.2.1" not in [r["requirement"] for r in rows] and "3.2.2" not in [r["requirement"] for r in rows]
    by_id = {r["requirement"]: r for r in rows}
    req = Requirement.objects.get(nist_id="3.1.1")
    assert by_id["3.1.1"] == {
        "requirement": "3.1.1", "cmmc_id": req.cmmc_id, "title": req.cmmc_title, "state": "Not met",
        "points": req.points, "poam_eligible": "no",
        "why_not": next(i for i in result.items if i.rule.nist_id == "3.1.1").blocker_reason,
        "responsible": "IT lead", "planned_date": date(2030, 3, 1), "poam_reference": "", "note": "needs AD cleanup",
        "evidence": "AC-1.pdf", "weakness": "", "identified_by": "", "identified_on": None, "resources": "",
        "milestones": "", "milestone_changes": "",
    }
    # The two partial states: 3 points each; only 3.13.11's may be on a POA&M.
    assert (by_id["3.5.3"]["points"], by_id["3.5.3"]["poam_eligible"]) == (3, "no")
    assert (by_id["3.13.11"]["points"], by_id["3.13.11"]["poam_eligible"], by_id["3.13.11"]["why_not"]) == (
        3, "yes", "")
    assert by_id["3.5.3"]["state"] == "Partially met"
    assert (by_id["3.1.3"]["poam_eligible"], by_id["3.1.20"]["poam_eligible"]) == ("yes", "no")
    assert "never" in by_id["3.1.20"]["why_not"]
    assert by_id["3.1.2"]["state"] == poam.UNANSWERED_LABEL and by_id["3.1.2"]["responsible"] == ""
    assert sum(r["points"] for r in rows) == scoring.MAX_SCORE - result.score


def test_a_level1_gap_list_has_no_points_and_nothing_poam_eligible():
    assessment = make(target_level="l1")
    level1 = list(Requirement.objects.exclude(level1_id="").order_by("position").values_list("nist_id", flat=True))
    for nist_id in level1[2:]:
        answer(assessment, nist_id, status="met")
    answer(assessment, level1[0], status="not_met", responsible="Bob")
    rows = poam.poam_rows(assessment)
    assert [r["requirement"] for r in rows] == level1[:2]  # catalog order: one not met, one unanswered
    assert {(r["points"], r["poam_eligible"], r["why_not"]) for r in rows} == {(None, "no", poam.LEVEL1_NO_POAM)}
    assert rows[0]["responsible"] == "Bob" and rows[1]["state"] == poam.UNANSWERED_LABEL
    first = list(csv.reader(io.StringIO(spreadsheets.to_csv(rows).decode("utf-8-sig"), newline="")))[1]
    assert first[4:6] == ["", "no"]
