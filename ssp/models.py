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

from assessments.models import Answer, Assessment, score_assessment
from assessments.plans import GeneratedVersion
from assessments.scoring import Status
from controls.models import Objective, Requirement

from . import starting_text

SHORT_MAX = 200  # names, titles, phone numbers, table cells
NARRATIVE_MAX = 20_000  # purpose, boundary, environment: about eight pages each
DESCRIPTION_MAX = 5_000  # one requirement's description or rationale (as an assessment answer's note)
ROWS_MAX = 50  # rows of each table (user roles, inventories, interconnections, providers)
DEFAULT_CATEGORIZATION = "Moderate impact for confidentiality (CUI Basic)"


class ImplementationStatus(models.TextChoices):
    IMPLEMENTED = "implemented", "Implemented"
    PLANNED = "planned", "Planned to be implemented"
    NA = "na", "Not applicable"


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


class Responsibility(models.TextChoices):
    INHERITED = "inherited", "Inherited (the provider does it)"
    SHARED = "shared", "Shared"
    OURS = "ours", "Ours (we do it)"


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
    maintained_by_org = models.CharField("all hardware and software maintained and owned by the organization?",
                                         max_length=3, choices=YesNo, blank=True)
    maintenance_explanation = models.TextField("if not, explain", max_length=DESCRIPTION_MAX, blank=True)
    # Plan metadata
    review_frequency = models.CharField(max_length=10, choices=ReviewFrequency, default=ReviewFrequency.ANNUAL)
    approver_name = models.CharField("approved by (name)", max_length=SHORT_MAX, blank=True)
    approver_title = models.CharField("approver's title", max_length=SHORT_MAX, blank=True)
    cui_banner = models.BooleanField("mark every page CUI", default=True)

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


class RequirementImplementation(models.Model):
    ssp = models.ForeignKey(SystemSecurityPlan, on_delete=models.CASCADE, related_name="implementations")
    requirement = models.ForeignKey(Requirement, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=11, choices=ImplementationStatus)
    description = models.TextField("implementation description", max_length=DESCRIPTION_MAX, blank=True)
    rationale = models.TextField("why it is not applicable", max_length=DESCRIPTION_MAX, blank=True)
    responsible = models.CharField("responsible role", max_length=SHORT_MAX, blank=True)
    poam_reference = models.CharField("POA&M reference", max_length=50, blank=True)
    planned_date = models.DateField("planned completion date", null=True, blank=True)
    # The text we offered; while the description is still exactly this and unconfirmed, it is flagged everywhere.
    starting_text = models.TextField(blank=True)
    starting_text_pending = models.BooleanField(default=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ssp", "requirement"], name="one_implementation_per_requirement"),
            models.CheckConstraint(condition=models.Q(status__in=["implemented", "planned", "na"]),
                                   name="implementation_status_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.requirement_id}: {self.status}"


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


class StaleWrite(Exception):
    """The row changed since the client read it; ``current`` is what is stored now."""

    def __init__(self, current: RequirementImplementation):
        super().__init__("stale write")
        self.current = current


class LabelTaken(Exception):
    """Another version already carries this label."""


def prefill(requirement: Requirement, status: Status | None, answer: Answer | None, objectives: list[Objective],
            organization: str) -> RequirementImplementation:
    """One requirement's starting row from the assessment: met → Implemented, na → Not applicable (with the
    answer's justification), anything else (not met, partial, unanswered) → Planned with the answer's date."""
    if status is Status.MET:
        ssp_status = ImplementationStatus.IMPLEMENTED
    elif status is Status.NA:
        ssp_status = ImplementationStatus.NA
    else:
        ssp_status = ImplementationStatus.PLANNED
    text = starting_text.for_requirement(status=ssp_status, organization=organization,
                                         objectives=[(o.letter, o.text) for o in objectives])
    row = RequirementImplementation(requirement=requirement, status=ssp_status, description=text, starting_text=text,
                                    starting_text_pending=bool(text))
    if answer is not None:
        row.responsible = answer.responsible
        if ssp_status == ImplementationStatus.NA:
            row.rationale = answer.justification
        if ssp_status == ImplementationStatus.PLANNED:
            row.planned_date = answer.planned_date
    if ssp_status == ImplementationStatus.PLANNED:
        row.poam_reference = f"POA&M {requirement.nist_id}"
    return row


@transaction.atomic
def create_ssp(*, assessment: Assessment) -> SystemSecurityPlan:
    """The assessment's SSP with its 110 requirement rows pre-filled from the answers (the existing one if any)."""
    try:
        with transaction.atomic():
            ssp = SystemSecurityPlan.objects.create(assessment=assessment, org_name=assessment.organization_name)
    except IntegrityError:
        return SystemSecurityPlan.objects.get(assessment=assessment)
    statuses = {item.rule.nist_id: item.status for item in score_assessment(assessment).items}
    answers = {a.requirement_id: a for a in Answer.objects.filter(assessment=assessment)}
    objectives: dict[int, list[Objective]] = {}
    for objective in Objective.objects.order_by("requirement__position", "position"):
        objectives.setdefault(objective.requirement_id, []).append(objective)
    rows = []
    for requirement in Requirement.objects.order_by("position"):
        row = prefill(requirement, statuses.get(requirement.nist_id), answers.get(requirement.pk),
                      objectives.get(requirement.pk, []), assessment.organization_name)
        row.ssp = ssp
        rows.append(row)
    # With history rows: the first edit of a row is then compared with what it started as (the activity log names
    # the fields edited). The log shows the plan's own "created" row for all of them.
    bulk_create_with_history(rows, RequirementImplementation)
    bulk_create_with_history([Contact(ssp=ssp, role=role) for role in ContactRole.values], Contact)
    touch_assessment(ssp)
    return ssp


IMPLEMENTATION_FIELDS = ("status", "description", "rationale", "responsible", "poam_reference", "planned_date")


@transaction.atomic
def save_implementation(*, row: RequirementImplementation, values: dict, confirmed: bool, expected_version: int,
                        organization: str, objectives: list[Objective]) -> RequirementImplementation:
    """Write one requirement's SSP entry if it is still at ``expected_version``; else raise StaleWrite.

    Starting text stays flagged until the user changes it or confirms it. While it is untouched, a new status
    brings that status's starting text instead (still flagged).
    """
    current = RequirementImplementation.objects.select_for_update().get(pk=row.pk)
    if current.version != expected_version:
        raise StaleWrite(current)
    was_pending, old_status = current.starting_text_pending, current.status
    for name in IMPLEMENTATION_FIELDS:
        if name in values:
            setattr(current, name, values[name])
    untouched = current.description.strip() == current.starting_text.strip()
    if was_pending and untouched and not confirmed:
        if current.status != old_status:
            text = starting_text.for_requirement(status=current.status, organization=organization,
                                                 objectives=[(o.letter, o.text) for o in objectives])
            current.description = current.starting_text = text
        current.starting_text_pending = bool(current.starting_text)
    else:
        current.starting_text_pending = False
    current.version = expected_version + 1
    current.save()
    touch_assessment(row.ssp)
    return current


@transaction.atomic
def sync_from_assessment(*, ssp: SystemSecurityPlan) -> list[str]:
    """Bring every requirement's status and planned date in line with the assessment; return the NIST ids changed.

    The assessment (and its POA&M) is the record of what is done: a planned item the assessment counts as met
    becomes Implemented, and so on. Descriptions the user wrote are kept; untouched starting text follows the status.
    """
    assessment = ssp.assessment
    statuses = {item.rule.nist_id: item.status for item in score_assessment(assessment).items}
    answers = {a.requirement_id: a for a in Answer.objects.filter(assessment=assessment)}
    objectives: dict[int, list[Objective]] = {}
    for objective in Objective.objects.order_by("requirement__position", "position"):
        objectives.setdefault(objective.requirement_id, []).append(objective)
    changed = []
    rows = RequirementImplementation.objects.select_for_update().filter(ssp=ssp).select_related("requirement")
    for row in rows.order_by("requirement__position"):
        requirement = row.requirement
        if assessment.target_level == "l1" and not requirement.level1_id:
            continue  # outside a Level 1 assessment: nothing to compare with
        wanted = prefill(requirement, statuses.get(requirement.nist_id), answers.get(requirement.pk),
                         objectives.get(requirement.pk, []), assessment.organization_name)
        updates = {}
        if row.status != wanted.status:
            updates["status"] = wanted.status
        if wanted.status == ImplementationStatus.PLANNED and wanted.planned_date and \
                row.planned_date != wanted.planned_date:
            updates["planned_date"] = wanted.planned_date
        if not updates:
            continue
        if not row.responsible and wanted.responsible:
            updates["responsible"] = wanted.responsible
        if wanted.status == ImplementationStatus.NA and not row.rationale.strip():
            updates["rationale"] = wanted.rationale
        if wanted.status == ImplementationStatus.PLANNED and not row.poam_reference:
            updates["poam_reference"] = wanted.poam_reference
        if "status" in updates and row.starting_text_pending:
            updates["description"] = updates["starting_text"] = wanted.starting_text
        for name, value in updates.items():
            setattr(row, name, value)
        row.version += 1
        row._change_reason = "synced from the assessment"  # the activity log's note on this change
        row.save()
        changed.append(requirement.nist_id)
    if changed:
        touch_assessment(ssp)
    return changed


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
    return SspVersion.objects.create(
        ssp=ssp, number=number, label=label, generated_on=generated_on, description=description, made_by=made_by,
        catalog_revision=catalog_revision, draft=draft, docx=docx, docx_sha256=sha256(docx), pdf=pdf,
        pdf_sha256=sha256(pdf),
    )


def generated_versions(assessment_id: int) -> list[GeneratedVersion]:
    """The assessment's generated versions, oldest first, without their bytes (1 query; see assessments/plans.py)."""
    return [GeneratedVersion(label=label, generated_on=on, draft=draft) for label, on, draft in SspVersion.objects
            .filter(ssp__assessment_id=assessment_id).order_by("number").values_list("label", "generated_on", "draft")]


# --- Deleting for good --------------------------------------------------------------------------------------------

# The plan's row models: each keeps history under its ``ssp_id``.
ROW_MODELS = (Contact, UserRole, HardwareItem, SoftwareItem, Interconnection, ServiceProvider, NetworkDiagram,
              RequirementImplementation, SspVersion)


def delete_plans_for_good(*, assessment_ids: list[int]) -> None:
    """The plans of these assessments, every row of them and every history row (which would otherwise keep every
    description ever written): part of deleting the assessments (assessments.models._delete_for_good)."""
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
