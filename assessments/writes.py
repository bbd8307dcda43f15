"""Writing an assessment: each write that touches more than one row is a keyword-only function in one transaction.
Answers and objective answers are written only if still at the version the client read (``StaleWrite``)."""

import uuid
from collections.abc import Callable, Iterable
from datetime import datetime

from django.db import IntegrityError, models, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from controls.models import Objective, Requirement
from orgs.models import Organization

from . import scoring
from .models import ANSWER_FIELDS, DUPLICATED_FIELDS, Answer, AnswerStatus, Assessment, ObjectiveAnswer
from .objective_mode import ObjectiveModeSwitch, set_objective_mode


class StaleWrite(Exception):
    """The row changed since the client read it; ``current`` is what is stored now (None if nothing is)."""

    def __init__(self, current: models.Model | None):
        super().__init__("stale write")
        self.current = current


@transaction.atomic
def save_answer(*, assessment: Assessment, requirement: Requirement, values: dict, expected_version: int) -> Answer:
    """Write one answer if it is still at ``expected_version`` (0: not answered yet); else raise StaleWrite."""
    fields = {k: values[k] for k in ANSWER_FIELDS if k in values}
    if expected_version == 0:
        try:
            with transaction.atomic():
                answer = Answer.objects.create(assessment=assessment, requirement=requirement, version=1, **fields)
        except IntegrityError:
            raise StaleWrite(Answer.objects.filter(assessment=assessment, requirement=requirement).first()) from None
    else:
        answer = (
            Answer.objects.select_for_update()
            .filter(assessment=assessment, requirement=requirement, version=expected_version)
            .first()
        )
        if answer is None:
            raise StaleWrite(Answer.objects.filter(assessment=assessment, requirement=requirement).first())
        for name, value in fields.items():
            setattr(answer, name, value)
        answer.version = expected_version + 1
        answer.save()
    Assessment.objects.filter(pk=assessment.pk).update(updated_at=answer.updated_at)
    return answer


@transaction.atomic
def save_objective_answer(
    *, assessment: Assessment, objective: Objective, status: str, expected_version: int
) -> ObjectiveAnswer:
    if expected_version == 0:
        try:
            with transaction.atomic():
                row = ObjectiveAnswer.objects.create(
                    assessment=assessment, objective=objective, status=status, version=1
                )
        except IntegrityError:
            raise StaleWrite(
                ObjectiveAnswer.objects.filter(assessment=assessment, objective=objective).first()
            ) from None
    else:
        row = (
            ObjectiveAnswer.objects.select_for_update()
            .filter(assessment=assessment, objective=objective, version=expected_version)
            .first()
        )
        if row is None:
            raise StaleWrite(ObjectiveAnswer.objects.filter(assessment=assessment, objective=objective).first())
        row.status = status
        row.version = expected_version + 1
        row.save()
    Assessment.objects.filter(pk=assessment.pk).update(updated_at=row.updated_at)
    return row


@transaction.atomic
def set_ssp_answer(*, assessment: Assessment, has_ssp: bool) -> Answer:
    """Answer 3.12.4 ("do you have an SSP?"): met or not met. Written only when the stored answer disagrees, so an
    unchanged answer adds no version; its note and other fields are kept."""
    ssp = Requirement.objects.get(nist_id=scoring.SSP_REQUIREMENT)
    # Read under a lock inside this transaction, so a save from another tab cannot make this one stale.
    current = Answer.objects.select_for_update().filter(assessment=assessment, requirement=ssp).first()
    if current is not None and current.status and (current.status in (AnswerStatus.MET, AnswerStatus.NA)) == has_ssp:
        return current
    return save_answer(assessment=assessment, requirement=ssp,
                       values={"status": AnswerStatus.MET if has_ssp else AnswerStatus.NOT_MET},
                       expected_version=current.version if current else 0)


@transaction.atomic
def create_assessment(*, assessment: Assessment, has_ssp: bool, organization: Organization | None = None
                      ) -> Assessment:
    """Save a new assessment (``assessment``: unsaved, its intake filled in) with its 3.12.4 answer, in
    ``organization`` or anonymous. An anonymous assessment's recovery key is made when the key page shows it; an
    organisation's never has one."""
    assessment.organization = organization
    if organization is not None:
        # The first line of its activity log (the history middleware records who): where it was started.
        assessment._change_reason = f"started in {organization.name}"[:100]
    assessment.save()
    ssp = Requirement.objects.get(nist_id=scoring.SSP_REQUIREMENT)
    save_answer(assessment=assessment, requirement=ssp,
                values={"status": AnswerStatus.MET if has_ssp else AnswerStatus.NOT_MET}, expected_version=0)
    return assessment


@transaction.atomic
def revoke_recovery_key(*, assessment: Assessment) -> None:
    """The current key stops working at once; a new one is made when the key page shows it."""
    Assessment.objects.filter(pk=assessment.pk).update(recovery_key_hash="", recovery_key_created_at=None)


@transaction.atomic
def update_intake(*, assessment: Assessment, objective_mode: bool, has_ssp: bool) -> ObjectiveModeSwitch:
    """Save the intake (``assessment``: the stored one with the new settings set on it): 3.12.4 follows the SSP
    question, and a change of objective mode keeps every answer."""
    switch = set_objective_mode(assessment=assessment, on=objective_mode)
    assessment.save()
    set_ssp_answer(assessment=assessment, has_ssp=has_ssp)
    return switch


@transaction.atomic
def update_sprs_details(*, assessment: Assessment, fields: Iterable[str]) -> Assessment:
    """Save only the worksheet's ``fields`` (set on ``assessment``), so a settings change made meanwhile elsewhere
    is not overwritten."""
    assessment.save(update_fields=[*fields, "updated_at"])
    return assessment


@transaction.atomic
def duplicate_assessment(*, source: Assessment, organization_name: str | None = None, by=None) -> Assessment:
    """A new assessment in the same organisation with a copy of every answer and objective answer (e.g. for next
    year's re-assessment). Versions restart at 1; the source is not changed."""
    copy = Assessment(organization=source.organization, **{f: getattr(source, f) for f in DUPLICATED_FIELDS})
    if organization_name:
        copy.organization_name = organization_name
    copy.save()
    # With history rows, so the copy's activity log starts with where its answers came from.
    reason = f"copied from {source.public_id}"
    bulk_create_with_history([
        Answer(assessment=copy, requirement_id=a.requirement_id, version=1, **{f: getattr(a, f) for f in ANSWER_FIELDS})
        for a in Answer.objects.filter(assessment=source).order_by("pk")
    ], Answer, default_user=by, default_change_reason=reason)
    bulk_create_with_history([
        ObjectiveAnswer(assessment=copy, objective_id=o.objective_id, status=o.status, version=1)
        for o in ObjectiveAnswer.objects.filter(assessment=source).order_by("pk")
    ], ObjectiveAnswer, default_user=by, default_change_reason=reason)
    return copy


@transaction.atomic
def claim_assessments(*, assessment_ids: list[int], organization) -> int:
    """Move anonymous assessments into an organisation. Their bearer secrets are rotated and their recovery keys
    cleared, so no session grant or key reaches them any more; every answer stays. Returns how many moved."""
    moved = 0
    # An expired one cannot be claimed back: it stays expired until purge_expired_assessments deletes it.
    for assessment in Assessment.objects.select_for_update().filter(pk__in=assessment_ids, organization=None
                                                                    ).unexpired(timezone.now()):
        assessment.organization = organization
        assessment.access_id = uuid.uuid4()
        assessment.recovery_key_hash = ""
        assessment.recovery_key_created_at = None
        assessment.save(update_fields=["organization", "access_id", "recovery_key_hash", "recovery_key_created_at",
                                       "updated_at"])
        moved += 1
    return moved


# Apps above this one keep rows of an assessment with history of their own (the SSP, the ISO 27001 head start).
# Each registers in its ready() how to delete its rows for good, so this module never imports them. A deleter is
# called as ``deleter(assessment_ids=[...])`` inside the deletion's transaction, before the assessments go.
Deleter = Callable[..., None]
DELETERS: list[Deleter] = []


def register_deleter(deleter: Deleter) -> None:
    if deleter not in DELETERS:
        DELETERS.append(deleter)


@transaction.atomic
def delete_assessment(*, assessment: Assessment) -> None:
    """Delete for good: the assessment, its answers and objective answers, what the apps above keep of it (its SSP,
    its ISO 27001 head start), and the history rows of all of them (which would otherwise keep every note and
    description ever written)."""
    _delete_for_good([assessment.pk])


def _delete_for_good(pks: list[int]) -> None:
    # What the apps above keep goes first, with its history (see register_deleter); answers and objective answers
    # cascade, and simple_history writes "deleted" rows, removed with the rest below.
    for deleter in DELETERS:
        deleter(assessment_ids=pks)
    Assessment.objects.filter(pk__in=pks).delete()
    Answer.history.filter(assessment_id__in=pks).delete()
    ObjectiveAnswer.history.filter(assessment_id__in=pks).delete()
    Assessment.history.filter(id__in=pks).delete()


PURGE_BATCH = 200  # assessments per delete: bounds the rows Django's deletion collector holds in memory


@transaction.atomic
def purge_expired_assessments(*, now: datetime) -> int:
    """Delete every anonymous assessment expired at ``now`` for good (as ``delete_assessment``); returns how many.

    Idempotent. The rows are locked first: a write racing the purge waits for it, then finds the assessment gone.
    """
    pks = list(Assessment.objects.expired_anonymous(now).select_for_update().order_by("pk")
               .values_list("pk", flat=True))
    for start in range(0, len(pks), PURGE_BATCH):
        _delete_for_good(pks[start:start + PURGE_BATCH])
    return len(pks)
