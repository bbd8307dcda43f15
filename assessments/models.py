"""The assessment's tables: the assessment (intake and SPRS details), one answer per requirement, one per objective.

Reading them for scoring is records.py; writing them (every write that touches more than one row, each in a
transaction) is writes.py and objective_mode.py.
"""

import hashlib
import secrets
import uuid
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

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
POAM_TEXT_MAX = 2_000  # a POA&M cell: the weakness, the resources, the milestones, their changes


class Responsibility(models.TextChoices):
    """Who carries out a requirement (or a provider's part of the system): the CMMC scoping guide's split of
    responsibility between the organisation and its external service providers."""

    INHERITED = "inherited", "Inherited (the provider does it)"
    SHARED = "shared", "Shared"
    OURS = "ours", "Ours (we do it)"


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
    # Who carries it out, and which provider for an inherited or shared one (the SSP's provider table names them).
    responsibility = models.CharField("who carries it out", max_length=10, choices=Responsibility, blank=True)
    provider = models.CharField("provider", max_length=200, blank=True)
    # Not applicable needs approving: who decided, and when (an assessor asks for both).
    na_approved_by = models.CharField("N/A approved by", max_length=200, blank=True)
    na_approved_on = models.DateField("N/A approved on", null=True, blank=True)
    # The POA&M row of an open requirement (38 U.S.C. 5727(16)): the weakness, who found it and when, the resources,
    # the milestones with their dates (one per line, "YYYY-MM-DD what"), and changes to them. Its responsible person,
    # scheduled completion (planned_date) and status are the fields above.
    weakness = models.TextField("weakness", max_length=POAM_TEXT_MAX, blank=True)
    identified_by = models.CharField("identified by", max_length=200, blank=True)
    identified_on = models.DateField("identified on", null=True, blank=True)
    resources = models.TextField("resources required", max_length=POAM_TEXT_MAX, blank=True)
    milestones = models.TextField("milestones", max_length=POAM_TEXT_MAX, blank=True)
    milestone_changes = models.TextField("changes to milestones", max_length=POAM_TEXT_MAX, blank=True)
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


ANSWER_FIELDS = ("status", "justification", "note", "evidence", "responsible", "planned_date", "poam_reference",
                 "responsibility", "provider", "na_approved_by", "na_approved_on", "weakness", "identified_by",
                 "identified_on", "resources", "milestones", "milestone_changes")
# The fields of an answer that hold a date (the JSON file and the spreadsheets write them as ISO dates).
ANSWER_DATE_FIELDS = ("planned_date", "na_approved_on", "identified_on")

# Intake and SPRS fields a duplicate carries over; ids, secrets, the organisation and timestamps are new.
DUPLICATED_FIELDS = (
    "organization_name", "target_level", "scope", "cage_codes", "employee_count", "objective_mode",
    "assessment_date", "affirming_official", "ssp_name", "ssp_version", "ssp_date", "conditional_status_date",
)


def today() -> date:
    from django.utils import timezone

    return timezone.localdate()
