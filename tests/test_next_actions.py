"""assessments/next_actions.py: which open requirements the results page offers as the next actions, and in which
order. A table of worked cases on the real catalog, then properties over random answer sets checked against
``scoring.score`` of the same answers with the action taken (an independent path to the same numbers)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assessments import scoring
from assessments.next_actions import SHOWN, NextAction, action_for, next_actions, ranked
from assessments.scoring import SSP_REQUIREMENT, Level, Outcome, score

from .test_scoring import L1_IDS, MET, NOT_MET, PARTIAL, PROPERTY_SETTINGS, RULES, answer_sets, answers

FINAL, CONDITIONAL, NO_STATUS, INCOMPLETE = Outcome.FINAL, Outcome.CONDITIONAL, Outcome.NO_STATUS, Outcome.INCOMPLETE
ONE_POINT_POAM_23 = (  # 23 one-point requirements that may be on a POA&M: 110 - 23 = 87
    "3.1.3", "3.1.4", "3.1.6", "3.1.7", "3.1.8", "3.1.9", "3.1.10", "3.1.11", "3.1.14", "3.1.15", "3.1.21",
    "3.2.3", "3.3.3", "3.3.4", "3.3.6", "3.3.7", "3.3.8", "3.3.9", "3.4.3", "3.4.4", "3.4.9", "3.5.4", "3.5.5",
)


def shown(result: scoring.Result) -> list[tuple]:
    """Each action as (id, points, reaches, unblocks, needed for the score, answered)."""
    return [(a.nist_id, a.points, a.reaches, a.unblocks, a.needed_for_score, a.answered)
            for a in next_actions(result)]


def met_except(**by_id) -> dict[str, scoring.Answer]:
    return answers(MET, **by_id)


# Each case: the answers, then what the page offers, best first. Worked out by hand from scoring-rules.md.
CASES = {
    "a blank assessment with an SSP: the first five 5-point requirements, each to be answered": (
        answers(None, r3_12_4=MET),
        [("3.1.1", 5, None, True, False, False), ("3.1.2", 5, None, True, False, False),
         ("3.1.12", 5, None, True, False, False), ("3.1.13", 5, None, True, False, False),
         ("3.1.16", 5, None, True, False, False)],
    ),
    "without an SSP everything else met: the SSP alone, and it reaches Final": (
        met_except(r3_12_4=NOT_MET),
        [(SSP_REQUIREMENT, 0, FINAL, True, True, True)],
    ),
    "without an SSP, the SSP comes before a 5-point requirement": (
        met_except(r3_12_4=NOT_MET, r3_1_1=NOT_MET),
        [(SSP_REQUIREMENT, 0, None, True, True, True), ("3.1.1", 5, None, True, False, True)],
    ),
    "one never-POA&M blocker at 108: fixing it reaches Conditional; the POA&M item does not": (
        met_except(r3_1_3=NOT_MET, r3_1_20=NOT_MET),
        [("3.1.20", 1, CONDITIONAL, True, False, True), ("3.1.3", 1, None, False, False, True)],
    ),
    "3.5.3 partial blocks Conditional; it comes before a 1-point POA&M item": (
        met_except(r3_5_3=PARTIAL, r3_1_3=NOT_MET),
        [("3.5.3", 3, CONDITIONAL, True, False, True), ("3.1.3", 1, None, False, False, True)],
    ),
    "3.13.11 partial may stay on a POA&M: a blocker comes first even with fewer points": (
        met_except(r3_13_11=PARTIAL, r3_1_22=NOT_MET),
        [("3.1.22", 1, CONDITIONAL, True, False, True), ("3.13.11", 3, None, False, False, True)],
    ),
    "already Conditional: no single item reaches more, so points then catalog order": (
        met_except(r3_1_4=NOT_MET, r3_13_11=PARTIAL, r3_1_3=NOT_MET),
        [("3.13.11", 3, None, False, False, True), ("3.1.3", 1, None, False, False, True),
         ("3.1.4", 1, None, False, False, True)],
    ),
    "Conditional with one item open: it reaches Final": (
        met_except(r3_1_4=NOT_MET),
        [("3.1.4", 1, FINAL, False, False, True)],
    ),
    "the last unanswered requirement decides Conditional: it comes before an earlier one": (
        met_except(r3_1_4=None, r3_1_3=NOT_MET),
        [("3.1.4", 1, CONDITIONAL, False, False, False), ("3.1.3", 1, None, False, False, True)],
    ),
    "87 with only POA&M items open: each one reaches Conditional": (
        met_except(**{"r" + n.replace(".", "_"): NOT_MET for n in ONE_POINT_POAM_23}),
        [(n, 1, CONDITIONAL, False, False, True) for n in ONE_POINT_POAM_23[:SHOWN]],
    ),
    "Final: nothing to do": (met_except(), []),
}


@pytest.mark.parametrize("given_answers, expected", CASES.values(), ids=CASES.keys())
def test_the_next_actions_of_worked_cases(given_answers, expected):
    assert shown(score(RULES, given_answers)) == expected


def test_level1_offers_the_open_practices_in_catalog_order_without_points():
    result = score(RULES, answers(MET, ids=L1_IDS, r3_1_20=NOT_MET, r3_13_1=None, r3_5_1=NOT_MET), Level.L1)
    assert shown(result) == [("3.1.20", 0, None, True, False, True), ("3.5.1", 0, None, True, False, True),
                             ("3.13.1", 0, None, True, False, False)]
    last = score(RULES, answers(MET, ids=L1_IDS, r3_5_1=NOT_MET), Level.L1)
    assert shown(last) == [("3.5.1", 0, Outcome.LEVEL1_MET, True, False, True)]


def test_at_most_five_are_offered():
    result = score(RULES, answers(NOT_MET, r3_12_4=MET))
    assert len(next_actions(result)) == SHOWN == 5
    assert len(ranked(result)) == len(result.open) == 109


# --- properties ---------------------------------------------------------------------------------------------------


@st.composite
def assessments(draw: st.DrawFn) -> tuple[dict[str, scoring.Answer], Level]:
    level = draw(st.sampled_from((Level.L2, Level.L2, Level.L2, Level.L1)))
    given_answers = draw(answer_sets())
    if level is Level.L1:
        # Level 1 has no partial state on its practices.
        given_answers = {i: (scoring.Answer(status=NOT_MET) if a.status is PARTIAL else a)
                         for i, a in given_answers.items()}
    return given_answers, level


@pytest.mark.slow
@PROPERTY_SETTINGS
@given(assessments(), st.data())
def test_each_action_gains_what_scoring_the_answers_with_it_met_gives(assessment, data):
    given_answers, level = assessment
    result = score(RULES, given_answers, level)
    open_items = [i for i in result.items if i.is_open]
    if not open_items:
        assert next_actions(result) == []
        return
    for item in data.draw(st.lists(st.sampled_from(open_items), min_size=1, max_size=3, unique=True)):
        after = score(RULES, {**given_answers, item.rule.nist_id: scoring.Answer(status=MET)}, level)
        assert scoring.outcome_if_met(result, item) is after.outcome
        action = action_for(result, item)
        better = {FINAL: 2, CONDITIONAL: 1, Outcome.LEVEL1_MET: 1}
        reached = better.get(after.outcome, 0) > better.get(result.outcome, 0)
        assert action.reaches is (after.outcome if reached else None)
        if level is Level.L2:
            assert action.points == after.worst_case_score - result.worst_case_score >= 0
            assert action.unblocks == (item in result.blockers)
            assert action.needed_for_score == (item.rule.nist_id == SSP_REQUIREMENT)
        else:
            assert (action.points, action.unblocks, action.needed_for_score) == (0, True, False)


@pytest.mark.slow
@PROPERTY_SETTINGS
@given(assessments())
def test_the_five_offered_are_the_best_open_requirements_in_order(assessment):
    given_answers, level = assessment
    result = score(RULES, given_answers, level)
    offered = next_actions(result)
    every = [action_for(result, i) for i in result.items if i.is_open]
    assert len(offered) == min(SHOWN, len(result.open))
    assert len({a.nist_id for a in offered}) == len(offered)
    assert {a.nist_id for a in offered} <= set(result.open)
    keys = [a.sort_key() for a in offered]
    assert keys == sorted(keys)
    # None left out is better than the last one offered.
    if offered:
        chosen = {a.nist_id for a in offered}
        assert all(a.sort_key() > keys[-1] for a in every if a.nist_id not in chosen)
    # The plan comes first while it is open: no score and no status exist without it.
    if level is Level.L2 and SSP_REQUIREMENT in result.open:
        assert offered[0].nist_id == SSP_REQUIREMENT
    # An action that alone reaches a better status is never behind one that does not.
    reaches = [a.reaches is not None for a in offered if not a.needed_for_score]
    assert reaches == sorted(reaches, reverse=True)


def test_the_sort_key_follows_the_documented_ranking():
    item = score(RULES, answers(None, r3_12_4=MET)).items[0]
    ssp = NextAction(item, 0, None, True, True)
    reaching = NextAction(item, 1, FINAL, False, False)
    blocker = NextAction(item, 1, None, True, False)
    points = NextAction(item, 5, None, False, False)
    assert sorted([points, blocker, reaching, ssp], key=NextAction.sort_key) == [ssp, reaching, blocker, points]
