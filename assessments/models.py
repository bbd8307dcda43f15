import hashlib
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, models, transaction
from simple_history.models import HistoricalRecords
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from controls.models import Objective, Requirement
from orgs.models import Role, role_at_least

from . import scoring


def new_public_id() -> str:
    # 128 random bits. It only names the assessment in URLs and grants nothing by itself.
    return secrets.token_urlsafe(16)


def hash_key(key: str) -> str:
    # Recovery keys carry 160 random bits, so a fast hash is enough (nothing to brute-force).
    normalised = "".join(ch for ch in key.upper() if ch.isalnum())
    return hashlib.sha256(normalised.encode()).hexdigest()


RECOVERY_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"  # no 0/O, 1/I/L, U: easy to read back


def new_recovery_key() -> str:
    # 32 symbols from 30 = 157 bits, shown as 8 groups of 4.
    raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(32))
    return "-".join(raw[i : i + 4] for i in range(0, 32, 4))


class TargetLevel(models.TextChoices):
    L2 = "l2", "CMMC Level 2 (all 110 requirements)"
    L1 = "l1", "CMMC Level 1 (the 17 practices)"


class Scope(models.TextChoices):
    ENTERPRISE = "enterprise", "Enterprise (the whole company)"
    ENCLAVE = "enclave", "Enclave (one business unit or environment)"
    CONTRACT = "contract", "Contract (only the part working on a given contract)"


class SspState(models.TextChoices):
    YES = "yes", "Yes, we have a System Security Plan"
    NO = "no", "No, not yet"


def anonymous_retention() -> timedelta:
    """How long an anonymous assessment is kept after its last change (``ANONYMOUS_RETENTION_DAYS``)."""
    return timedelta(days=settings.ANONYMOUS_RETENTION_DAYS)


class AssessmentQuerySet(models.QuerySet):
    def expired_anonymous(self, now: datetime) -> "AssessmentQuerySet":
        """Anonymous assessments whose last change is more than the retention period before ``now``.

        The same rule as ``Assessment.is_expired``; an organisation's assessment never expires.
        """
        return self.filter(organization=None, updated_at__lt=now - anonymous_retention())

    def unexpired(self, now: datetime) -> "AssessmentQuerySet":
        return self.exclude(organization=None, updated_at__lt=now - anonymous_retention())


class Assessment(models.Model):
    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    # The bearer secret: kept only in server-side sessions, never rendered, never in a URL.
    access_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    recovery_key_hash = models.CharField(max_length=64, blank=True, editable=False, db_index=True)
    recovery_key_created_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Set when claimed by (or created in) an organisation; then only its members can open it (access.py).
    organization = models.ForeignKey("orgs.Organization", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="assessments", editable=False)

    organization_name = models.CharField("organisation name", max_length=200)
    target_level = models.CharField(max_length=2, choices=TargetLevel, default=TargetLevel.L2)
    scope = models.CharField("assessment scope", max_length=10, choices=Scope, default=Scope.ENTERPRISE)
    cage_codes = models.CharField("CAGE code(s)", max_length=300, blank=True)
    employee_count = models.PositiveIntegerField(null=True, blank=True)
    objective_mode = models.BooleanField(
        default=False, help_text="Answer each SP 800-171A objective; requirement answers are derived."
    )
    # SPRS worksheet fields.
    assessment_date = models.DateField(null=True, blank=True)
    affirming_official = models.CharField(max_length=200, blank=True)
    ssp_name = models.CharField("SSP name", max_length=200, blank=True)
    ssp_version = models.CharField("SSP version", max_length=50, blank=True)
    ssp_date = models.DateField("SSP date", null=True, blank=True)
    conditional_status_date = models.DateField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["access_id", "recovery_key_hash"])

    objects = AssessmentQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at"]

    def __str__(self) -> str:
        return self.organization_name

    # Anonymous assessments are kept ANONYMOUS_RETENTION_DAYS after their last change (every write path bumps
    # updated_at: answers, objective answers, intake, SPRS details, the SSP, the ISO head start). An expired one
    # answers 410 to whoever holds it (access.py) until purge_expired_assessments deletes it.
    @property
    def retention_days(self) -> int | None:
        """Days kept after the last change; None for an organisation's assessment (kept until deleted)."""
        return None if self.organization_id is not None else settings.ANONYMOUS_RETENTION_DAYS

    @property
    def expires_at(self) -> datetime | None:
        if self.organization_id is not None or self.updated_at is None:
            return None
        return self.updated_at + anonymous_retention()

    def is_expired(self, now: datetime) -> bool:
        expires = self.expires_at
        return expires is not None and now > expires

    @property
    def level(self) -> scoring.Level:
        return scoring.Level(self.target_level)

    @property
    def can_edit(self) -> bool:
        """Whether the person it was opened for may change it: an editor or owner (the holder of an anonymous one is
        its owner). Reads ``access_role``, which the access helper sets (no query); without it, False.

        Pages show a viewer what is saved without working controls (templates/assessments/_read_only_notice.html
        says why); the access helper still refuses their POSTs with 403 whatever a page shows.
        """
        return role_at_least(getattr(self, "access_role", None), Role.EDITOR)

    def cage_code_list(self) -> list[str]:
        return [c for c in self.cage_codes.replace(",", " ").split() if c]

    def set_recovery_key(self) -> str:
        """Issue a new recovery key (the old one stops working) and return it; only its hash is stored."""
        from django.utils import timezone

        if self.organization_id is not None:
            # An organisation's assessment is reachable by its members only, never by a bearer key.
            raise ValueError("an organisation's assessment has no recovery key")
        key = new_recovery_key()
        self.recovery_key_hash = hash_key(key)
        self.recovery_key_created_at = timezone.now()
        self.save(update_fields=["recovery_key_hash", "recovery_key_created_at", "updated_at"])
        return key


class AnswerStatus(models.TextChoices):
    MET = scoring.Status.MET, "Met"
    NOT_MET = scoring.Status.NOT_MET, "Not met"
    PARTIAL = scoring.Status.PARTIAL, "Partially met"
    NA = scoring.Status.NA, "Not applicable"


class ObjectiveAnswerStatus(models.TextChoices):
    MET = scoring.ObjectiveStatus.MET, "Met"
    NOT_MET = scoring.ObjectiveStatus.NOT_MET, "Not met"
    NA = scoring.ObjectiveStatus.NA, "Not applicable"


TEXT_MAX = 10_000  # a requirement's description or N/A rationale: about four pages
RESPONSIBLE_MAX = 500


class Answer(models.Model):
    """The one record of a requirement in an assessment: the questionnaire and the SSP's requirement step both edit
    it, and every output (results, POA&M exports, the SSP and its appendix, the SPRS worksheet, the JSON file)
    reads it. A row exists once either page has saved something for the requirement."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="answers")
    requirement = models.ForeignKey(Requirement, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=8, choices=AnswerStatus, blank=True)
    justification = models.TextField("why it is not applicable", blank=True, max_length=TEXT_MAX)
    # The SSP's implementation description ("how it is implemented, or planned to be"); the questionnaire's note.
    note = models.TextField("implementation description", blank=True, max_length=TEXT_MAX)
    evidence = models.CharField("evidence reference", max_length=500, blank=True)
    responsible = models.CharField("responsible person or role", max_length=RESPONSIBLE_MAX, blank=True)
    planned_date = models.DateField("planned completion date", null=True, blank=True)
    poam_reference = models.CharField("POA&M reference", max_length=50, blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["assessment", "requirement"], name="one_answer_per_requirement"),
            models.CheckConstraint(
                condition=models.Q(status__in=["", "met", "not_met", "partial", "na"]), name="answer_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.requirement_id}: {self.status or 'unanswered'}"


class ObjectiveAnswer(models.Model):
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="objective_answers")
    objective = models.ForeignKey(Objective, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=8, choices=ObjectiveAnswerStatus, blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["assessment", "objective"], name="one_answer_per_objective"),
            models.CheckConstraint(
                condition=models.Q(status__in=["", "met", "not_met", "na"]), name="objective_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.objective_id}: {self.status or 'unanswered'}"


ANSWER_FIELDS = ("status", "justification", "note", "evidence", "responsible", "planned_date", "poam_reference")


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


def has_ssp(assessment: Assessment) -> bool:
    """Whether 3.12.4 (the SSP) is answered met (1 query). N/A counts as having one, though no form offers it."""
    status = Answer.objects.filter(assessment=assessment, requirement__nist_id=scoring.SSP_REQUIREMENT).values_list(
        "status", flat=True).first()
    return status in (AnswerStatus.MET, AnswerStatus.NA)


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


def catalog_rules() -> list[scoring.Rule]:
    """The catalog as scoring rules (2 queries)."""
    objectives: dict[int, list[str]] = {}
    for req_id, objective_id in Objective.objects.order_by("requirement__position", "position").values_list(
        "requirement_id", "objective_id"
    ):
        objectives.setdefault(req_id, []).append(objective_id)
    return [
        scoring.Rule(
            nist_id=r.nist_id,
            family=r.family.code,
            position=r.position,
            points=r.points,
            partial_points=r.partial_points,
            poam=r.poam_eligibility,
            level1=bool(r.level1_id),
            objectives=tuple(objectives.get(r.pk, ())),
        )
        for r in Requirement.objects.select_related("family").order_by("position")
    ]


def assessment_answers(assessment: Assessment) -> dict[str, scoring.Answer]:
    """The assessment's answers in scoring form (1 query, 2 in objective mode)."""
    statuses = dict(Answer.objects.filter(assessment=assessment).values_list("requirement__nist_id", "status"))
    objectives: dict[str, dict[str, str]] = {}
    if assessment.objective_mode:
        for nist_id, objective_id, status in ObjectiveAnswer.objects.filter(assessment=assessment).values_list(
            "objective__requirement__nist_id", "objective__objective_id", "status"
        ):
            objectives.setdefault(nist_id, {})[objective_id] = status
    return scoring_answers(statuses, objectives, objective_mode=assessment.objective_mode)


def scoring_answers(
    statuses: dict[str, str], objectives: dict[str, dict[str, str]], *, objective_mode: bool
) -> dict[str, scoring.Answer]:
    """Stored answers in scoring form; shared by the pages and the JSON import/CLI (assessment_file.py).

    ``statuses`` maps a NIST id to its requirement-level status, ``objectives`` a NIST id to {objective id: status};
    "" means blank. In objective mode a requirement's status is derived from its objectives; the requirement-level
    answer only counts when it is the partial state of 3.5.3 or 3.13.11, or NOT MET (given before objective mode
    was switched on), until the objectives decide (scoring.requirement_status). Outside objective mode objective
    answers are ignored.
    """
    answers = {nist_id: scoring.Answer(status=scoring.Status(s) if s else None) for nist_id, s in statuses.items()}
    if not objective_mode:
        return answers
    by_req: dict[str, dict[str, scoring.ObjectiveStatus]] = {}
    for nist_id, values in objectives.items():
        if nist_id == scoring.SSP_REQUIREMENT:
            continue  # the SSP is answered as a whole, by the intake question, in either mode
        answered = {o: scoring.ObjectiveStatus(s) for o, s in values.items() if s}
        if answered:
            by_req[nist_id] = answered
    derived: dict[str, scoring.Answer] = {}
    for nist_id in set(answers) | set(by_req):
        chosen = answers.get(nist_id, scoring.Answer()).status
        if nist_id == scoring.SSP_REQUIREMENT:
            derived[nist_id] = scoring.Answer(status=chosen)
            continue
        carried = chosen if chosen in (scoring.Status.PARTIAL, scoring.Status.NOT_MET) else None
        if nist_id in by_req or carried:
            derived[nist_id] = scoring.Answer(status=carried, objectives=by_req.get(nist_id, {}))
    return derived


def score_assessment(assessment: Assessment, rules: list[scoring.Rule] | None = None) -> scoring.Result:
    return scoring.score(rules if rules is not None else catalog_rules(), assessment_answers(assessment),
                         assessment.level)


def today() -> date:
    from django.utils import timezone

    return timezone.localdate()


def score_assessments(assessments: list[Assessment], rules: list[scoring.Rule] | None = None
                      ) -> dict[int, scoring.Result]:
    """Score many assessments in a constant number of queries (2 for the catalog if not given, 1 for all their
    answers, 1 for all their objective answers when any is in objective mode), keyed by assessment pk."""
    rules = rules if rules is not None else catalog_rules()
    ids = [a.pk for a in assessments]
    statuses: dict[int, dict[str, str]] = {pk: {} for pk in ids}
    for pk, nist_id, status in Answer.objects.filter(assessment_id__in=ids).values_list(
        "assessment_id", "requirement__nist_id", "status"
    ):
        statuses[pk][nist_id] = status
    objectives: dict[int, dict[str, dict[str, str]]] = {pk: {} for pk in ids}
    objective_ids = [a.pk for a in assessments if a.objective_mode]
    if objective_ids:
        for pk, nist_id, objective_id, status in ObjectiveAnswer.objects.filter(
            assessment_id__in=objective_ids
        ).values_list("assessment_id", "objective__requirement__nist_id", "objective__objective_id", "status"):
            objectives[pk].setdefault(nist_id, {})[objective_id] = status
    return {
        a.pk: scoring.score(
            rules, scoring_answers(statuses[a.pk], objectives[a.pk], objective_mode=a.objective_mode), a.level
        )
        for a in assessments
    }


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
    from django.utils import timezone

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


# Intake and SPRS fields a duplicate carries over; ids, secrets, the organisation and timestamps are new.
DUPLICATED_FIELDS = (
    "organization_name", "target_level", "scope", "cage_codes", "employee_count", "objective_mode",
    "assessment_date", "affirming_official", "ssp_name", "ssp_version", "ssp_date", "conditional_status_date",
)


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
    from django.utils import timezone

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
