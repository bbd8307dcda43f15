"""The System Security Plan of an assessment: what the user writes, and every version generated from it.

Text limits (documented in docs/ssp.md) bound the largest document we ever render: forms refuse longer text with
a message next to the field; the renderers still cope with longer text written by other means.
"""

import hashlib

from django.db import IntegrityError, models, transaction
from django.db.models import Max
from django.utils import timezone
from simple_history.models import HistoricalRecords
from simple_history.utils import bulk_create_with_history

from assessments.models import Assessment, Responsibility
from assessments.plans import GeneratedVersion
from assessments.scoring import Status
from controls.models import NarrativeVariant  # the environments the requirement step's examples are written for

from .signals import final_version_recorded

SHORT_MAX = 200  # names, titles, phone numbers, table cells
NARRATIVE_MAX = 20_000  # purpose, boundary, environment: about eight pages each
DESCRIPTION_MAX = 5_000  # a maintenance explanation
ROWS_MAX = 50  # rows of each table (user roles, inventories, interconnections, providers)
DEFAULT_CATEGORIZATION = "Moderate impact for confidentiality (CUI Basic)"


class ImplementationStatus(models.TextChoices):
    """The NIST SSP template's words for a requirement's status (plus partial, for 3.5.3 and 3.13.11); each is
    the plan's name for an assessment status (``of``)."""

    IMPLEMENTED = "implemented", "Implemented"
    PARTIAL = "partial", "Partially implemented"
    PLANNED = "planned", "Planned to be implemented"
    NA = "na", "Not applicable"

    @classmethod
    def of(cls, status: Status | None) -> "ImplementationStatus":
        """Met → Implemented, partial → Partially implemented, N/A → Not applicable; not met and unanswered are
        open, so Planned (they are on the POA&M)."""
        return {Status.MET: cls.IMPLEMENTED, Status.PARTIAL: cls.PARTIAL, Status.NA: cls.NA}.get(status, cls.PLANNED)


class ReviewFrequency(models.TextChoices):
    ANNUAL = "annual", "Every year, and after any significant change"
    SEMIANNUAL = "semiannual", "Every six months, and after any significant change"
    QUARTERLY = "quarterly", "Every three months, and after any significant change"


class YesNo(models.TextChoices):
    YES = "yes", "Yes"
    NO = "no", "No"


class ContactRole(models.TextChoices):
    INFORMATION_OWNER = "information_owner", "Information owner"
    SYSTEM_OWNER = "system_owner", "System owner"
    SECURITY_OFFICER = "security_officer", "System security officer"


MAINTAINED_QUESTION = "Is all hardware and software maintained and owned by the organization?"


class SystemSecurityPlan(models.Model):
    assessment = models.OneToOneField(Assessment, on_delete=models.CASCADE, related_name="ssp")
    # 1.1 System identification
    system_name = models.CharField("system name", max_length=SHORT_MAX, blank=True,
                                   help_text="Spell out acronyms, e.g. “Acme Engineering CUI Enclave”.")
    system_identifier = models.CharField("system unique identifier", max_length=100, blank=True)
    categorization = models.CharField("system categorization", max_length=SHORT_MAX, default=DEFAULT_CATEGORIZATION)
    # 1.2 Responsible organisation
    org_name = models.CharField("organization name", max_length=SHORT_MAX, blank=True)
    org_address = models.TextField("address", max_length=1000, blank=True)
    org_phone = models.CharField("phone", max_length=50, blank=True)
    # 1.3, 1.4
    purpose = models.TextField("function and purpose of the system", max_length=NARRATIVE_MAX, blank=True)
    cui_categories = models.JSONField("CUI categories", default=list, blank=True)
    cui_other = models.TextField("other CUI categories", max_length=2000, blank=True)
    # 2 System environment
    boundary = models.TextField("system boundary", max_length=NARRATIVE_MAX, blank=True)
    environment = models.TextField("topology and components", max_length=NARRATIVE_MAX, blank=True)
    hardware_reference = models.CharField("hardware inventory kept elsewhere", max_length=500, blank=True)
    software_reference = models.CharField("software inventory kept elsewhere", max_length=500, blank=True)
    # The environment step and the document ask it as MAINTAINED_QUESTION.
    maintained_by_org = models.CharField("all hardware and software maintained and owned by the organization?",
                                         max_length=3, choices=YesNo, blank=True)
    maintenance_explanation = models.TextField("if not, explain", max_length=DESCRIPTION_MAX, blank=True)
    # Plan metadata
    review_frequency = models.CharField(max_length=10, choices=ReviewFrequency, default=ReviewFrequency.ANNUAL)
    approver_name = models.CharField("approved by (name)", max_length=SHORT_MAX, blank=True)
    approver_title = models.CharField("approver's title", max_length=SHORT_MAX, blank=True)
    cui_banner = models.BooleanField("mark every page CUI", default=True)
    approval_date = models.DateField("approval date", null=True, blank=True)
    # The cover's CUI designation indicator (DoD: controlled by, CUI category, dissemination control, POC).
    cui_controlled_by = models.CharField("controlled by", max_length=SHORT_MAX, blank=True,
                                         help_text="The organisation (and office) that controls the CUI in this plan.")
    cui_category_marking = models.CharField("CUI category", max_length=SHORT_MAX, blank=True,
                                            help_text="E.g. “CTI” or “PROPIN”.")
    cui_dissemination = models.CharField("distribution or limited dissemination control", max_length=SHORT_MAX,
                                         blank=True, help_text="E.g. “FEDCON” or “NOFORN”; blank if none applies.")
    cui_poc = models.CharField("point of contact", max_length=SHORT_MAX, blank=True,
                               help_text="Name and phone or e-mail of the person to ask about this plan.")
    # Section 2: a plan may say why it has no diagram instead of attaching one.
    diagram_none_reason = models.TextField("if there is no diagram: why", max_length=DESCRIPTION_MAX, blank=True)
    narrative_variant = models.CharField("example narratives written for", max_length=10,
                                         choices=NarrativeVariant, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Every model of the plan keeps its history (read by assessments/activity.py, deleted with the assessment).
    history = HistoricalRecords()

    def __str__(self) -> str:
        return self.system_name or f"SSP of {self.assessment}"


class Contact(models.Model):
    ssp = models.ForeignKey(SystemSecurityPlan, on_delete=models.CASCADE, related_name="contacts")
    role = models.CharField(max_length=20, choices=ContactRole)
    name = models.CharField(max_length=SHORT_MAX, blank=True)
    title = models.CharField(max_length=SHORT_MAX, blank=True)
    address = models.CharField("office address", max_length=500, blank=True)
    phone = models.CharField("work phone", max_length=50, blank=True)
    email = models.EmailField("e-mail address", max_length=254, blank=True)
    history = HistoricalRecords()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ssp", "role"], name="one_contact_per_role")]

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.name}"


class _Row(models.Model):
    """One row of one of the plan's tables, in the order entered."""

    class Meta:
        abstract = True
        ordering = ["pk"]


class UserRole(_Row):
    ssp = models.ForeignKey(SystemSecurityPlan, on_delete=models.CASCADE, related_name="user_roles")
    role = models.CharField(max_length=SHORT_MAX)
    users = models.PositiveIntegerField("number of users")
    privileged_users = models.PositiveIntegerField("number of administrators / privileged users")
    history = HistoricalRecords()

    def __str__(self) -> str:
        return self.role


class HardwareItem(_Row):
    ssp = models.ForeignKey(SystemSecurityPlan, on_delete=models.CASCADE, related_name="hardware")
    component = models.CharField(max_length=SHORT_MAX)
    make_model = models.CharField("make / model", max_length=SHORT_MAX, blank=True)
    version = models.CharField("version / firmware", max_length=100, blank=True)
    responsible = models.CharField("responsible person or role", max_length=SHORT_MAX, blank=True)
    history = HistoricalRecords()

    def __str__(self) -> str:
        return self.component


class SoftwareItem(_Row):
    ssp = models.ForeignKey(SystemSecurityPlan, on_delete=models.CASCADE, related_name="software")
    name = models.CharField(max_length=SHORT_MAX)
    vendor = models.CharField(max_length=SHORT_MAX, blank=True)
    version = models.CharField(max_length=100, blank=True)
    purpose = models.CharField(max_length=SHORT_MAX, blank=True)
    responsible = models.CharField("responsible person or role", max_length=SHORT_MAX, blank=True)
    history = HistoricalRecords()

    def __str__(self) -> str:
        return self.name


class Interconnection(_Row):
    ssp = models.ForeignKey(SystemSecurityPlan, on_delete=models.CASCADE, related_name="interconnections")
    system = models.CharField("other system", max_length=SHORT_MAX)
    owner = models.CharField("owner", max_length=SHORT_MAX, blank=True)
    connection = models.CharField("connection type", max_length=SHORT_MAX, blank=True)
    data = models.CharField("data exchanged", max_length=SHORT_MAX, blank=True)
    agreement = models.CharField("agreement", max_length=SHORT_MAX, blank=True)
    history = HistoricalRecords()

    def __str__(self) -> str:
        return self.system


class ServiceProvider(_Row):
    ssp = models.ForeignKey(SystemSecurityPlan, on_delete=models.CASCADE, related_name="providers")
    name = models.CharField("provider", max_length=SHORT_MAX)
    service = models.CharField("service provided", max_length=SHORT_MAX, blank=True)
    responsibility = models.CharField("security responsibility", max_length=10, choices=Responsibility)
    notes = models.CharField("what they are responsible for", max_length=SHORT_MAX, blank=True)
    history = HistoricalRecords()

    def __str__(self) -> str:
        return self.name


class PolicyDocument(_Row):
    """A policy or procedure the narratives cite: the plan's index of them."""

    ssp = models.ForeignKey(SystemSecurityPlan, on_delete=models.CASCADE, related_name="policies")
    title = models.CharField(max_length=SHORT_MAX)
    reference = models.CharField("document id or where it is kept", max_length=SHORT_MAX, blank=True)
    version = models.CharField("version or date", max_length=50, blank=True)
    history = HistoricalRecords()

    def __str__(self) -> str:
        return self.title


class PlanReview(_Row):
    """A review of the plan (3.12.4[h]: reviewed and updated periodically), kept apart from its generated
    versions: a review may change nothing."""

    ssp = models.ForeignKey(SystemSecurityPlan, on_delete=models.CASCADE, related_name="reviews")
    reviewed_on = models.DateField("date")
    reviewer = models.CharField("reviewed by", max_length=SHORT_MAX)
    outcome = models.CharField("outcome", max_length=500, blank=True,
                               help_text="What the review found or changed; “No changes” is an outcome.")
    history = HistoricalRecords()

    def __str__(self) -> str:
        return f"review {self.reviewed_on}"


class NetworkDiagram(models.Model):
    """The re-encoded image (never the uploaded bytes); served only through the access-checked diagram view."""

    ssp = models.OneToOneField(SystemSecurityPlan, on_delete=models.CASCADE, related_name="diagram")
    image = models.BinaryField()
    content_type = models.CharField(max_length=20)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    caption = models.CharField(max_length=SHORT_MAX, blank=True)
    uploaded_at = models.DateTimeField(auto_now=True)
    # Without the image: sha256 says whether it was replaced, and the history keeps no copy of any upload.
    history = HistoricalRecords(excluded_fields=["image"])

    def __str__(self) -> str:
        return f"diagram {self.width}x{self.height}"


class SspVersion(models.Model):
    """A generated version, kept byte for byte; it is also a row of the plan's record of changes."""

    ssp = models.ForeignKey(SystemSecurityPlan, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    label = models.CharField("version", max_length=20)
    generated_on = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)
    description = models.CharField("what changed", max_length=500)
    made_by = models.CharField(max_length=SHORT_MAX)
    catalog_revision = models.CharField(max_length=12)
    draft = models.BooleanField()
    docx = models.BinaryField()
    docx_sha256 = models.CharField(max_length=64)
    pdf = models.BinaryField()
    pdf_sha256 = models.CharField(max_length=64)
    # Restored from an assessment file, which lists versions without their documents: nothing to download here.
    imported = models.BooleanField(default=False)
    # Without the documents' bytes (kept once, here): the history says that a version was generated.
    history = HistoricalRecords(excluded_fields=["docx", "pdf"])

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["ssp", "number"], name="ssp_version_number_unique"),
            models.UniqueConstraint(fields=["ssp", "label"], name="ssp_version_label_unique"),
        ]

    def __str__(self) -> str:
        return f"v{self.label}"


# --- Multi-row writes ---------------------------------------------------------------------------------------------


def touch_assessment(ssp: SystemSecurityPlan) -> None:
    """Count a change to the plan as a change to its assessment: an anonymous assessment is kept
    ANONYMOUS_RETENTION_DAYS after its last change of any kind. Every write to the plan calls this."""
    Assessment.objects.filter(pk=ssp.assessment_id).update(updated_at=timezone.now())


class LabelTaken(Exception):
    """Another version already carries this label."""


@transaction.atomic
def create_ssp(*, assessment: Assessment) -> SystemSecurityPlan:
    """The assessment's SSP (the existing one if any). Its requirements are the assessment's answers: nothing to
    copy, so the plan and the assessment can never tell two stories."""
    try:
        with transaction.atomic():
            ssp = SystemSecurityPlan.objects.create(assessment=assessment, org_name=assessment.organization_name)
    except IntegrityError:
        return SystemSecurityPlan.objects.get(assessment=assessment)
    bulk_create_with_history([Contact(ssp=ssp, role=role) for role in ContactRole.values], Contact)
    touch_assessment(ssp)
    return ssp


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@transaction.atomic
def record_version(*, ssp: SystemSecurityPlan, label: str, generated_on, description: str, made_by: str,
                   catalog_revision: str, draft: bool, docx: bytes, pdf: bytes) -> SspVersion:
    """Keep a generated version (its number is the next one); raise LabelTaken if the label is already used."""
    SystemSecurityPlan.objects.select_for_update().filter(pk=ssp.pk).first()  # serialise numbering per plan
    if SspVersion.objects.filter(ssp=ssp, label=label).exists():
        raise LabelTaken(label)
    number = (SspVersion.objects.filter(ssp=ssp).aggregate(n=Max("number"))["n"] or 0) + 1
    if not draft:
        # SPRS asks which SSP the score covers: the latest final version is that plan.
        Assessment.objects.filter(pk=ssp.assessment_id).update(
            ssp_name=(ssp.system_name or "System Security Plan")[:200], ssp_version=label[:50], ssp_date=generated_on,
            updated_at=timezone.now(),
        )
    else:
        touch_assessment(ssp)
    version = SspVersion.objects.create(
        ssp=ssp, number=number, label=label, generated_on=generated_on, description=description, made_by=made_by,
        catalog_revision=catalog_revision, draft=draft, docx=docx, docx_sha256=sha256(docx), pdf=pdf,
        pdf_sha256=sha256(pdf),
    )
    if not draft:
        final_version_recorded.send(sender=SspVersion, version=version, assessment_id=ssp.assessment_id)
    return version


def generated_versions(assessment_id: int) -> list[GeneratedVersion]:
    """The assessment's generated versions, oldest first, without their bytes (1 query; see assessments/plans.py)."""
    return [GeneratedVersion(label=label, generated_on=on, draft=draft) for label, on, draft in SspVersion.objects
            .filter(ssp__assessment_id=assessment_id).order_by("number").values_list("label", "generated_on", "draft")]


# --- Deleting for good --------------------------------------------------------------------------------------------

# The plan's row models: each keeps history under its ``ssp_id``.
ROW_MODELS = (Contact, UserRole, HardwareItem, SoftwareItem, Interconnection, ServiceProvider, PolicyDocument,
              PlanReview, NetworkDiagram, SspVersion)


def delete_plans_for_good(*, assessment_ids: list[int]) -> None:
    """The plans of these assessments, every row of them and every history row (which would otherwise keep every
    description ever written): part of deleting the assessments (registered with
    assessments.writes.register_deleter in apps.py)."""
    # The bytes are never loaded: history makes Django fetch each row it deletes, so these two go first, deferred.
    SspVersion.objects.filter(ssp__assessment_id__in=assessment_ids).defer("docx", "pdf").delete()
    NetworkDiagram.objects.filter(ssp__assessment_id__in=assessment_ids).defer("image").delete()
    SystemSecurityPlan.objects.filter(assessment_id__in=assessment_ids).delete()
    # Deleting wrote "deleted" history rows; the plans' ids come from their history, so a plan of these
    # assessments that no longer exists leaves nothing behind either.
    plan_ids = SystemSecurityPlan.history.filter(assessment_id__in=assessment_ids).values("id")
    for model in ROW_MODELS:
        model.history.filter(ssp_id__in=plan_ids).delete()
    SystemSecurityPlan.history.filter(assessment_id__in=assessment_ids).delete()
