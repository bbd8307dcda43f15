"""SPRS score and CMMC status: the one implementation used by pages, exports and the CLI.

Pure and framework-free. The rules and their sources are in shared/reference/scoring-rules.md:
- start at 110 and subtract each NOT MET requirement's point value (3.12.4 has none);
- partial credit exists only where the catalog gives ``partial_points`` (3.5.3 and 3.13.11);
- N/A counts as MET; a POA&M earns nothing; unanswered is never MET;
- a requirement is MET only when every one of its objectives is MET or N/A;
- in objective mode a requirement-level NOT MET or partial answer stands until its objectives decide (a NOT MET
  objective, or every objective answered): an answer given before objective mode is never lost;
- without an SSP (3.12.4 not met) no score exists;
- Conditional Level 2: score >= 88, every open item POA&M-eligible in its current state, none of the six
  never-POA&M requirements open.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

MAX_SCORE = 110
CONDITIONAL_THRESHOLD = 88  # 32 CFR 170.21(a)(2)(i): score / 110 >= 0.8
POAM_CLOSEOUT_DAYS = 180
SSP_REQUIREMENT = "3.12.4"


class Status(StrEnum):
    MET = "met"
    NOT_MET = "not_met"
    PARTIAL = "partial"
    NA = "na"


class ObjectiveStatus(StrEnum):
    MET = "met"
    NOT_MET = "not_met"
    NA = "na"


class Level(StrEnum):
    L1 = "l1"
    L2 = "l2"


class Outcome(StrEnum):
    FINAL = "final"
    CONDITIONAL = "conditional"
    NO_STATUS = "no_status"
    INCOMPLETE = "incomplete"
    LEVEL1_MET = "level1_met"
    LEVEL1_NOT_MET = "level1_not_met"


class InvalidAnswer(ValueError):
    pass


@dataclass(frozen=True)
class Rule:
    """What the catalog says about one requirement, as scoring needs it."""

    nist_id: str
    family: str
    position: int
    points: int | None  # None: not scored (3.12.4)
    partial_points: int | None = None
    poam: str = "no"  # "yes" | "no" | "only_partial"
    level1: bool = False
    objectives: tuple[str, ...] = ()


@dataclass(frozen=True)
class Answer:
    status: Status | None = None
    # Objective mode: objective id -> status. When present, the requirement's status is derived from them.
    objectives: Mapping[str, ObjectiveStatus] = field(default_factory=dict)


@dataclass(frozen=True)
class Item:
    """One requirement's state in a scored assessment."""

    rule: Rule
    status: Status | None  # None: unanswered

    @property
    def answered(self) -> bool:
        return self.status is not None

    @property
    def is_open(self) -> bool:
        return self.status not in (Status.MET, Status.NA)

    @property
    def deduction(self) -> int:
        """Points this item costs now; unanswered costs its full value (never MET)."""
        if not self.is_open:
            return 0
        if self.status is Status.PARTIAL:
            return self.rule.partial_points or 0
        return self.rule.points or 0

    @property
    def poam_eligible(self) -> bool:
        """May this open item stay open under Conditional status (32 CFR 170.21(a)(2))?"""
        if self.rule.poam == "yes":
            return True
        return self.rule.poam == "only_partial" and self.status is Status.PARTIAL

    @property
    def blocker_reason(self) -> str:
        rule = self.rule
        if self.poam_eligible:
            return ""
        if rule.nist_id == SSP_REQUIREMENT:
            return "Without a System Security Plan there is no score and no CMMC status."
        if rule.poam == "only_partial":
            return (
                "Only its 3-point state (encryption employed but not FIPS-validated) may be on a POA&M; "
                "with no encryption it blocks Conditional status."
            )
        if rule.points == 1:
            return "Named in 32 CFR 170.21(a)(2)(iii) as never allowed on a POA&M."
        if self.status is Status.PARTIAL:
            return (
                f"Even in its partial state it costs {self.deduction} points; "
                "only 1-point requirements may be on a POA&M."
            )
        return f"Worth {rule.points} points; only 1-point requirements may be on a POA&M."


@dataclass(frozen=True)
class Result:
    level: Level
    items: tuple[Item, ...]
    score: int | None  # None: no SSP (or a Level 1 assessment, which submits no score)
    worst_case_score: int  # the arithmetic even without an SSP, unanswered counted NOT MET
    outcome: Outcome
    conditional_eligible: bool
    unanswered: tuple[str, ...]
    open: tuple[str, ...]
    blockers: tuple[Item, ...]
    has_ssp: bool

    @property
    def total(self) -> int:
        return len(self.items)

    @property
    def answered_count(self) -> int:
        return len(self.items) - len(self.unanswered)

    @property
    def percent_answered(self) -> int:
        return round(100 * self.answered_count / self.total) if self.items else 0

    @property
    def lost_by_family(self) -> dict[str, int]:
        lost: dict[str, int] = {}
        for item in self.items:
            lost[item.rule.family] = lost.get(item.rule.family, 0) + item.deduction
        return lost

    @property
    def gap_list(self) -> list[Item]:
        """Open items: blockers first, then by points recoverable, then catalog order."""
        return sorted(
            (i for i in self.items if i.is_open),
            key=lambda i: (i.poam_eligible, -i.deduction, i.rule.position),
        )

    @property
    def path_to_88(self) -> list[Item]:
        return _path_to(self, CONDITIONAL_THRESHOLD)

    @property
    def path_to_110(self) -> list[Item]:
        return [i for i in self.gap_list]

    @property
    def path_to_conditional(self) -> list[Item]:
        """Every blocker, then the fewest further items that bring the score to 88."""
        chosen = list(self.blockers)
        score = self.worst_case_score + sum(i.deduction for i in chosen)
        for item in _by_gain(i for i in self.items if i.is_open and i not in chosen):
            if score >= CONDITIONAL_THRESHOLD:
                break
            chosen.append(item)
            score += item.deduction
        return chosen


def _by_gain(items: Iterable[Item]) -> list[Item]:
    return sorted(items, key=lambda i: (-i.deduction, i.rule.position))


def _path_to(result: Result, target: int) -> list[Item]:
    """The fewest items whose implementation brings the score to ``target`` (largest gains first)."""
    chosen: list[Item] = []
    score = result.worst_case_score
    open_items = [i for i in result.items if i.is_open]
    ssp = [i for i in open_items if i.rule.nist_id == SSP_REQUIREMENT]
    chosen.extend(ssp)  # no score exists at all until the SSP does
    for item in _by_gain(i for i in open_items if i.rule.nist_id != SSP_REQUIREMENT):
        if score >= target:
            break
        chosen.append(item)
        score += item.deduction
    return chosen


def _coerce(kind: type[Status] | type[ObjectiveStatus], value: object, where: str) -> Status | ObjectiveStatus | None:
    # Callers may hand over stored strings ("met"); anything else ("", "maybe") must not count as an answer.
    if value is None or isinstance(value, kind):
        return value
    try:
        return kind(value)
    except ValueError:
        raise InvalidAnswer(f"{where}: {value!r} is not a valid answer") from None


def requirement_status(rule: Rule, answer: Answer | None) -> Status | None:
    """The requirement's effective status, with objectives rolled up when they were answered.

    In objective mode the requirement-level status only counts when it is NOT MET or the partial state of
    3.5.3/3.13.11. Partial turns a NOT MET objective into the 3-point state. Either one stands as the answer while
    no objective contradicts it and some are still unanswered: a partial choice, or a NOT MET given before objective
    mode was switched on, is an answer, so answering some objectives MET never turns it back into "unanswered".
    Once every objective is answered, the objectives decide.
    """
    if answer is None:
        return None
    status = _coerce(Status, answer.status, rule.nist_id)
    if status is Status.PARTIAL and rule.partial_points is None:
        raise InvalidAnswer(f"{rule.nist_id} has no partial credit; partially implemented is NOT MET")
    if rule.nist_id == SSP_REQUIREMENT and status is Status.NA:
        # N/A would make a score exist without a plan: every assessment needs an SSP.
        raise InvalidAnswer(f"{SSP_REQUIREMENT} cannot be not applicable: no score exists without an SSP")
    if not answer.objectives:
        return status
    unknown = set(answer.objectives) - set(rule.objectives)
    if unknown:
        raise InvalidAnswer(f"{rule.nist_id}: unknown objective {sorted(unknown)[0]}")
    values = [_coerce(ObjectiveStatus, answer.objectives.get(o), o) for o in rule.objectives]
    if ObjectiveStatus.NOT_MET in values:
        # One NOT MET objective makes the requirement NOT MET (deducted once), unless the user chose the
        # requirement's partial state, which is what a failed objective of 3.5.3 or 3.13.11 may mean.
        return Status.PARTIAL if status is Status.PARTIAL else Status.NOT_MET
    if None in values:
        return status if status in (Status.PARTIAL, Status.NOT_MET) else None
    if all(v is ObjectiveStatus.NA for v in values):
        return Status.NA
    return Status.MET


def score(rules: Iterable[Rule], answers: Mapping[str, Answer], level: Level = Level.L2) -> Result:
    level = Level(level)  # a stored "l1" must not silently score as Level 2 (the checks below use identity)
    rules = sorted(rules, key=lambda r: r.position)
    unknown = set(answers) - {r.nist_id for r in rules}
    if unknown:
        raise InvalidAnswer(f"unknown requirement {sorted(unknown)[0]}")
    in_scope = [r for r in rules if level is Level.L2 or r.level1]
    items = tuple(Item(rule=r, status=requirement_status(r, answers.get(r.nist_id))) for r in in_scope)
    return _result(level, items)


def _result(level: Level, items: tuple[Item, ...]) -> Result:
    """Everything ``score`` says about items already in scope and in catalog order."""
    unanswered = tuple(i.rule.nist_id for i in items if not i.answered)
    open_ids = tuple(i.rule.nist_id for i in items if i.is_open)
    worst = MAX_SCORE - sum(i.deduction for i in items)
    if level is Level.L1:
        outcome, _ = _status(level, unanswered=bool(unanswered), open_=bool(open_ids), value=None, blocked=False)
        return Result(level, items, None, worst, outcome, False, unanswered, open_ids, (), True)
    ssp = next((i for i in items if i.rule.nist_id == SSP_REQUIREMENT), None)
    has_ssp = ssp is not None and not ssp.is_open
    value = worst if has_ssp else None
    blockers = tuple(i for i in items if i.is_open and not i.poam_eligible)
    outcome, eligible = _status(level, unanswered=bool(unanswered), open_=bool(open_ids), value=value,
                                blocked=bool(blockers))
    return Result(level, items, value, worst, outcome, eligible, unanswered, open_ids, blockers, has_ssp)


def _status(level: Level, *, unanswered: bool, open_: bool, value: int | None, blocked: bool
            ) -> tuple[Outcome, bool]:
    """The status and whether Conditional is allowed, from the totals: anything unanswered, anything open, the
    score (None: no SSP) and any open item that may not be on a POA&M."""
    if level is Level.L1:
        return (Outcome.INCOMPLETE if unanswered else Outcome.LEVEL1_NOT_MET if open_ else Outcome.LEVEL1_MET), False
    eligible = value is not None and value >= CONDITIONAL_THRESHOLD and not blocked
    if unanswered:
        return Outcome.INCOMPLETE, eligible
    if value == MAX_SCORE:
        return Outcome.FINAL, eligible
    return (Outcome.CONDITIONAL if eligible else Outcome.NO_STATUS), eligible


def outcome_if_met(result: Result, item: Item) -> Outcome:
    """The status ``result`` would have with this one of its requirements met: what implementing it reaches.

    The same decision ``score`` makes, from ``result``'s totals with the item taken out, so it costs nothing per
    requirement; tests/test_next_actions.py checks it against scoring the answers with the item met."""
    if not item.is_open:
        return result.outcome
    if result.level is Level.L1:
        value = None
    elif item.rule.nist_id == SSP_REQUIREMENT or result.has_ssp:
        value = result.worst_case_score + item.deduction
    else:
        value = None
    outcome, _ = _status(
        result.level,
        unanswered=len(result.unanswered) > (0 if item.answered else 1),
        open_=len(result.open) > 1,
        value=value,
        blocked=len(result.blockers) > (0 if item.poam_eligible else 1),
    )
    return outcome


def score_with_ssp(rules: Iterable[Rule], answers: Mapping[str, Answer], level: Level = Level.L2) -> Result:
    """What ``score`` gives for the same answers once 3.12.4 is met: the score an assessment without an SSP would
    have with one. Not a score: none exists until the SSP does."""
    return score(rules, {**answers, SSP_REQUIREMENT: Answer(status=Status.MET)}, level)


def poam_deadline(status_date: date) -> date:
    """Conditional Level 2 POA&M items must be closed within 180 days of the status date."""
    return status_date + timedelta(days=POAM_CLOSEOUT_DAYS)
