"""assessments/scoring.py against every rule in shared/reference/scoring-rules.md, on the real 110-requirement catalog.

The rules are built straight from fixtures/catalog.yaml (no database needed); one test checks that they are exactly
what `catalog_rules()` reads back from the database. Expected numbers are worked out by hand in the comments.
"""

import itertools
from collections.abc import Iterable
from datetime import date
from functools import cache

import pytest
from django.conf import settings
from hypothesis import HealthCheck, assume, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from assessments import scoring
from assessments.scoring import (
    CONDITIONAL_THRESHOLD,
    SSP_REQUIREMENT,
    Answer,
    InvalidAnswer,
    Level,
    ObjectiveStatus,
    Outcome,
    Result,
    Rule,
    Status,
    poam_deadline,
    requirement_status,
    score,
)
from controls.catalog import read_catalog

MET, NOT_MET, PARTIAL, NA = Status.MET, Status.NOT_MET, Status.PARTIAL, Status.NA
NEVER_POAM = ("3.1.20", "3.1.22", "3.12.4", "3.10.3", "3.10.4", "3.10.5")  # 32 CFR 170.21(a)(2)(iii)
# Hand-picked 1-point requirements that may be on a POA&M (checked against the catalog in a test below).
ONE_POINT_POAM = (
    "3.1.3", "3.1.4", "3.1.6", "3.1.7", "3.1.8", "3.1.9", "3.1.10", "3.1.11", "3.1.14", "3.1.15", "3.1.21",
    "3.2.3", "3.3.3", "3.3.4", "3.3.6", "3.3.7", "3.3.8", "3.3.9", "3.4.3", "3.4.4", "3.4.9", "3.5.4", "3.5.5",
)


@cache
def fixture_rules() -> tuple[Rule, ...]:
    """The catalog fixture as scoring rules, built the way the loader numbers positions (1-based, file order)."""
    catalog = read_catalog(settings.CATALOG_FIXTURE)
    return tuple(
        Rule(
            nist_id=spec.nist_id,
            family=spec.family,
            position=position,
            points=spec.points,
            partial_points=spec.partial_points,
            poam=spec.poam_eligibility,
            level1=bool(spec.level1_id),
            objectives=tuple(o.objective_id for o in spec.objectives),
        )
        for position, spec in enumerate(catalog.requirements, start=1)
    )


RULES = fixture_rules()
BY_ID = {r.nist_id: r for r in RULES}
IDS = tuple(BY_ID)
L1_IDS = tuple(r.nist_id for r in RULES if r.level1)


@pytest.fixture(scope="module")
def rules() -> tuple[Rule, ...]:
    return RULES


def answers(default: Status | None = MET, ids: Iterable[str] = IDS, **by_id: Status | None) -> dict[str, Answer]:
    """Every requirement in ``ids`` at ``default`` (None: left out = unanswered), then the overrides.

    Overrides use the NIST id with dots as underscores: ``r3_13_11=PARTIAL``.
    """
    result = {i: Answer(status=default) for i in ids} if default is not None else {}
    for key, status in by_id.items():
        nist_id = key.removeprefix("r").replace("_", ".")
        assert nist_id in BY_ID, nist_id
        if status is None:
            result.pop(nist_id, None)
        else:
            result[nist_id] = Answer(status=status)
    return result


def with_status(base: dict[str, Answer], ids: Iterable[str], status: Status | None) -> dict[str, Answer]:
    result = dict(base)
    for nist_id in ids:
        if status is None:
            result.pop(nist_id, None)
        else:
            result[nist_id] = Answer(status=status)
    return result


def ids_of(result_items: Iterable[scoring.Item]) -> list[str]:
    return [i.rule.nist_id for i in result_items]


def item(result: Result, nist_id: str) -> scoring.Item:
    return next(i for i in result.items if i.rule.nist_id == nist_id)


def implement(base: dict[str, Answer], items: Iterable[scoring.Item]) -> dict[str, Answer]:
    return with_status(base, [i.rule.nist_id for i in items], MET)


# --- the reference data behind the rules -------------------------------------------------------------------------


def test_the_fixture_rules_are_exactly_what_catalog_rules_reads_from_the_database(db):
    from assessments.records import catalog_rules

    assert tuple(catalog_rules()) == RULES


def test_the_catalog_has_the_point_values_the_rules_state(rules):
    points = [r.points for r in rules]
    assert len(rules) == 110
    assert (points.count(5), points.count(3), points.count(1), points.count(None)) == (44, 14, 51, 1)
    assert BY_ID[SSP_REQUIREMENT].points is None
    assert sum(p or 0 for p in points) == 313
    partial = {r.nist_id: (r.points, r.partial_points) for r in rules if r.partial_points is not None}
    assert partial == {"3.5.3": (5, 3), "3.13.11": (5, 3)}


def test_the_catalog_has_the_poam_eligibility_the_rules_state(rules):
    poam = [r.poam for r in rules]
    assert (poam.count("yes"), poam.count("only_partial"), poam.count("no")) == (46, 1, 63)
    assert {r.nist_id for r in rules if r.poam == "only_partial"} == {"3.13.11"}
    # Eligible = exactly the 1-point requirements minus the five named in 170.21(a)(2)(iii).
    assert {r.nist_id for r in rules if r.poam == "yes"} == {
        r.nist_id for r in rules if r.points == 1 and r.nist_id not in NEVER_POAM
    }
    assert all(BY_ID[i].poam == "no" for i in NEVER_POAM)
    assert all(BY_ID[i].points == 1 and BY_ID[i].poam == "yes" for i in ONE_POINT_POAM)


def test_the_level1_scope_is_the_17_practices(rules):
    assert L1_IDS == (
        "3.1.1", "3.1.2", "3.1.20", "3.1.22", "3.5.1", "3.5.2", "3.8.3", "3.10.1", "3.10.3", "3.10.4", "3.10.5",
        "3.13.1", "3.13.5", "3.14.1", "3.14.2", "3.14.4", "3.14.5",
    )


# --- rule 7: unanswered is not met; a blank assessment is never 110 ------------------------------------------------


def test_a_blank_assessment_is_incomplete_has_no_score_and_counts_everything_as_not_met(rules):
    result = score(rules, {})
    assert result.outcome is Outcome.INCOMPLETE
    assert result.score is None  # 3.12.4 is unanswered too: no SSP, no score
    assert result.worst_case_score == -203
    assert result.unanswered == IDS
    assert (result.total, result.answered_count, result.percent_answered) == (110, 0, 0)
    assert not result.conditional_eligible


def test_a_blank_assessment_with_an_ssp_scores_the_floor_and_stays_incomplete(rules):
    result = score(rules, answers(None, r3_12_4=MET))
    assert result.score == -203
    assert result.outcome is Outcome.INCOMPLETE
    assert len(result.unanswered) == 109 and SSP_REQUIREMENT not in result.unanswered
    assert result.answered_count == 1 and result.percent_answered == 1  # 1/110 = 0.9 %


def test_an_explicit_answer_without_a_status_is_unanswered(rules):
    base = answers(MET)
    base["3.1.3"] = Answer()
    result = score(rules, base)
    assert result.unanswered == ("3.1.3",)
    assert result.score == 109
    assert result.outcome is Outcome.INCOMPLETE


def test_one_unanswered_requirement_keeps_everything_else_met_below_110_and_incomplete(rules):
    result = score(rules, answers(MET, r3_1_3=None))
    assert result.score == 109
    assert result.outcome is Outcome.INCOMPLETE
    assert result.unanswered == ("3.1.3",)
    assert result.open == ("3.1.3",)
    assert result.percent_answered == 99  # 109/110


def test_an_unanswered_five_point_requirement_costs_five(rules):
    assert score(rules, answers(MET, r3_1_1=None)).score == 105


# --- rule 1 and the Final status ------------------------------------------------------------------------------------


def test_all_met_scores_110_and_is_final(rules):
    result = score(rules, answers(MET))
    assert result.score == 110
    assert result.outcome is Outcome.FINAL
    assert result.open == () and result.blockers == () and result.unanswered == ()
    assert result.gap_list == [] and result.path_to_110 == [] and result.path_to_88 == []
    assert result.has_ssp


def test_everything_not_met_with_an_ssp_is_exactly_the_floor_of_minus_203(rules):
    result = score(rules, answers(NOT_MET, r3_12_4=MET))
    assert result.score == -203
    assert result.outcome is Outcome.NO_STATUS
    assert sum(result.lost_by_family.values()) == 313
    # AC: seven 5-pointers (35) + 3.1.5 and 3.1.19 (6) + thirteen 1-pointers (13) = 54.
    # PE: 3.10.1 and 3.10.2 (10) + 3.10.3-3.10.6 (4) = 14. CA: 3.12.1 + 3.12.3 (10) + 3.12.2 (3), 3.12.4 nothing = 13.
    assert (result.lost_by_family["AC"], result.lost_by_family["PE"], result.lost_by_family["CA"]) == (54, 14, 13)


def test_each_not_met_requirement_costs_exactly_its_annex_a_value(rules):
    for rule in rules:
        if rule.nist_id == SSP_REQUIREMENT:
            continue
        result = score(rules, answers(MET, **{"r" + rule.nist_id.replace(".", "_"): NOT_MET}))
        assert result.score == 110 - rule.points, rule.nist_id
        assert item(result, rule.nist_id).deduction == rule.points


# --- rule 3: 3.12.4 -----------------------------------------------------------------------------------------------


def test_without_an_ssp_there_is_no_score_and_no_status_even_if_everything_else_is_met(rules):
    result = score(rules, answers(MET, r3_12_4=NOT_MET))
    assert result.score is None
    assert result.worst_case_score == 110  # 3.12.4 deducts nothing: the arithmetic alone would say 110
    assert result.outcome is Outcome.NO_STATUS
    assert not result.has_ssp and not result.conditional_eligible
    assert ids_of(result.blockers) == [SSP_REQUIREMENT]
    assert "System Security Plan" in result.blockers[0].blocker_reason
    assert ids_of(result.path_to_88) == [SSP_REQUIREMENT]
    assert ids_of(result.path_to_conditional) == [SSP_REQUIREMENT]


def test_without_an_ssp_an_unfinished_assessment_has_no_score_and_no_status(rules):
    result = score(rules, answers(None, r3_12_4=NOT_MET, r3_1_1=MET))
    assert result.score is None
    assert result.outcome is Outcome.INCOMPLETE
    assert result.outcome not in (Outcome.FINAL, Outcome.CONDITIONAL)


def test_the_ssp_carries_no_points(rules):
    with_ssp = score(rules, answers(NOT_MET, r3_12_4=MET))
    without_ssp = score(rules, answers(NOT_MET))
    assert with_ssp.worst_case_score == without_ssp.worst_case_score == -203  # not -204
    assert item(without_ssp, SSP_REQUIREMENT).deduction == 0
    assert without_ssp.lost_by_family["CA"] == with_ssp.lost_by_family["CA"] == 13


def test_the_ssp_has_no_partial_state(rules):
    with pytest.raises(InvalidAnswer):
        score(rules, answers(MET, r3_12_4=PARTIAL))


# --- rule 2: partial credit ------------------------------------------------------------------------------------------


def test_mfa_partial_costs_three_and_blocks_conditional(rules):
    result = score(rules, answers(MET, r3_5_3=PARTIAL))
    mfa = item(result, "3.5.3")
    assert result.score == 107
    assert mfa.deduction == 3 and not mfa.poam_eligible
    assert ids_of(result.blockers) == ["3.5.3"]
    assert not result.conditional_eligible
    assert result.outcome is Outcome.NO_STATUS
    assert "3 points" in mfa.blocker_reason


def test_mfa_not_met_costs_five(rules):
    result = score(rules, answers(MET, r3_5_3=NOT_MET))
    assert result.score == 105
    assert result.outcome is Outcome.NO_STATUS


def test_fips_partial_costs_three_and_may_be_on_a_poam(rules):
    result = score(rules, answers(MET, r3_13_11=PARTIAL))
    fips = item(result, "3.13.11")
    assert result.score == 107
    assert fips.deduction == 3 and fips.poam_eligible and fips.blocker_reason == ""
    assert result.blockers == ()
    assert result.conditional_eligible
    assert result.outcome is Outcome.CONDITIONAL


def test_fips_not_met_costs_five_and_blocks_conditional(rules):
    result = score(rules, answers(MET, r3_13_11=NOT_MET))
    fips = item(result, "3.13.11")
    assert result.score == 105
    assert fips.deduction == 5 and not fips.poam_eligible
    assert ids_of(result.blockers) == ["3.13.11"]
    assert result.outcome is Outcome.NO_STATUS
    assert "3-point state" in fips.blocker_reason


def test_partial_on_any_other_requirement_is_rejected(rules):
    others = [r.nist_id for r in rules if r.nist_id not in ("3.5.3", "3.13.11")]
    assert len(others) == 108
    for nist_id in others:
        with pytest.raises(InvalidAnswer, match=nist_id.replace(".", r"\.")):
            score(rules, {nist_id: Answer(status=PARTIAL)})


def test_partial_is_never_half_the_value(rules):
    # Half of 5 would be 2.5; the only partial deductions are 3 (3.5.3, 3.13.11).
    for nist_id in ("3.5.3", "3.13.11"):
        assert item(score(rules, {nist_id: Answer(status=PARTIAL)}), nist_id).deduction == 3


# --- rule 4: a POA&M earns nothing --------------------------------------------------------------------------------


def test_a_poam_eligible_open_item_still_costs_its_full_value(rules):
    result = score(rules, answers(MET, r3_1_3=NOT_MET))
    assert item(result, "3.1.3").poam_eligible
    assert result.score == 109


def test_the_ssp_cannot_be_not_applicable(rules):
    # N/A counts as MET, but an N/A SSP would make a score exist without a plan (rule 3 wins).
    with pytest.raises(InvalidAnswer, match="3.12.4 cannot be not applicable"):
        score(rules, answers(MET, r3_12_4=NA))


# --- rule 5: N/A counts as met --------------------------------------------------------------------------------------


def test_not_applicable_counts_as_met(rules):
    everything_na = score(rules, answers(NA, r3_12_4=MET))
    assert everything_na.score == 110 and everything_na.outcome is Outcome.FINAL
    # The Annex A examples: remote, wireless and mobile access not permitted.
    remote = answers(MET, r3_1_12=NA, r3_1_13=NA, r3_1_16=NA, r3_1_17=NA, r3_1_18=NA)
    result = score(rules, remote)
    assert result.score == 110 and result.open == ()
    assert score(rules, with_status(remote, ["3.1.12"], NOT_MET)).score == 105


# --- the Conditional status -----------------------------------------------------------------------------------------


def test_exactly_88_with_only_one_point_poam_items_open_is_conditional(rules):
    open_ids = ONE_POINT_POAM[:22]
    result = score(rules, with_status(answers(MET), open_ids, NOT_MET))
    assert result.score == 88  # 110 - 22
    assert result.conditional_eligible
    assert result.outcome is Outcome.CONDITIONAL
    assert result.open == open_ids
    assert result.blockers == ()


def test_exactly_87_with_only_one_point_poam_items_open_has_no_status(rules):
    result = score(rules, with_status(answers(MET), ONE_POINT_POAM[:23], NOT_MET))
    assert result.score == 87  # 110 - 23
    assert result.blockers == ()
    assert not result.conditional_eligible
    assert result.outcome is Outcome.NO_STATUS


def test_fips_partial_plus_nineteen_one_pointers_is_88_and_conditional(rules):
    result = score(rules, with_status(answers(MET, r3_13_11=PARTIAL), ONE_POINT_POAM[:19], NOT_MET))
    assert result.score == 88  # 110 - 3 - 19
    assert result.outcome is Outcome.CONDITIONAL


def test_conditional_is_score_88_not_88_requirements_met(rules):
    # 22 requirements open, 88 met: a "count the met requirements" calculator says Conditional.
    # The score is 110 - 3 (3.13.11 partial) - 21 = 86, below 88.
    open_answers = with_status(answers(MET, r3_13_11=PARTIAL), ONE_POINT_POAM[:21], NOT_MET)
    result = score(rules, open_answers)
    assert len(result.open) == 22 and result.total - len(result.open) == 88
    assert result.score == 86
    assert not result.conditional_eligible
    assert result.outcome is Outcome.NO_STATUS


def test_an_open_three_point_requirement_blocks_conditional_at_107(rules):
    result = score(rules, answers(MET, r3_1_5=NOT_MET))
    assert result.score == 107
    assert ids_of(result.blockers) == ["3.1.5"]
    assert result.outcome is Outcome.NO_STATUS
    assert "Worth 3 points" in result.blockers[0].blocker_reason


@pytest.mark.parametrize("nist_id", ["3.1.20", "3.1.22", "3.10.3", "3.10.4", "3.10.5"])
def test_each_never_poam_requirement_open_alone_blocks_conditional_at_109(rules, nist_id):
    result = score(rules, {**answers(MET), nist_id: Answer(status=NOT_MET)})
    assert result.score == 109  # well above 88, and only one point lost
    assert ids_of(result.blockers) == [nist_id]
    assert not result.conditional_eligible
    assert result.outcome is Outcome.NO_STATUS
    assert "170.21(a)(2)(iii)" in result.blockers[0].blocker_reason


def test_a_never_poam_requirement_unanswered_also_blocks(rules):
    result = score(rules, answers(MET, r3_10_4=None))
    assert result.score == 109
    assert ids_of(result.blockers) == ["3.10.4"]
    assert not result.conditional_eligible


def test_the_ssp_open_alone_gives_no_status_even_though_nothing_else_is_open(rules):
    result = score(rules, answers(MET, r3_12_4=NOT_MET))
    assert result.score is None and result.outcome is Outcome.NO_STATUS
    assert ids_of(result.blockers) == [SSP_REQUIREMENT]


def test_the_poam_deadline_is_180_days_after_the_status_date():
    assert poam_deadline(date(2025, 1, 1)) == date(2025, 6, 30)  # 30 + 28 + 31 + 30 + 31 + 30 = 180
    assert poam_deadline(date(2024, 1, 1)) == date(2024, 6, 29)  # leap year: February has 29 days
    assert poam_deadline(date(2025, 11, 10)) == date(2026, 5, 9)  # 20 + 31 + 31 + 28 + 31 + 30 + 9 = 180


# --- rule 6: objectives roll up ---------------------------------------------------------------------------------


def objectives(nist_id: str, *statuses: ObjectiveStatus | None) -> dict[str, ObjectiveStatus]:
    ids = BY_ID[nist_id].objectives
    assert len(statuses) == len(ids), f"{nist_id} has {len(ids)} objectives"
    return {oid: s for oid, s in zip(ids, statuses, strict=True) if s is not None}


OM, ONM, ONA = ObjectiveStatus.MET, ObjectiveStatus.NOT_MET, ObjectiveStatus.NA


def test_one_not_met_objective_makes_the_requirement_not_met_deducted_once(rules):
    # 3.1.1 has six objectives [a]-[f] and is worth 5.
    one = score(rules, {**answers(MET), "3.1.1": Answer(objectives=objectives("3.1.1", OM, OM, OM, ONM, OM, OM))})
    every = score(rules, {**answers(MET), "3.1.1": Answer(objectives=objectives("3.1.1", *[ONM] * 6))})
    assert item(one, "3.1.1").status is NOT_MET
    assert one.score == every.score == 105  # not 110 - 6 * 5


def test_objectives_all_met_or_na_make_the_requirement_met(rules):
    rule = BY_ID["3.1.1"]
    assert requirement_status(rule, Answer(objectives=objectives("3.1.1", *[OM] * 6))) is MET
    assert requirement_status(rule, Answer(objectives=objectives("3.1.1", OM, ONA, OM, ONA, OM, OM))) is MET


def test_objectives_all_na_make_the_requirement_na(rules):
    assert requirement_status(BY_ID["3.1.12"], Answer(objectives=objectives("3.1.12", *[ONA] * 4))) is NA


def test_some_objectives_unanswered_and_none_not_met_leave_the_requirement_unanswered(rules):
    partly = Answer(objectives=objectives("3.1.1", OM, OM, None, OM, ONA, OM))
    assert requirement_status(BY_ID["3.1.1"], partly) is None
    result = score(rules, {**answers(MET), "3.1.1": partly})
    assert result.unanswered == ("3.1.1",) and result.score == 105 and result.outcome is Outcome.INCOMPLETE


def test_a_not_met_objective_decides_even_when_others_are_unanswered(rules):
    partly = Answer(objectives=objectives("3.1.1", None, None, ONM, None, None, None))
    assert requirement_status(BY_ID["3.1.1"], partly) is NOT_MET


def test_every_objective_not_met_everywhere_is_still_the_floor(rules):
    every = {r.nist_id: Answer(objectives=dict.fromkeys(r.objectives, ONM)) for r in rules}
    every[SSP_REQUIREMENT] = Answer(objectives=dict.fromkeys(BY_ID[SSP_REQUIREMENT].objectives, OM))
    result = score(rules, every)
    assert result.score == -203  # 320 failed objectives, still each requirement's value once


def test_mfa_partial_with_a_failed_objective_is_the_three_point_state(rules):
    # 3.5.3[d]: MFA for network access to non-privileged accounts. Remote and privileged users have MFA.
    failed_d = objectives("3.5.3", OM, OM, OM, ONM)
    partial = score(rules, {**answers(MET), "3.5.3": Answer(status=PARTIAL, objectives=failed_d)})
    plain = score(rules, {**answers(MET), "3.5.3": Answer(objectives=failed_d)})
    assert item(partial, "3.5.3").status is PARTIAL and partial.score == 107
    assert item(plain, "3.5.3").status is NOT_MET and plain.score == 105
    assert partial.outcome is Outcome.NO_STATUS  # 3.5.3 partial is never on a POA&M


def test_fips_partial_with_its_objective_failed_is_conditional(rules):
    failed = objectives("3.13.11", ONM)
    result = score(rules, {**answers(MET), "3.13.11": Answer(status=PARTIAL, objectives=failed)})
    assert result.score == 107 and result.outcome is Outcome.CONDITIONAL


def test_a_partial_choice_stays_an_answer_while_some_objectives_are_still_unanswered(rules):
    # Answering 3.5.3[a]-[c] as met must not turn the "partially met" answer back into "unanswered".
    nothing_yet = Answer(status=PARTIAL)
    some_met = Answer(status=PARTIAL, objectives=objectives("3.5.3", OM, OM, OM, None))
    assert requirement_status(BY_ID["3.5.3"], nothing_yet) is PARTIAL
    assert requirement_status(BY_ID["3.5.3"], some_met) is PARTIAL
    assert score(rules, {**answers(MET), "3.5.3": some_met}).unanswered == ()


def test_a_not_met_answer_from_before_objective_mode_stands_until_the_objectives_decide(rules):
    # 3.1.1 answered not met, then objective mode switched on: still not met while objectives are unfinished.
    nothing_yet = Answer(status=NOT_MET)
    some_met = Answer(status=NOT_MET, objectives=objectives("3.1.1", OM, OM, None, None, None, None))
    all_met = Answer(status=NOT_MET, objectives=objectives("3.1.1", *[OM] * 6))
    all_na = Answer(status=NOT_MET, objectives=objectives("3.1.1", *[ONA] * 6))
    assert requirement_status(BY_ID["3.1.1"], nothing_yet) is NOT_MET
    assert requirement_status(BY_ID["3.1.1"], some_met) is NOT_MET
    assert requirement_status(BY_ID["3.1.1"], all_met) is MET  # every objective answered: they decide
    assert requirement_status(BY_ID["3.1.1"], all_na) is NA
    result = score(rules, {**answers(MET), "3.1.1": some_met})
    assert result.unanswered == () and result.score == 105


def test_a_met_answer_never_stands_for_unfinished_objectives(rules):
    partly = Answer(status=MET, objectives=objectives("3.1.1", OM, OM, None, OM, OM, OM))
    assert requirement_status(BY_ID["3.1.1"], partly) is None  # unanswered is never MET


def test_objectives_that_all_pass_override_a_partial_choice(rules):
    all_met = Answer(status=PARTIAL, objectives=objectives("3.5.3", OM, OM, OM, OM))
    assert requirement_status(BY_ID["3.5.3"], all_met) is MET


def test_a_partial_choice_on_another_requirement_is_rejected_in_objective_mode_too(rules):
    with pytest.raises(InvalidAnswer):
        requirement_status(BY_ID["3.1.1"], Answer(status=PARTIAL, objectives=objectives("3.1.1", *[ONM] * 6)))


def test_an_objective_of_another_requirement_is_rejected(rules):
    with pytest.raises(InvalidAnswer, match=r"3\.1\.2\[a\]"):
        score(rules, {"3.1.1": Answer(objectives={"3.1.2[a]": OM})})
    with pytest.raises(InvalidAnswer):
        score(rules, {"3.13.11": Answer(objectives={"3.13.11[b]": OM})})  # 3.13.11 has only [a]


# --- input that is not a Status --------------------------------------------------------------------------------------


def test_stored_strings_score_like_statuses(rules):
    as_strings = {k: Answer(status=v.status.value) for k, v in answers(MET, r3_13_11=PARTIAL, r3_1_3=NA).items()}
    result = score(rules, as_strings)  # type: ignore[arg-type]
    assert result.score == 107
    assert item(result, "3.13.11").status is PARTIAL and item(result, "3.13.11").poam_eligible
    assert result.outcome is Outcome.CONDITIONAL
    with pytest.raises(InvalidAnswer):
        score(rules, {"3.1.1": Answer(status="partial")})  # type: ignore[arg-type]
    na = {"3.1.12": Answer(objectives=dict.fromkeys(BY_ID["3.1.12"].objectives, "na"))}
    assert item(score(rules, na), "3.1.12").status is NA  # type: ignore[arg-type]


def test_a_status_that_is_not_an_answer_is_rejected_rather_than_counted_as_answered(rules):
    for bad in ("", "maybe", "MET"):
        with pytest.raises(InvalidAnswer):
            score(rules, {"3.1.1": Answer(status=bad)})  # type: ignore[arg-type]
    with pytest.raises(InvalidAnswer):
        score(rules, {"3.1.1": Answer(objectives={"3.1.1[a]": "partial"})})  # type: ignore[arg-type]


def test_an_unknown_requirement_is_rejected(rules):
    for nist_id in ("3.1.23", "3.15.1", "AC.L2-3.1.1", ""):
        with pytest.raises(InvalidAnswer):
            score(rules, {**answers(MET), nist_id: Answer(status=MET)})


# --- Level 1 --------------------------------------------------------------------------------------------------------


def test_level1_all_17_practices_met(rules):
    result = score(rules, answers(MET, ids=L1_IDS), Level.L1)
    assert result.total == 17
    assert ids_of(result.items) == list(L1_IDS)
    assert result.outcome is Outcome.LEVEL1_MET
    assert result.score is None  # Level 1 submits an affirmation, not a number
    assert not result.conditional_eligible


def test_level1_one_practice_not_met_is_not_met_and_no_poam_helps(rules):
    # 3.10.4 is worth 1 point and would never block anything but Conditional at Level 2.
    result = score(rules, answers(MET, ids=L1_IDS, r3_10_4=NOT_MET), Level.L1)
    assert result.outcome is Outcome.LEVEL1_NOT_MET
    assert result.open == ("3.10.4",)
    assert result.score is None and not result.conditional_eligible


def test_level1_with_practices_unanswered_is_incomplete(rules):
    blank = score(rules, {}, Level.L1)
    assert blank.outcome is Outcome.INCOMPLETE and len(blank.unanswered) == 17
    one = score(rules, answers(MET, ids=L1_IDS[1:]), Level.L1)
    assert one.outcome is Outcome.INCOMPLETE and one.unanswered == ("3.1.1",)


def test_level1_ignores_level2_only_requirements_and_the_ssp(rules):
    everything = answers(NOT_MET)
    everything.update(answers(MET, ids=L1_IDS))
    result = score(rules, everything, Level.L1)
    assert result.outcome is Outcome.LEVEL1_MET
    assert result.total == 17 and SSP_REQUIREMENT not in ids_of(result.items)


def test_level1_given_as_a_stored_string_still_scores_level1(rules):
    result = score(rules, answers(MET, ids=L1_IDS), "l1")  # type: ignore[arg-type]
    assert result.total == 17 and result.outcome is Outcome.LEVEL1_MET


def test_level1_rejects_partial_on_a_practice(rules):
    with pytest.raises(InvalidAnswer):
        score(rules, answers(MET, ids=L1_IDS, r3_1_1=PARTIAL), Level.L1)


# --- gap list and paths ---------------------------------------------------------------------------------------------


def test_the_gap_list_puts_blockers_first_then_points_recoverable_then_catalog_order(rules):
    mixed = answers(
        MET,
        r3_1_3=NOT_MET,  # 1, POA&M
        r3_1_4=None,  # 1, POA&M, unanswered
        r3_1_20=NOT_MET,  # 1, never POA&M
        r3_1_1=NOT_MET,  # 5, blocker
        r3_1_5=NOT_MET,  # 3, blocker
        r3_5_3=PARTIAL,  # 3, blocker
        r3_13_11=PARTIAL,  # 3, POA&M
        r3_14_1=NOT_MET,  # 5, blocker, last in the catalog
    )
    result = score(rules, mixed)
    assert ids_of(result.gap_list) == [
        "3.1.1", "3.14.1",  # blockers worth 5, catalog order
        "3.1.5", "3.5.3",  # blockers worth 3
        "3.1.20",  # blocker worth 1
        "3.13.11",  # POA&M-eligible worth 3
        "3.1.3", "3.1.4",  # POA&M-eligible worth 1
    ]
    assert result.score == 110 - 1 - 1 - 1 - 5 - 3 - 3 - 3 - 5  # 88
    assert ids_of(result.blockers) == ["3.1.1", "3.1.5", "3.1.20", "3.5.3", "3.14.1"]  # catalog order
    assert result.outcome is Outcome.INCOMPLETE


def test_path_to_110_is_every_open_item(rules):
    mixed = with_status(answers(MET, r3_1_1=NOT_MET, r3_5_3=PARTIAL, r3_2_3=None), ONE_POINT_POAM[:5], NOT_MET)
    result = score(rules, mixed)
    assert ids_of(result.path_to_110) == ids_of(result.gap_list)
    assert set(ids_of(result.path_to_110)) == set(result.open) == {"3.1.1", "3.5.3", "3.2.3", *ONE_POINT_POAM[:5]}
    assert score(rules, implement(mixed, result.path_to_110)).outcome is Outcome.FINAL


def fewest_to_reach(base: dict[str, Answer], candidates: list[str], target: int,
                    must: Iterable[str] = ()) -> int:
    """Brute force: the size of the smallest set of candidates whose implementation brings the score to target."""
    must = list(must)
    for size in range(len(candidates) + 1):
        for combo in itertools.combinations(candidates, size):
            fixed = score(RULES, with_status(base, [*must, *combo], MET))
            if fixed.score is not None and fixed.score >= target and (
                not must or fixed.conditional_eligible
            ):
                return size + len(must)
    raise AssertionError("unreachable")


SMALL_SCENARIO = dict(
    r3_1_1=NOT_MET, r3_1_5=NOT_MET, r3_1_3=NOT_MET, r3_1_4=NOT_MET, r3_1_6=NOT_MET, r3_1_20=NOT_MET,
    r3_5_3=PARTIAL, r3_13_11=PARTIAL, r3_8_1=NOT_MET, r3_3_1=NOT_MET, r3_14_5=NOT_MET, r3_1_7=None,
)


def test_path_to_88_is_the_smallest_set_checked_by_brute_force(rules):
    base = answers(MET, **SMALL_SCENARIO)
    result = score(rules, base)
    # 110 - (5 + 3 + 1 + 1 + 1 + 1 + 3 + 3 + 3 + 5 + 3 + 1) = 110 - 30 = 80: 8 points short.
    assert result.score == 80
    path = result.path_to_88
    assert ids_of(path) == ["3.1.1", "3.3.1"]  # 5 + 5 = 10 >= 8; no single item recovers 8
    assert len(path) == fewest_to_reach(base, list(result.open), CONDITIONAL_THRESHOLD)
    assert score(rules, implement(base, path)).score >= CONDITIONAL_THRESHOLD


def test_path_to_88_when_a_single_three_pointer_is_enough(rules):
    base = with_status(answers(MET, r3_1_5=NOT_MET), ONE_POINT_POAM[:21], NOT_MET)
    result = score(rules, base)
    assert result.score == 86  # 110 - 3 - 21
    assert ids_of(result.path_to_88) == ["3.1.5"]


def test_path_to_88_is_empty_at_88_and_starts_with_the_ssp_without_one(rules):
    at_88 = with_status(answers(MET), ONE_POINT_POAM[:22], NOT_MET)
    assert score(rules, at_88).path_to_88 == []
    no_ssp = score(rules, answers(MET, **SMALL_SCENARIO, r3_12_4=NOT_MET))
    assert ids_of(no_ssp.path_to_88) == [SSP_REQUIREMENT, "3.1.1", "3.3.1"]


def test_path_to_conditional_fixes_every_blocker_then_the_fewest_further_items(rules):
    base = answers(MET, **SMALL_SCENARIO)
    result = score(rules, base)
    path = result.path_to_conditional
    blockers = ids_of(result.blockers)
    assert blockers == ["3.1.1", "3.1.5", "3.1.20", "3.3.1", "3.5.3", "3.8.1", "3.14.5"]
    # Blockers recover 5 + 3 + 1 + 5 + 3 + 3 + 3 = 23: 80 + 23 = 103 >= 88, nothing else is needed.
    assert ids_of(path) == blockers
    fixed = score(rules, implement(base, path))
    assert fixed.conditional_eligible and fixed.outcome is Outcome.INCOMPLETE  # 3.1.7 is still unanswered


def test_path_to_conditional_adds_the_fewest_poam_items_after_the_blockers(rules):
    # 25 one-point POA&M items open (85) and one blocker, 3.10.3: fix it (86), then two more (88).
    open_ids = [r.nist_id for r in RULES if r.poam == "yes"][:25]
    base = with_status(answers(MET, r3_10_3=NOT_MET), open_ids, NOT_MET)
    result = score(rules, base)
    assert result.score == 84
    path = result.path_to_conditional
    assert ids_of(path) == ["3.10.3", *open_ids[:3]]  # 84 + 1 + 3 = 88
    candidates = [i for i in result.open if i != "3.10.3"]
    assert len(path) == fewest_to_reach(base, candidates[:6], CONDITIONAL_THRESHOLD, must=["3.10.3"])
    assert score(rules, implement(base, path)).outcome is Outcome.CONDITIONAL


def test_path_to_conditional_without_an_ssp_starts_with_it(rules):
    result = score(rules, answers(MET, r3_12_4=NOT_MET, r3_1_3=NOT_MET))
    assert ids_of(result.path_to_conditional) == [SSP_REQUIREMENT]


# --- property tests over random answer sets on the real catalog ----------------------------------------------------

CHOICES = (None, MET, NOT_MET, NA, PARTIAL)


def _clean(nist_id: str, status: Status | None) -> Status | None:
    if nist_id == SSP_REQUIREMENT and status is NA:
        return MET  # 3.12.4 cannot be N/A (see the test below)
    return NOT_MET if status is PARTIAL and BY_ID[nist_id].partial_points is None else status


@st.composite
def answer_sets(draw: st.DrawFn) -> dict[str, Answer]:
    """Either a uniformly random assessment or a mostly-met one with a few changes (which lands near 88)."""
    if draw(st.booleans()):
        statuses = {i: draw(st.sampled_from(CHOICES), label=i) for i in IDS}
    else:
        default = draw(st.sampled_from((MET, MET, NA, NOT_MET, None)))
        statuses = dict.fromkeys(IDS, default)
        statuses.update(draw(st.dictionaries(st.sampled_from(IDS), st.sampled_from(CHOICES), max_size=40)))
        if draw(st.booleans()):
            statuses[SSP_REQUIREMENT] = MET
    return {i: Answer(status=_clean(i, s)) for i, s in statuses.items() if s is not None}


PROPERTY_SETTINGS = hsettings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
GOOD = (Outcome.FINAL, Outcome.CONDITIONAL)


@pytest.mark.slow
@PROPERTY_SETTINGS
@given(answer_sets())
def test_the_score_stays_between_minus_203_and_110(given_answers):
    result = score(RULES, given_answers)
    assert -203 <= result.worst_case_score <= 110
    if result.score is not None:
        assert -203 <= result.score <= 110
        assert result.score == result.worst_case_score
    assert result.worst_case_score == 110 - sum(i.deduction for i in result.items)
    assert (result.score is None) == (given_answers.get(SSP_REQUIREMENT, Answer()).status is not MET)


@pytest.mark.slow
@PROPERTY_SETTINGS
@given(answer_sets(), st.data())
def test_implementing_one_requirement_never_makes_anything_worse(given_answers, data):
    improvable = sorted(i for i, a in given_answers.items() if a.status in (NOT_MET, PARTIAL))
    assume(improvable)
    nist_id = data.draw(st.sampled_from(improvable))
    before_status = given_answers[nist_id].status
    after_statuses = [MET]
    if before_status is NOT_MET and BY_ID[nist_id].partial_points is not None:
        after_statuses.append(PARTIAL)  # not met -> partial is an improvement too
    before = score(RULES, given_answers)
    for new_status in after_statuses:
        after = score(RULES, {**given_answers, nist_id: Answer(status=new_status)})
        assert after.worst_case_score >= before.worst_case_score
        if before.score is not None:
            assert after.score is not None and after.score >= before.score
        if before.outcome in GOOD:
            assert after.outcome in GOOD
            assert not (before.outcome is Outcome.FINAL and after.outcome is not Outcome.FINAL)
        assert after.conditional_eligible >= before.conditional_eligible
        assert set(after.open) <= set(before.open)


@pytest.mark.slow
@PROPERTY_SETTINGS
@given(answer_sets())
def test_conditional_eligibility_means_88_and_no_blocked_item_open(given_answers):
    result = score(RULES, given_answers)
    if result.conditional_eligible:
        assert result.score is not None and result.score >= CONDITIONAL_THRESHOLD
        for i in result.items:
            if i.is_open:
                assert i.rule.poam != "no", i.rule.nist_id
                assert i.rule.points == 1 or (i.rule.nist_id == "3.13.11" and i.status is PARTIAL)
                assert i.rule.nist_id not in NEVER_POAM
    else:
        assert (
            result.score is None
            or result.score < CONDITIONAL_THRESHOLD
            or any(i.is_open and (i.rule.poam == "no" or i.deduction > 3) for i in result.items)
            or any(i.is_open and i.rule.poam == "only_partial" and i.status is not PARTIAL for i in result.items)
        )
    if result.outcome is Outcome.CONDITIONAL:
        assert result.conditional_eligible and not result.unanswered and result.score < 110


@pytest.mark.slow
@PROPERTY_SETTINGS
@given(answer_sets())
def test_final_exactly_when_110_and_nothing_unanswered(given_answers):
    result = score(RULES, given_answers)
    assert (result.outcome is Outcome.FINAL) == (result.score == 110 and not result.unanswered)
    if result.unanswered:
        assert result.outcome is Outcome.INCOMPLETE


@pytest.mark.slow
@PROPERTY_SETTINGS
@given(answer_sets())
def test_the_paths_reach_their_targets_with_the_fewest_items(given_answers):
    result = score(RULES, given_answers)
    assert set(ids_of(result.path_to_110)) == set(result.open)
    path = result.path_to_88
    fixed = score(RULES, implement(given_answers, path))
    assert fixed.score is not None and fixed.score >= CONDITIONAL_THRESHOLD
    # Independently: without the SSP (worth nothing) the fewest items are the k largest deductions that cover the gap.
    gains = sorted((i.deduction for i in result.items if i.is_open and i.rule.nist_id != SSP_REQUIREMENT),
                   reverse=True)
    needed = CONDITIONAL_THRESHOLD - result.worst_case_score
    fewest = next(k for k in range(len(gains) + 1) if sum(gains[:k]) >= needed)
    assert len(path) == fewest + (not result.has_ssp)
    conditional = score(RULES, implement(given_answers, result.path_to_conditional))
    assert conditional.conditional_eligible
    assert set(ids_of(result.blockers)) <= set(ids_of(result.path_to_conditional))


def rolled_up(statuses: list[ObjectiveStatus | None], partial: bool) -> Status | None:
    """SP 800-171A roll-up, written out independently of scoring.py."""
    if any(s is ONM for s in statuses):
        return PARTIAL if partial else NOT_MET
    if any(s is None for s in statuses):
        return PARTIAL if partial else None
    return NA if all(s is ONA for s in statuses) else MET


@pytest.mark.slow
@PROPERTY_SETTINGS
@given(st.data())
def test_objective_answers_score_like_their_rolled_up_requirement_answers(data):
    by_objective: dict[str, Answer] = {}
    by_requirement: dict[str, Answer] = {}
    chosen = data.draw(st.lists(st.sampled_from(IDS), unique=True, max_size=30), label="requirements")
    # The partial-capable pair is where the roll-up has most to get wrong: include them often.
    chosen += [i for i in ("3.5.3", "3.13.11") if i not in chosen and data.draw(st.booleans(), label=i)]
    for nist_id in chosen:
        rule = BY_ID[nist_id]
        statuses = [data.draw(st.sampled_from((None, OM, ONM, ONA)), label=o) for o in rule.objectives]
        partial = rule.partial_points is not None and data.draw(st.booleans(), label="partial")
        by_objective[nist_id] = Answer(
            status=PARTIAL if partial else None,
            objectives={o: s for o, s in zip(rule.objectives, statuses, strict=True) if s is not None},
        )
        if (expected := rolled_up(statuses, partial)) is not None:
            by_requirement[nist_id] = Answer(status=expected)
    from_objectives = score(RULES, by_objective)
    from_requirements = score(RULES, by_requirement)
    assert [i.status for i in from_objectives.items] == [i.status for i in from_requirements.items]
    assert from_objectives.worst_case_score == from_requirements.worst_case_score
    assert from_objectives.outcome is from_requirements.outcome


# --- through the database: the answers a real assessment stores --------------------------------------------------


def test_score_assessment_reads_a_real_assessments_answers(db):
    from assessments.models import Assessment
    from assessments.records import score_assessment
    from assessments.writes import save_answer
    from controls.models import Requirement

    assessment = Assessment.objects.create(organization_name="Acme", target_level="l2")
    reqs = {r.nist_id: r for r in Requirement.objects.all()}
    for nist_id in IDS:
        status = {"3.13.11": PARTIAL, "3.1.3": NOT_MET, "3.1.12": NA}.get(nist_id, MET)
        save_answer(assessment=assessment, requirement=reqs[nist_id], values={"status": status}, expected_version=0)
    result = score_assessment(assessment)
    assert result.score == 106  # 110 - 3 - 1
    assert result.outcome is Outcome.CONDITIONAL


def test_score_assessment_rolls_up_stored_objective_answers(db):
    from assessments.models import Assessment
    from assessments.records import score_assessment
    from assessments.writes import save_answer, save_objective_answer
    from controls.models import Objective, Requirement

    assessment = Assessment.objects.create(organization_name="Acme", target_level="l2", objective_mode=True)
    mfa = Requirement.objects.get(nist_id="3.5.3")
    save_answer(assessment=assessment, requirement=mfa, values={"status": PARTIAL}, expected_version=0)
    for objective in Objective.objects.filter(requirement=mfa).order_by("position"):
        status = ONM if objective.objective_id == "3.5.3[d]" else OM
        save_objective_answer(assessment=assessment, objective=objective, status=status, expected_version=0)
    result = score_assessment(assessment)
    assert item(result, "3.5.3").status is PARTIAL and item(result, "3.5.3").deduction == 3
    assert result.unanswered == tuple(i for i in IDS if i != "3.5.3")


# --- the score once an SSP exists (not a score) -------------------------------------------------------------------


def test_score_with_ssp_is_what_the_same_answers_score_once_3_12_4_is_met(rules):
    base = answers(MET, r3_12_4=NOT_MET, r3_1_1=NOT_MET, r3_1_3=NOT_MET, r3_1_4=None)
    without = score(rules, base)
    assert without.score is None and not without.has_ssp
    once = scoring.score_with_ssp(rules, base)
    # 110 - 5 (3.1.1) - 1 (3.1.3) - 1 (3.1.4, unanswered counts as not met) = 103
    assert once.score == 103 == without.worst_case_score
    assert once.has_ssp and once.outcome is Outcome.INCOMPLETE and once.unanswered == ("3.1.4",)
    assert base[SSP_REQUIREMENT].status is NOT_MET  # the answers handed in are not changed
    assert scoring.score_with_ssp(rules, answers(MET, r3_12_4=None)).outcome is Outcome.FINAL


def test_score_with_ssp_of_an_assessment_that_has_one_is_its_score(rules):
    base = answers(MET, r3_13_11=PARTIAL, r3_1_3=NOT_MET)
    assert scoring.score_with_ssp(rules, base) == score(rules, base)
