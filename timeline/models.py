"""Snapshots (frozen copies of an assessment), SPRS submission records and affirmations.

This app stands on ``assessments`` (and hears from ``ssp`` through a signal); ``assessments`` never imports it.
Every row belongs to an assessment and goes with it: deleting the assessment (assessments.writes.delete_assessment)
deletes them through the ORM cascade.
"""

from django.db import models
from django.utils import timezone

from assessments.models import Assessment, Scope

LABEL_MAX = 200


class Frozen(Exception):
    """A snapshot, once taken, is never changed."""


class SnapshotReason(models.TextChoices):
    MANUAL = "manual", "Taken on demand"
    SSP_FINAL = "ssp_final", "A final SSP version was generated"
    SUBMISSION = "submission", "An SPRS submission was recorded"
    AFFIRMATION = "affirmation", "An affirmation was recorded"


class SnapshotQuerySet(models.QuerySet):
    def update(self, **kwargs) -> int:
        raise Frozen("snapshots are never edited")

    def listing(self) -> "SnapshotQuerySet":
        """Everything a list or chart shows, without the (possibly megabytes of) frozen document."""
        return self.defer("document").order_by("number")


class Snapshot(models.Model):
    """The assessment as it stood: the assessment file (version 2, ``assessment_file.export_json``) as taken, and
    the score and status computed from it then. Never edited: ``save`` refuses an existing row, ``update``
    refuses every row."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="snapshots")
    number = models.PositiveIntegerField()  # 1, 2, ... per assessment: its name in URLs
    label = models.CharField(max_length=LABEL_MAX)
    reason = models.CharField(max_length=12, choices=SnapshotReason, default=SnapshotReason.MANUAL)
    taken_at = models.DateTimeField(default=timezone.now)
    taken_by = models.CharField(max_length=254, blank=True)
    catalog_revision = models.CharField(max_length=40)
    level = models.CharField(max_length=2)
    score = models.IntegerField(null=True)  # None: no SSP then (or Level 1), so no SPRS score
    worst_case_score = models.IntegerField()
    outcome = models.CharField(max_length=20)
    conditional_eligible = models.BooleanField(default=False)
    answered = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    document = models.JSONField()

    objects = SnapshotQuerySet.as_manager()

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "number"], name="snapshot_number_unique"),
        ]

    def __str__(self) -> str:
        return f"snapshot {self.number}: {self.label}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise Frozen("snapshots are never edited")
        super().save(*args, **kwargs)


class CmmcStatus(models.TextChoices):
    """The status an SPRS entry records (32 CFR 170.15, 170.16)."""

    L2_FINAL = "l2_final", "Final Level 2 (Self)"
    L2_CONDITIONAL = "l2_conditional", "Conditional Level 2 (Self)"
    L1_FINAL = "l1_final", "Final Level 1 (Self)"
    SCORE_ONLY = "score_only", "No CMMC status (NIST SP 800-171 Basic score only)"


class Submission(models.Model):
    """What the organisation entered in SPRS, as it reports it. Recording one freezes the assessment (snapshot)."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="submissions")
    snapshot = models.ForeignKey(Snapshot, on_delete=models.CASCADE, related_name="+")
    submitted_on = models.DateField("date submitted")
    status_date = models.DateField("CMMC status date")
    score = models.IntegerField("score submitted", null=True, blank=True)
    status = models.CharField("CMMC status", max_length=16, choices=CmmcStatus)
    scope = models.CharField("assessment scope", max_length=10, choices=Scope)
    cage_codes = models.CharField("CAGE code(s)", max_length=300, blank=True)
    ssp_version = models.CharField("SSP version included", max_length=50, blank=True)
    submitted_by = models.CharField("submitted by", max_length=200)
    recorded_at = models.DateTimeField(auto_now_add=True)
    recorded_by = models.CharField(max_length=254, blank=True)

    class Meta:
        ordering = ["status_date", "pk"]

    def __str__(self) -> str:
        return f"SPRS submission {self.submitted_on}"


class Affirmation(models.Model):
    """An affirming official's affirmation of continuing compliance (32 CFR 170.22), as recorded here."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="affirmations")
    snapshot = models.ForeignKey(Snapshot, on_delete=models.CASCADE, related_name="+")
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, null=True, related_name="affirmations")
    official_name = models.CharField("affirming official", max_length=200)
    official_title = models.CharField("title", max_length=200)
    official_contact = models.CharField("contact (email or phone)", max_length=200)
    affirmed_on = models.DateField("date affirmed")
    statement = models.TextField()  # the text affirmed, kept as shown then
    warnings = models.TextField(blank=True)  # the warnings shown and acknowledged before recording
    recorded_at = models.DateTimeField(auto_now_add=True)
    recorded_by = models.CharField(max_length=254, blank=True)

    class Meta:
        ordering = ["affirmed_on", "pk"]

    def __str__(self) -> str:
        return f"affirmation {self.affirmed_on}"


class Reminder(models.Model):
    """A deadline reminder that went out (timeline/reminders.py): at most one per deadline, due date and window, so
    a second run, or a second worker, sends nothing twice. A deadline that moves gets reminders for its new date."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="+")
    deadline_key = models.CharField(max_length=100)  # Deadline.key
    due = models.DateField()
    days_before = models.PositiveSmallIntegerField()  # the window it was sent in: 30, 7 or 1 day(s) before
    recipients = models.TextField()  # the addresses it went to, one a line
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["assessment", "deadline_key", "due", "days_before"],
                                    name="reminder_sent_once"),
        ]

    def __str__(self) -> str:
        return f"reminder {self.deadline_key} ({self.due}, {self.days_before} days before)"
