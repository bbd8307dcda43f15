from collections.abc import Collection

from django.db import IntegrityError, models, transaction
from django.utils import timezone
from simple_history.models import HistoricalRecords

from assessments.models import Assessment
from controls.models import Requirement


class Edition(models.TextChoices):
    ISO_2022 = "2022", "ISO/IEC 27001:2022"
    ISO_2013 = "2013", "ISO/IEC 27001:2013"


class Confidence(models.TextChoices):
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


class IsoControl(models.Model):
    """One Annex A control of one edition ("A.9.2.1" in 2013, "A.5.15" in 2022)."""

    edition = models.CharField(max_length=4, choices=Edition)
    control_id = models.CharField("control id", max_length=12)
    # The reference data carries no titles; the field exists for a future source that does.
    title = models.CharField(max_length=200, blank=True)
    theme = models.CharField(max_length=5)  # "A.9"
    theme_name = models.CharField(max_length=100)  # "Access control"
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["edition", "position"]
        constraints = [
            models.UniqueConstraint(fields=["edition", "control_id"], name="iso_control_unique_per_edition"),
        ]

    def __str__(self) -> str:
        return f"{self.control_id} ({self.edition})"


class IsoMapping(models.Model):
    """NIST SP 800-171 requirement -> ISO control, as indicative as its confidence says."""

    # Reference data derived from the catalog: it goes with its requirement, and load_iso_mapping restores it.
    requirement = models.ForeignKey(Requirement, on_delete=models.CASCADE, related_name="+")
    control = models.ForeignKey(IsoControl, on_delete=models.CASCADE, related_name="mappings")
    confidence = models.CharField(max_length=6, choices=Confidence)
    # SP 800-53 Rev 4 Table H-1's asterisk: the ISO control does not fully satisfy the intent of the NIST one.
    partial = models.BooleanField(default=False)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["requirement__position", "control__position"]
        constraints = [
            models.UniqueConstraint(fields=["requirement", "control"], name="iso_mapping_unique"),
            models.CheckConstraint(condition=models.Q(confidence__in=Confidence.values),
                                   name="iso_mapping_confidence_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.requirement_id} -> {self.control_id}"

    @property
    def low_confidence(self) -> bool:
        return self.confidence != Confidence.HIGH


class HeadStart(models.Model):
    """An assessment's "I have ISO 27001": the edition and the Annex A controls implemented in its SoA."""

    assessment = models.OneToOneField(Assessment, on_delete=models.CASCADE, related_name="iso_head_start")
    edition = models.CharField(max_length=4, choices=Edition)
    # Always controls of ``edition``: save_head_start is the only writer.
    controls = models.ManyToManyField(IsoControl, blank=True, related_name="head_starts")
    updated_at = models.DateTimeField(auto_now=True)
    # Each history row holds the controls selected at that moment (read by assessments/activity.py, deleted with
    # the assessment).
    history = HistoricalRecords(m2m_fields=[controls])

    def __str__(self) -> str:
        return f"{self.assessment} ({self.edition})"


class UnknownControl(ValueError):
    pass


@transaction.atomic
def save_head_start(*, assessment: Assessment, edition: str, control_ids: Collection[str]) -> HeadStart:
    """Replace the assessment's head start with these controls of ``edition``; unknown ids raise UnknownControl."""
    wanted = set(control_ids)
    controls = list(IsoControl.objects.filter(edition=edition, control_id__in=wanted))
    if len(controls) != len(wanted):
        missing = sorted(wanted - {c.control_id for c in controls})
        raise UnknownControl(f"not ISO/IEC 27001:{edition} controls: {', '.join(missing[:10])}")
    head = HeadStart.objects.select_for_update().filter(assessment=assessment).first()
    if head is None:
        try:
            with transaction.atomic():
                head = HeadStart(assessment=assessment, edition=edition)
                head.save_without_historical_record()
        except IntegrityError:  # a simultaneous first save created it
            head = HeadStart.objects.select_for_update().get(assessment=assessment)
    # One history row per save, written last so that it holds the new controls (set()'s m2m signals would each
    # write one more).
    head.skip_history_when_saving = True
    try:
        head.controls.set(controls)
    finally:
        del head.skip_history_when_saving
    head.edition = edition
    head.save()
    Assessment.objects.filter(pk=assessment.pk).update(updated_at=timezone.now())
    return head


@transaction.atomic
def remove_head_start(*, assessment: Assessment) -> bool:
    deleted, _ = HeadStart.objects.filter(assessment=assessment).delete()
    if deleted:
        Assessment.objects.filter(pk=assessment.pk).update(updated_at=timezone.now())
    return bool(deleted)


def delete_head_starts_for_good(*, assessment_ids: list[int]) -> None:
    """The head starts of these assessments and every history row of them (with the controls each history row
    held): part of deleting the assessments (registered with
    assessments.writes.register_deleter in apps.py)."""
    HeadStart.objects.filter(assessment_id__in=assessment_ids).delete()
    history = HeadStart.history.filter(assessment_id__in=assessment_ids)
    # The controls' history table has no foreign key constraint (simple_history's): its rows go first, by hand.
    HeadStart.history.model.controls.model.objects.filter(history__in=history).delete()
    history.delete()
