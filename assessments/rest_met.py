"""Answering the rest of a family met, and undoing it: every requirement of one family that has no answer yet
becomes met in one write, and that write can be undone exactly.

"No answer yet" is what scoring says is unanswered, so an answer is never overwritten: a requirement answered not met
or partially met (even one given before objective mode, which stands until its objectives decide) is left alone. In
objective mode each unanswered objective of an unanswered requirement is answered met instead (the requirement's
answer comes from them); 3.12.4 is answered as a whole in both modes.

Like ``writes.save_answer``, every row written gets a new version and a history record (who, and why:
``REASON``), and the assessment's ``updated_at`` moves. The user confirms a list; ``state`` fingerprints the rows
behind it (their ids and versions), and the write refuses (``ChangedMeanwhile``) if anything changed in between.
The undo restores only rows still as the write left them; a row changed since is kept as it is and named.
"""

import hashlib
from dataclasses import asdict, dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from controls.models import Family, Objective, Requirement

from . import scoring
from .models import Answer, AnswerStatus, Assessment, ObjectiveAnswer, ObjectiveAnswerStatus
from .records import answers_for_scoring, catalog_rules, load_answers

REASON = "rest of {family} answered met"
UNDO_REASON = "undone: rest of {family} answered met"


@dataclass(frozen=True)
class Plan:
    """What answering the rest of ``family`` met would write now."""

    family: Family
    requirements: tuple[Requirement, ...]  # unanswered and in scope, in catalog order
    answers: dict[int, Answer]  # requirement pk -> its row without a status, where one exists
    objectives: tuple[tuple[Objective, ObjectiveAnswer | None], ...]  # objective mode: each unanswered objective
    family_codes: tuple[str, ...]  # the families in the assessment's scope, in catalog order
    state: str  # the fingerprint the confirmation carries

    @property
    def by_objectives(self) -> bool:
        return bool(self.objectives)

    def next_family(self) -> str | None:
        index = self.family_codes.index(self.family.code)
        return self.family_codes[index + 1] if index + 1 < len(self.family_codes) else None


class ChangedMeanwhile(Exception):
    """The rows behind the confirmed list changed since it was shown; nothing was written. ``plan`` is as now."""

    def __init__(self, plan: Plan):
        super().__init__("changed meanwhile")
        self.plan = plan


@dataclass(frozen=True)
class Done:
    """What one "rest met" wrote, as the undo needs it (kept in the session: plain values only).

    Each row is (pk, version written, status before); the status before is None for a row this write created."""

    family: str
    family_name: str
    nist_ids: tuple[str, ...]
    answers: tuple[tuple[int, int, str | None], ...]
    objectives: tuple[tuple[int, int, str | None], ...]

    def as_session(self) -> dict:
        return asdict(self)

    @classmethod
    def from_session(cls, data: dict) -> "Done":
        return cls(family=str(data["family"]), family_name=str(data["family_name"]),
                   nist_ids=tuple(data["nist_ids"]),
                   answers=tuple((int(pk), int(v), before) for pk, v, before in data["answers"]),
                   objectives=tuple((int(pk), int(v), before) for pk, v, before in data["objectives"]))


@dataclass(frozen=True)
class Undone:
    restored: tuple[str, ...]  # requirements (NIST ids) whose every row is back as it was
    kept: tuple[str, ...]  # rows changed since (NIST ids, objective ids): kept as they are now


def plan(*, assessment: Assessment, family: Family) -> Plan:
    """What answering the rest of ``family`` met would write (queries: the family's requirements, their objectives,
    the answers (+ objective answers in objective mode), catalog_rules' two)."""
    requirements = list(Requirement.objects.filter(family=family).order_by("position")
                        .prefetch_related("objectives"))
    answers, objective_answers = load_answers(assessment)
    result = scoring.score(catalog_rules(), answers_for_scoring(assessment, (answers, objective_answers)),
                           assessment.level)
    unanswered = {i.rule.nist_id for i in result.items if not i.answered}
    targets = tuple(r for r in requirements if r.nist_id in unanswered)
    blank_rows = {r.pk: answers[r.pk] for r in targets if r.pk in answers}
    objectives: list[tuple[Objective, ObjectiveAnswer | None]] = []
    if assessment.objective_mode:
        for req in targets:
            if req.nist_id == scoring.SSP_REQUIREMENT:
                continue  # answered as a whole, by its own answer
            for objective in sorted(req.objectives.all(), key=lambda o: o.position):
                row = objective_answers.get(objective.pk)
                if row is None or not row.status:
                    objectives.append((objective, row))
    family_codes = tuple(dict.fromkeys(i.rule.family for i in result.items))
    state = _fingerprint(targets, blank_rows, objectives, objective_mode=assessment.objective_mode)
    return Plan(family=family, requirements=targets, answers=blank_rows, objectives=tuple(objectives),
                family_codes=family_codes, state=state)


def _fingerprint(targets, blank_rows, objectives, *, objective_mode: bool) -> str:
    parts = [f"mode:{int(objective_mode)}"]
    parts += [f"r:{r.pk}:{blank_rows[r.pk].version if r.pk in blank_rows else 0}" for r in targets]
    parts += [f"o:{o.pk}:{row.version if row else 0}" for o, row in objectives]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def _writes_requirement(assessment: Assessment, req: Requirement) -> bool:
    """Whether the requirement's own answer is written met (else its objectives are)."""
    return not assessment.objective_mode or req.nist_id == scoring.SSP_REQUIREMENT


def _change_status(model: type[Answer] | type[ObjectiveAnswer], changes: list[tuple[Answer | ObjectiveAnswer, str]],
                   *, reason: str, moment: datetime) -> None:
    """Give each row its new status as any change does (a new version, the time), in one write with history."""
    for row, status in changes:
        row.status, row.version, row.updated_at = status, row.version + 1, moment
    if changes:
        bulk_update_with_history([row for row, _ in changes], model, ["status", "version", "updated_at"],
                                 default_change_reason=reason, default_date=moment)


def _write_met(model: type[Answer] | type[ObjectiveAnswer], met: str,
               rows: list[tuple[Answer | ObjectiveAnswer | None, dict]], *, reason: str,
               moment: datetime) -> list[tuple[int, int, str | None]]:
    """Write each row met (a new row from its keys where there is none yet), with history; what undo needs of each:
    its pk, the version this write leaves and the status before (None: the row is new)."""
    undo: list[tuple[int, int, str | None]] = []
    updated, created = [], []
    for row, keys in rows:
        if row is None:
            created.append(model(**keys, status=met, version=1))
        else:
            undo.append((row.pk, row.version + 1, row.status))
            updated.append((row, met))
    _change_status(model, updated, reason=reason, moment=moment)
    if created:
        for row in bulk_create_with_history(created, model, default_change_reason=reason, default_date=moment):
            undo.append((row.pk, row.version, None))
    return undo


@transaction.atomic
def answer_rest_met(*, assessment: Assessment, family: Family, state: str) -> Done:
    """Answer every unanswered requirement of ``family`` met, if the rows are still as when ``state`` was read;
    else raise ChangedMeanwhile (nothing written)."""
    # Lock the family's rows first: a save of one of them from another tab waits, then finds a newer version.
    family_pks = list(Requirement.objects.filter(family=family).values_list("pk", flat=True))
    list(Answer.objects.select_for_update().filter(assessment=assessment, requirement_id__in=family_pks)
         .values_list("pk"))
    if assessment.objective_mode:
        list(ObjectiveAnswer.objects.select_for_update(of=("self",))
             .filter(assessment=assessment, objective__requirement_id__in=family_pks).values_list("pk"))
    now = plan(assessment=assessment, family=family)
    if now.state != state:
        raise ChangedMeanwhile(now)
    reason = REASON.format(family=family.code)
    moment = timezone.now()
    try:
        with transaction.atomic():
            answer_rows = _write_met(Answer, AnswerStatus.MET, [
                (row, {"assessment": assessment, "requirement": req}) for req in now.requirements
                if _writes_requirement(assessment, req) for row in [now.answers.get(req.pk)]],
                reason=reason, moment=moment)
            objective_rows = _write_met(ObjectiveAnswer, ObjectiveAnswerStatus.MET, [
                (row, {"assessment": assessment, "objective": objective}) for objective, row in now.objectives],
                reason=reason, moment=moment)
    except IntegrityError:
        # A first answer to one of them was saved meanwhile (another tab): nothing of this write stays.
        raise ChangedMeanwhile(plan(assessment=assessment, family=family)) from None
    if answer_rows or objective_rows:
        Assessment.objects.filter(pk=assessment.pk).update(updated_at=moment)
    return Done(family=family.code, family_name=family.name, nist_ids=tuple(r.nist_id for r in now.requirements),
                answers=tuple(answer_rows), objectives=tuple(objective_rows))


@transaction.atomic
def undo_rest_met(*, assessment: Assessment, done: Done) -> Undone:
    """Put back every row ``done`` wrote that is still as it left it: a row it created is deleted, a row it
    updated gets its status back (with a new version, as any change). Rows changed since are kept and named."""
    reason = UNDO_REASON.format(family=done.family)
    moment = timezone.now()
    kept: list[str] = []
    touched: set[str] = set()
    changed = False
    for model, rows, label in ((Answer, done.answers, "requirement__nist_id"),
                               (ObjectiveAnswer, done.objectives, "objective__objective_id")):
        wanted = {pk: (version, before) for pk, version, before in rows}
        current = {row.pk: row for row in model.objects.select_for_update(of=("self",)).filter(
            assessment=assessment, pk__in=list(wanted)).annotate(label=F(label))}
        updated = []
        for pk, (version, before) in wanted.items():
            row = current.get(pk)
            if row is None:
                continue  # gone already: nothing to put back
            owner = row.label if model is Answer else row.label.split("[")[0]
            if row.version != version:
                kept.append(row.label)
                touched.add(owner)
                continue
            changed = True
            if before is None:
                row._change_reason = reason
                row.delete()  # one row at a time: each deletion keeps its history record with who and why
            else:
                updated.append((row, before))
        _change_status(model, updated, reason=reason, moment=moment)
    if changed:
        Assessment.objects.filter(pk=assessment.pk).update(updated_at=moment)
    restored = tuple(n for n in done.nist_ids if n not in touched)
    return Undone(restored=restored, kept=tuple(kept))

