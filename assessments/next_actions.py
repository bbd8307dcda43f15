"""What to do next: the open requirements whose implementation gains the most, best first (the results page's
"next actions"). Pure, like ``scoring``, whose rules it only asks: the points an item costs now
(``Item.deduction``) and the status its implementation reaches (``scoring.outcome_if_met``).

The ranking, in this order:
1. 3.12.4 (the System Security Plan) while it is open: without it no score exists and no status (scoring rule 3).
2. A requirement whose implementation alone reaches a better status than now (Final over Conditional over none).
3. A requirement that stands in the way of Conditional status: open and not POA&M-eligible in its current state
   (32 CFR 170.21(a)(2)); Conditional status needs it met whatever the score. Level 1 allows no POA&M at all, so
   there every open practice is one.
4. Then the points it gains (what it costs now; an unanswered requirement counts as not met, scoring rule 7).
5. Then catalog order.
"""

from dataclasses import dataclass

from . import scoring

SHOWN = 5  # how many the results page shows

# How good a status is: implementing something "reaches" a status only if it ranks higher than the one now.
STATUS_RANK = {
    scoring.Outcome.FINAL: 2,
    scoring.Outcome.CONDITIONAL: 1,
    scoring.Outcome.LEVEL1_MET: 1,
}


@dataclass(frozen=True)
class NextAction:
    item: scoring.Item
    points: int  # what the score gains once it is met (0 on Level 1, which has no score)
    reaches: scoring.Outcome | None  # the better status this action alone reaches, if any
    unblocks: bool  # open and not allowed to stay open under Conditional status (or Level 1)
    needed_for_score: bool  # 3.12.4: no score at all without it

    @property
    def nist_id(self) -> str:
        return self.item.rule.nist_id

    @property
    def answered(self) -> bool:
        """False: the gain is what answering it met gives (it counts as not met until answered)."""
        return self.item.answered

    def sort_key(self) -> tuple:
        return (not self.needed_for_score, -STATUS_RANK.get(self.reaches, 0), not self.unblocks, -self.points,
                self.item.rule.position)


def action_for(result: scoring.Result, item: scoring.Item) -> NextAction:
    """What implementing one open requirement of ``result`` gains."""
    after = scoring.outcome_if_met(result, item)
    better = STATUS_RANK.get(after, 0) > STATUS_RANK.get(result.outcome, 0)
    level1 = result.level is scoring.Level.L1
    return NextAction(
        item=item,
        points=0 if level1 else item.deduction,  # met, it costs nothing: the score gains what it costs now
        reaches=after if better else None,
        unblocks=level1 or not item.poam_eligible,
        needed_for_score=not level1 and item.rule.nist_id == scoring.SSP_REQUIREMENT,
    )


def ranked(result: scoring.Result) -> list[NextAction]:
    """Every open requirement as an action, best first."""
    return sorted((action_for(result, i) for i in result.items if i.is_open), key=NextAction.sort_key)


def next_actions(result: scoring.Result, limit: int = SHOWN) -> list[NextAction]:
    """The ``limit`` open requirements whose implementation gains the most (see the module's ranking)."""
    return ranked(result)[:limit]
