"""Switching objective mode on and off without losing an answer (the settings page, through writes.update_intake)."""

from dataclasses import dataclass
from datetime import datetime

from django.db import models, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from controls.models import Objective, Requirement

from . import scoring
from .models import Answer, AnswerStatus, Assessment, ObjectiveAnswer, ObjectiveAnswerStatus
from .records import catalog_rules, scoring_answers


@dataclass(frozen=True)
class ObjectiveModeSwitch:
    """What ``set_objective_mode`` did, for the page to say so."""

    on: bool
    switched: bool  # False: the assessment was already in that mode, and nothing was written
    # Switching on: requirements answered met or N/A whose unanswered objectives took that answer, and how many.
    prefilled: tuple[str, ...] = ()
    prefilled_objectives: int = 0
    # Switching on: requirements answered not met or partially met: their objectives are left for the user.
    to_choose: tuple[str, ...] = ()
    # Objective answers stored before (an earlier period in objective mode): never overwritten.
    kept_objectives: int = 0
    # Switching on: requirements whose kept objective answers give another status than their answer did.
    changed_by_kept: tuple[str, ...] = ()
    # Switching off: requirements whose answer was rewritten to the status their objectives give.
    written: tuple[str, ...] = ()


OBJECTIVE_PREFILL = {AnswerStatus.MET: ObjectiveAnswerStatus.MET, AnswerStatus.NA: ObjectiveAnswerStatus.NA}


@transaction.atomic
def set_objective_mode(*, assessment: Assessment, on: bool) -> ObjectiveModeSwitch:
    """Switch objective mode on or off without losing an answer.

    On: each requirement answered met (N/A) gets each of its objectives that has no answer yet as met (N/A), so the
    score is unchanged; a requirement answered not met or partially met keeps that answer until its objectives are
    chosen (scoring_answers). Objective answers already stored are never overwritten. Off: each requirement's
    answer takes the status its objectives give (scoring.requirement_status), so the score is unchanged; the
    objective answers are kept for the next time it is switched on. 3.12.4 is answered as a whole in either mode.
    """
    locked = Assessment.objects.select_for_update().get(pk=assessment.pk)
    assessment.objective_mode = on
    if locked.objective_mode == on:
        return ObjectiveModeSwitch(on=on, switched=False)
    rules = [r for r in catalog_rules() if r.nist_id != scoring.SSP_REQUIREMENT]
    # Locked (not the catalog rows joined for their ids): a save racing the switch waits for it.
    answers = {a.nist_id: a for a in Answer.objects.select_for_update(of=("self",)).filter(assessment=assessment)
               .annotate(nist_id=models.F("requirement__nist_id"))}
    stored = {o.oid: o for o in ObjectiveAnswer.objects.select_for_update(of=("self",)).filter(assessment=assessment)
              .annotate(oid=models.F("objective__objective_id"))}
    kept = sum(1 for o in stored.values() if o.status)
    now, reason = timezone.now(), f"objective mode switched {'on' if on else 'off'}"
    if on:
        switch = _prefill_objectives(assessment, rules, answers, stored, now=now, reason=reason)
        before = _effective_statuses(rules, answers, stored, objective_mode=False)
        after = _effective_statuses(rules, answers, stored, objective_mode=True)
        switch = ObjectiveModeSwitch(**{**switch.__dict__, "kept_objectives": kept, "changed_by_kept": tuple(
            nist_id for nist_id, status in after.items() if status != before[nist_id])})
    else:
        switch = ObjectiveModeSwitch(on=False, switched=True, kept_objectives=kept, written=_write_effective_answers(
            assessment, rules, answers, stored, now=now, reason=reason))
    locked.objective_mode = on
    locked._change_reason = reason  # the activity log's note on this settings change
    locked.save(update_fields=["objective_mode", "updated_at"])
    return switch


def _prefill_objectives(assessment: Assessment, rules: list[scoring.Rule], answers: dict[str, Answer],
                        stored: dict[str, ObjectiveAnswer], *, now: datetime, reason: str) -> ObjectiveModeSwitch:
    """Objective answers from the requirement answers, written with history; ``stored`` gets the new rows."""
    objective_pks = dict(Objective.objects.values_list("objective_id", "pk"))
    new: list[ObjectiveAnswer] = []
    filled: list[ObjectiveAnswer] = []
    prefilled: list[str] = []
    to_choose: list[str] = []
    for rule in rules:
        status = answers[rule.nist_id].status if rule.nist_id in answers else ""
        if status in (AnswerStatus.NOT_MET, AnswerStatus.PARTIAL):
            to_choose.append(rule.nist_id)
        value = OBJECTIVE_PREFILL.get(status)
        if value is None:
            continue
        count = len(new) + len(filled)
        for oid in rule.objectives:
            row = stored.get(oid)
            if row is None:
                row = stored[oid] = ObjectiveAnswer(assessment=assessment, objective_id=objective_pks[oid],
                                                    status=value, version=1)
                new.append(row)
            elif not row.status:  # a blank row holds no answer
                row.status, row.version, row.updated_at = value, row.version + 1, now
                filled.append(row)
        if len(new) + len(filled) > count:
            prefilled.append(rule.nist_id)
    bulk_create_with_history(new, ObjectiveAnswer, default_change_reason=reason)
    bulk_update_with_history(filled, ObjectiveAnswer, ["status", "version", "updated_at"],
                             default_change_reason=reason)
    return ObjectiveModeSwitch(on=True, switched=True, prefilled=tuple(prefilled),
                               prefilled_objectives=len(new) + len(filled), to_choose=tuple(to_choose))


def _effective_statuses(rules: list[scoring.Rule], answers: dict[str, Answer], stored: dict[str, ObjectiveAnswer],
                        *, objective_mode: bool) -> dict[str, str]:
    """Each requirement's status as the score counts it in that mode ("": unanswered)."""
    requirement_of = {oid: rule.nist_id for rule in rules for oid in rule.objectives}
    objectives: dict[str, dict[str, str]] = {}
    for oid, row in stored.items():
        if oid in requirement_of:
            objectives.setdefault(requirement_of[oid], {})[oid] = row.status
    derived = scoring_answers({n: a.status for n, a in answers.items()}, objectives, objective_mode=objective_mode)
    statuses = {}
    for rule in rules:
        status = scoring.requirement_status(rule, derived.get(rule.nist_id))
        statuses[rule.nist_id] = status.value if status else ""
    return statuses


def _write_effective_answers(assessment: Assessment, rules: list[scoring.Rule], answers: dict[str, Answer],
                             stored: dict[str, ObjectiveAnswer], *, now: datetime, reason: str) -> tuple[str, ...]:
    """Each requirement's answer set to the status its objectives give, written with history; the NIST ids changed."""
    requirement_pks = dict(Requirement.objects.values_list("nist_id", "pk"))
    new: list[Answer] = []
    changed: list[Answer] = []
    for nist_id, status in _effective_statuses(rules, answers, stored, objective_mode=True).items():
        answer = answers.get(nist_id)
        if answer is None and status:
            new.append(Answer(assessment=assessment, requirement_id=requirement_pks[nist_id], status=status,
                              version=1))
        elif answer is not None and answer.status != status:
            answer.status, answer.version, answer.updated_at = status, answer.version + 1, now
            changed.append(answer)
    bulk_create_with_history(new, Answer, default_change_reason=reason)
    bulk_update_with_history(changed, Answer, ["status", "version", "updated_at"], default_change_reason=reason)
    written = {a.requirement_id for a in new + changed}
    return tuple(rule.nist_id for rule in rules if requirement_pks[rule.nist_id] in written)
