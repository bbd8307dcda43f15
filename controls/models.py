import hashlib

from django.db import models
from simple_history.models import HistoricalRecords


class PoamEligibility(models.TextChoices):
    YES = "yes", "May be on a POA&M"
    ONLY_PARTIAL = "only_partial", "Only in its partial (3-point) state"
    NO = "no", "Never on a POA&M"


class RequirementType(models.TextChoices):
    BASIC = "basic", "Basic"
    DERIVED = "derived", "Derived"


class Family(models.Model):
    code = models.CharField(max_length=2, unique=True)
    name = models.CharField(max_length=100)
    position = models.PositiveSmallIntegerField(unique=True)

    class Meta:
        ordering = ["position"]
        verbose_name_plural = "families"

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Requirement(models.Model):
    # "3.1.1", "3.13.11": the NIST id is the natural key and the URL slug.
    nist_id = models.CharField("NIST id", max_length=10, unique=True)
    position = models.PositiveSmallIntegerField(unique=True)
    family = models.ForeignKey(Family, on_delete=models.PROTECT, related_name="requirements")
    cmmc_id = models.CharField("CMMC Level 2 id", max_length=20, unique=True)
    cmmc_title = models.CharField("CMMC title", max_length=120)
    level1_id = models.CharField("Level 1 practice", max_length=20, blank=True)
    level1_legacy_id = models.CharField("Level 1 legacy id", max_length=20, blank=True)
    far_reference = models.CharField("FAR 52.204-21", max_length=100, blank=True)
    requirement_type = models.CharField(max_length=7, choices=RequirementType)
    text = models.TextField()
    # Points subtracted from 110 when NOT MET; None only for 3.12.4, which is not scored.
    points = models.PositiveSmallIntegerField(null=True, blank=True)
    partial_points = models.PositiveSmallIntegerField(null=True, blank=True)
    partial_condition = models.TextField(blank=True)
    not_met_condition = models.TextField(blank=True)
    poam_eligibility = models.CharField("POA&M eligibility", max_length=12, choices=PoamEligibility)
    poam_rule = models.TextField("POA&M rule", blank=True)
    methodology_comment = models.TextField(blank=True)
    # Hash of the text fields as last written by load_catalog: a differing current hash means staff edited them.
    fixture_hash = models.CharField(max_length=64, blank=True, editable=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["position"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(points__isnull=True) | models.Q(points__in=[1, 3, 5]),
                name="requirement_points_1_3_5",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.nist_id} {self.cmmc_title}"

    @property
    def is_level1(self) -> bool:
        return bool(self.level1_id)

    @property
    def has_partial_credit(self) -> bool:
        return self.partial_points is not None

    def text_fingerprint(self, objectives: list["Objective"] | None = None) -> str:
        objs = objectives if objectives is not None else list(self.objectives.all())
        parts = [self.text, self.cmmc_title] + [f"{o.objective_id}={o.text}" for o in objs]
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


class Objective(models.Model):
    requirement = models.ForeignKey(Requirement, on_delete=models.CASCADE, related_name="objectives")
    objective_id = models.CharField(max_length=16, unique=True)  # "3.1.1[a]"
    position = models.PositiveSmallIntegerField()
    text = models.TextField()
    history = HistoricalRecords()

    class Meta:
        ordering = ["requirement__position", "position"]
        constraints = [
            models.UniqueConstraint(fields=["requirement", "position"], name="objective_position_unique"),
        ]

    def __str__(self) -> str:
        return self.objective_id

    @property
    def letter(self) -> str:
        return self.objective_id[self.objective_id.index("[") :]

    @property
    def statement(self) -> str:
        """The determination statement as a sentence of its own. SP 800-171A writes each as the end of "Determine
        if:" ("privileged accounts are identified"); shown alone, in a list or a table, it starts with a capital."""
        return self.text[:1].upper() + self.text[1:]


class NarrativeVariant(models.TextChoices):
    """The environments the example narratives are written for (the plan chooses one for its starting text)."""

    GCC_HIGH = "gcc_high", "Microsoft 365 GCC High"
    ON_PREM = "on_prem", "On-premises Active Directory"


class ExampleNarrative(models.Model):
    """An example implementation description of one requirement, written for one environment: the SSP offers it as
    starting text. Reference data like the catalog: loaded from fixtures/example-narratives.yaml, edited by staff."""

    requirement = models.ForeignKey(Requirement, on_delete=models.CASCADE, related_name="example_narratives")
    variant = models.CharField(max_length=10, choices=NarrativeVariant)
    text = models.TextField()
    # Hash of the text as last written by load_example_narratives: a differing current hash means staff edited it.
    fixture_hash = models.CharField(max_length=64, blank=True, editable=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["requirement__position", "variant"]
        constraints = [
            models.UniqueConstraint(fields=["requirement", "variant"], name="one_example_narrative_per_variant"),
        ]

    def __str__(self) -> str:
        return f"{self.requirement.nist_id} ({self.get_variant_display()})"


class CatalogStamp(models.Model):
    """One row whose token is replaced by every write to the catalog's tables (families, requirements, objectives:
    controls/snapshot.py). Each process keeps the catalog in memory under the token it was read with; a request
    reads the token (one query) and, if it changed, the catalog again, so an edit shows at once in every process.

    No row (a database whose catalog was never loaded, or just flushed): nothing is kept, every request reads the
    catalog."""

    token = models.CharField(max_length=32)

    def __str__(self) -> str:
        return self.token


def catalog_revision() -> str:
    """A short marker that changes whenever any requirement or objective text changes: the hash of that text (what a
    generated SSP version and an exported assessment record). Computed once per catalog in memory (one query)."""
    from .snapshot import current

    return current().revision


def text_revision(requirements: list[tuple[str, str, str]], objectives: list[tuple[str, str]]) -> str:
    """``catalog_revision`` of (NIST id, title, text) of every requirement and (objective id, text) of every objective,
    each in catalog order."""
    digest = hashlib.sha256()
    for nist_id, title, text in requirements:
        digest.update(f"{nist_id}\x1f{title}\x1f{text}\x1e".encode())
    for objective_id, text in objectives:
        digest.update(f"{objective_id}\x1f{text}\x1e".encode())
    return digest.hexdigest()[:12]
