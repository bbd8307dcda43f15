"""The SSP's view of each requirement: the assessment's one record (``assessments.models.Answer``), with the status
in the plan's words and the starting text offered while no description is written.

The plan stores nothing per requirement: what the SSP's requirement step saves is the answer itself, so the
questionnaire, the results, the POA&M exports and both documents always show the same values.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, NullIf

from assessments import scoring
from assessments.models import Answer, Assessment, ObjectiveAnswerStatus
from assessments.records import catalog_rules, load_answers, score_answers
from controls.models import ExampleNarrative, Family, Objective, Requirement

from . import starting_text
from .models import ImplementationStatus, SystemSecurityPlan


@dataclass
class RequirementRecord:
    requirement: Requirement
    answer: Answer  # unsaved, at version 0, while neither page has saved anything for the requirement
    status: ImplementationStatus  # the scored status in the plan's words (objective mode: rolled up)
    answered: bool  # whether the assessment has a status for it
    starting_text: str  # offered while the description is empty ("" for not applicable): ssp/starting_text.py
    # The SP 800-171A objectives: (letter, text, answer in words; "" outside objective mode).
    objectives: list[tuple[str, str, str]]

    @property
    def pending(self) -> bool:
        """No description written yet: the starting text stands in for it, flagged, until rewritten or confirmed."""
        return not self.answer.note.strip() and bool(self.starting_text)

    @property
    def description(self) -> str:
        return self.answer.note if self.answer.note.strip() else self.starting_text


def records(assessment: Assessment, *, family: Family | None = None,
            requirement: Requirement | None = None) -> tuple[scoring.Result, list[RequirementRecord]]:
    """The assessment's score, and every requirement's record in catalog order (or one family's, or one
    requirement's).

    Queries: the catalog 2, answers 1 (objective answers 1 more in objective mode), then requirements with their
    family and example narrative 1 and objectives 1: constant whatever the number of answers. The answers read for
    the score are the records themselves.
    """
    stored = load_answers(assessment)
    result = score_answers(assessment, catalog_rules(), stored)
    statuses = {item.rule.nist_id: item.status for item in result.items}
    requirements = _with_examples(Requirement.objects.select_related("family").order_by("position"), assessment)
    objectives = Objective.objects.order_by("requirement__position", "position")
    if family is not None:
        requirements = requirements.filter(family=family)
        objectives = objectives.filter(requirement__family=family)
    if requirement is not None:
        requirements = requirements.filter(pk=requirement.pk)
        objectives = objectives.filter(requirement=requirement)
    by_requirement, objective_answers = stored
    words = dict(ObjectiveAnswerStatus.choices)
    letters: dict[int, list[tuple[str, str]]] = {}
    lines: dict[int, list[tuple[str, str, str]]] = {}
    for objective in objectives:
        letters.setdefault(objective.requirement_id, []).append((objective.letter, objective.statement))
        answered = objective_answers.get(objective.pk)
        status = ""
        if assessment.objective_mode:
            status = words.get(answered.status, "Not assessed") if answered else "Not assessed"
        lines.setdefault(objective.requirement_id, []).append((objective.letter.strip("[]"), objective.statement,
                                                               status))
    organization = assessment.organization_name
    found = []
    for req in requirements:
        status = statuses.get(req.nist_id)
        plan_status = ImplementationStatus.of(status)
        answer = by_requirement.get(req.pk) or Answer(assessment=assessment, requirement=req, version=0)
        answer.requirement = req  # at hand: no query when a form or a template reads it
        found.append(RequirementRecord(
            requirement=req, answer=answer, status=plan_status, answered=status is not None,
            starting_text=starting_text.for_requirement(status=plan_status, organization=organization,
                                                        objectives=letters.get(req.pk, []), example=req.example or "",
                                                        variant=req.narrative_variant or ""),
            objectives=lines.get(req.pk, []),
        ))
    return result, found


def _with_examples(requirements: QuerySet[Requirement], assessment: Assessment) -> QuerySet[Requirement]:
    """Each requirement with ``narrative_variant``, the environment the plan chose ("" or None while not chosen, or
    without a plan), and ``example``, the example narrative offered: the chosen environment's, the default one's
    until then (ssp/starting_text.py), None if there is none. Subqueries of the requirements' own query: the
    examples cost no query of their own."""
    chosen = Subquery(SystemSecurityPlan.objects.filter(assessment=assessment).values("narrative_variant")[:1])
    offered = ExampleNarrative.objects.order_by().filter(
        requirement=OuterRef("pk"),
        variant=Coalesce(NullIf(chosen, Value("")), Value(starting_text.DEFAULT_VARIANT.value)),
    )
    return requirements.annotate(narrative_variant=chosen, example=Subquery(offered.values("text")[:1]))
