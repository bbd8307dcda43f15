"""The SSP steps. Forms validate and normalise; the views apply (models' write functions).

Text fields carry no HTML ``maxlength``: a browser would silently cut a long paste, while the server refuses it
with a message next to the field and gives the text back untouched.
"""

import re
from datetime import timedelta

from crispy_forms.helper import FormHelper
from django import forms
from django.core.exceptions import ValidationError
from django.forms import inlineformset_factory
from django.forms.utils import ErrorDict
from django.utils import timezone

from assessments import scoring
from assessments.forms import AnswerForm, PlainDateField
from assessments.models import ANSWER_FIELDS, POAM_TEXT_MAX, Answer, AnswerStatus, Responsibility
from controls.models import Requirement

from . import images
from .document import CUI_CATEGORIES
from .matter import milestone_line
from .models import (
    MAINTAINED_QUESTION,
    ROWS_MAX,
    Contact,
    HardwareItem,
    ImplementationStatus,
    Interconnection,
    NarrativeVariant,
    PlanReview,
    PolicyDocument,
    ServiceProvider,
    SoftwareItem,
    SystemSecurityPlan,
    UserRole,
    YesNo,
)

TOO_LONG = ("Keep this to %(limit_value)s characters or fewer (it has %(show_value)s). Put longer material in a "
            "separate document and reference it here.")
LABEL_RE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.\-]{0,19}$")


def _tidy(form: forms.BaseForm) -> None:
    """Our long-text message; no HTML maxlength (see the module docstring)."""
    for field in form.fields.values():
        if isinstance(field, forms.CharField):
            field.error_messages["max_length"] = TOO_LONG
            field.widget.attrs.pop("maxlength", None)


class TidyMixin:
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _tidy(self)


class IdentificationForm(TidyMixin, forms.ModelForm):
    cui_categories = forms.MultipleChoiceField(
        label="CUI categories handled", required=False, widget=forms.CheckboxSelectMultiple,
        choices=[(c, c) for c in CUI_CATEGORIES],
        help_text="From the CUI Registry (archives.gov/cui/registry/category-list). Add others below.",
    )
    # No "not chosen" option: until one is ticked, step 3 offers the GCC High examples and says so (starting_text).
    narrative_variant = forms.ChoiceField(
        label="Example narratives written for", required=False, widget=forms.RadioSelect,
        choices=NarrativeVariant.choices,
        help_text="Step 3 offers an example description of each requirement, written for this environment, as the "
                  "starting text to adapt to what you do. Until you choose, it offers the Microsoft 365 GCC High "
                  "examples and says so. Descriptions you have written or confirmed are never changed.",
    )

    class Meta:
        model = SystemSecurityPlan
        fields = ["system_name", "system_identifier", "categorization", "org_name", "org_address", "org_phone",
                  "purpose", "cui_categories", "cui_other", "narrative_variant"]
        widgets = {"org_address": forms.Textarea(attrs={"rows": 2}), "purpose": forms.Textarea(attrs={"rows": 5}),
                   "cui_other": forms.Textarea(attrs={"rows": 2})}
        help_texts = {"cui_other": "One per line.",
                      "purpose": "What the system is for, in a few sentences (section 1.3)."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # Keep categories the user once chose even if the list changes, so nothing is dropped on save.
            known = [c for c, _ in self.fields["cui_categories"].choices]
            extra = [c for c in self.instance.cui_categories if c not in known]
            self.fields["cui_categories"].choices += [(c, c) for c in extra]


class ContactForm(TidyMixin, forms.ModelForm):
    class Meta:
        model = Contact
        fields = ["name", "title", "address", "phone", "email"]


class EnvironmentForm(TidyMixin, forms.ModelForm):
    maintained_by_org = forms.ChoiceField(label=MAINTAINED_QUESTION,
                                          choices=[("", "Not answered")] + YesNo.choices, required=False,
                                          widget=forms.RadioSelect)

    class Meta:
        model = SystemSecurityPlan
        fields = ["boundary", "environment", "hardware_reference", "software_reference", "maintained_by_org",
                  "maintenance_explanation", "diagram_none_reason"]
        widgets = {"boundary": forms.Textarea(attrs={"rows": 6}), "environment": forms.Textarea(attrs={"rows": 6}),
                   "maintenance_explanation": forms.Textarea(attrs={"rows": 2}),
                   "diagram_none_reason": forms.Textarea(attrs={"rows": 2})}
        help_texts = {
            "boundary": "What is inside the system and what is not: locations, networks, cloud services, and where "
                        "CUI enters and leaves (3.12.4[b]).",
            "environment": "The components: an instance of each operating system, servers, firewalls, routers, "
                           "switches, printers, portable devices (3.12.4[c]).",
            "hardware_reference": "If your inventory lives in another system, name it; the table below is then "
                                  "optional.",
            "software_reference": "As for hardware.",
            "diagram_none_reason": "Without a diagram, say why (e.g. the boundary text describes a single flat "
                                   "network fully); a final plan needs one or the other.",
        }


class DiagramForm(forms.Form):
    image = forms.FileField(label="Network diagram (PNG or JPEG, at most 5 MB)",
                            widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg"}))
    caption = forms.CharField(max_length=200, required=False)

    def __init__(self, *args, oversized: bool = False, **kwargs):
        # oversized: the request body was too big to read at all; the form reports it without any data.
        self.oversized = oversized
        if oversized:
            kwargs.setdefault("data", {})
        super().__init__(*args, **kwargs)
        _tidy(self)

    def full_clean(self) -> None:
        if not self.oversized:
            super().full_clean()
            return
        self._errors, self.cleaned_data = ErrorDict(), {}
        self.add_error("image", ValidationError(f"The file is larger than {images.MAX_UPLOAD_BYTES // 2**20} MB.",
                                                code="too_large"))

    def clean_image(self) -> images.Reencoded:
        upload = self.cleaned_data["image"]
        if upload.size > images.MAX_UPLOAD_BYTES:
            raise ValidationError(f"The file is larger than {images.MAX_UPLOAD_BYTES // 2**20} MB.", code="too_large")
        try:
            return images.reencode(upload.read())
        except images.ImageRejected as exc:
            raise ValidationError(str(exc), code=exc.code) from None


class EnvironmentDiagramForm(DiagramForm):
    """The diagram as part of the environment page, whose Save also uploads it: a chosen file replaces the diagram,
    a caption alone edits the caption of the one already there, and neither changes nothing."""

    def __init__(self, *args, has_diagram: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.has_diagram = has_diagram
        self.fields["image"].required = False
        if has_diagram:
            self.fields["image"].label = f"Replace it with (PNG or JPEG, at most {images.MAX_UPLOAD_BYTES // 2**20} MB)"

    def clean_image(self) -> images.Reencoded | None:
        if not self.cleaned_data.get("image"):
            return None
        return super().clean_image()

    def clean(self) -> dict:
        cleaned = super().clean()
        if not self.has_diagram and cleaned.get("caption") and not self.errors and cleaned.get("image") is None:
            self.add_error("image", ValidationError("Choose the diagram's image file too: a caption alone cannot be "
                                                    "saved.", code="caption_without_image"))
        return cleaned


class RowForm(TidyMixin, forms.ModelForm):
    pass


def _formset(model, fields: list[str], **extra):
    return inlineformset_factory(
        SystemSecurityPlan, model, form=RowForm, fields=fields, extra=2, max_num=ROWS_MAX, validate_max=True,
        absolute_max=ROWS_MAX + 10, can_delete=True, **extra,
    )


UserRoleFormSet = _formset(UserRole, ["role", "users", "privileged_users"])
HardwareFormSet = _formset(HardwareItem, ["component", "make_model", "version", "responsible"])
SoftwareFormSet = _formset(SoftwareItem, ["name", "vendor", "version", "purpose", "responsible"])
InterconnectionFormSet = _formset(Interconnection, ["system", "owner", "connection", "data", "agreement"])
ProviderFormSet = _formset(ServiceProvider, ["name", "service", "responsibility", "notes"])


def table_helper() -> FormHelper:
    helper = FormHelper()
    helper.template = "ssp/_table_formset.html"
    helper.form_tag = False
    helper.disable_csrf = True
    return helper


# The assessment's statuses in the NIST SSP template's words: the SSP's requirement step edits the same answer.
PLAN_STATUS_LABELS = {
    AnswerStatus.MET: ImplementationStatus.IMPLEMENTED.label,
    AnswerStatus.PARTIAL: ImplementationStatus.PARTIAL.label,
    AnswerStatus.NOT_MET: ImplementationStatus.PLANNED.label,
    AnswerStatus.NA: ImplementationStatus.NA.label,
}


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _not_in_future(value, message: str):
    """A date something happened (an approval, a finding): not later than tomorrow, wherever the user is."""
    if value and value > timezone.localdate() + timedelta(days=1):
        raise ValidationError(message, code="date_in_future")
    return value


IN_THE_FUTURE = "This date is in the future: give the date it happened."


class RequirementForm(AnswerForm):
    """The questionnaire's answer form with the plan's words, plus what the plan and its POA&M record per
    requirement: who carries it out, the approval of not applicable, and the POA&M row. The same rules apply
    whichever page saves the record (AnswerForm.clean).

    While no description is written, the starting text is shown in its place. Posted back unchanged and not
    confirmed, it is not stored: it stays the flagged starting text (and follows the status).
    """

    poam_reference = forms.CharField(required=False, max_length=50, label="POA&M reference")
    responsibility = forms.ChoiceField(label="Who carries it out", required=False,
                                       choices=[("", "Not said")] + Responsibility.choices)
    provider = forms.CharField(required=False, max_length=200, label="Provider",
                               help_text="For inherited or shared: the provider, as named in section 2.5.")
    na_approved_by = forms.CharField(required=False, max_length=200, label="Approved by")
    na_approved_on = PlainDateField(required=False, label="Approved on", widget=_date_input())
    weakness = forms.CharField(required=False, max_length=POAM_TEXT_MAX, label="Weakness",
                               widget=forms.Textarea(attrs={"rows": 2}),
                               help_text="What is missing or wrong, in a sentence or two.")
    identified_by = forms.CharField(required=False, max_length=200, label="Identified by",
                                    help_text="E.g. “Self-assessment”, “MSP review”.")
    identified_on = PlainDateField(required=False, label="Identified on", widget=_date_input())
    resources = forms.CharField(required=False, max_length=POAM_TEXT_MAX, label="Resources required",
                                widget=forms.Textarea(attrs={"rows": 2}), help_text="Budget, people or services.")
    milestones = forms.CharField(required=False, max_length=POAM_TEXT_MAX, label="Milestones with dates",
                                 widget=forms.Textarea(attrs={"rows": 3}),
                                 help_text="One per line, date first: 2027-01-15 Order the licences.")
    milestone_changes = forms.CharField(required=False, max_length=POAM_TEXT_MAX, label="Changes to milestones",
                                        widget=forms.Textarea(attrs={"rows": 2}))
    confirm = forms.BooleanField(required=False, label="This starting text describes what we do (confirm it)")

    MAIN = ("note", "justification", "responsible", "evidence", "responsibility", "provider", "poam_reference",
            "planned_date")
    NA_APPROVAL = ("na_approved_by", "na_approved_on")
    POAM = ("weakness", "resources", "milestones", "milestone_changes", "identified_by", "identified_on")

    def __init__(self, *args, requirement: Requirement, stored: Answer | None = None, objective_mode: bool = False,
                 starting_text: str = "", **kwargs):
        self.starting_text = starting_text
        if stored is not None and "initial" not in kwargs:
            kwargs["initial"] = {name: getattr(stored, name) for name in (*ANSWER_FIELDS, "version")}
            kwargs["initial"]["note"] = stored.note if stored.note.strip() else starting_text
        super().__init__(*args, requirement=requirement, stored=stored if stored and stored.pk else None,
                         objective_mode=objective_mode, **kwargs)
        _tidy(self)
        self.fields["note"].label = "Implementation description"
        self.fields["note"].widget.attrs["rows"] = 6
        self.fields["justification"].label = "If not applicable: why"
        self.fields["planned_date"].label = "Scheduled completion"
        self.fields["status"].widget.choices = [(value, PLAN_STATUS_LABELS.get(value, label))
                                                for value, label in self.fields["status"].widget.choices if value]
        self.fields["responsibility"].widget.attrs["class"] = "form-select form-select-sm"
        self.order_fields(["status", *self.MAIN, *self.NA_APPROVAL, *self.POAM, "confirm", "version"])

    def group(self, names: tuple[str, ...]) -> list:
        return [self[name] for name in names]

    @property
    def main_fields(self) -> list:
        # 3.12.4 is never not applicable (an SSP always applies): no box for a reason it cannot have, as in the
        # questionnaire.
        never_na = self.requirement.nist_id == scoring.SSP_REQUIREMENT
        return self.group(tuple(name for name in self.MAIN if not (never_na and name == "justification")))

    @property
    def na_fields(self) -> list:
        return self.group(self.NA_APPROVAL)

    @property
    def poam_fields(self) -> list:
        return self.group(self.POAM)

    def errors_in(self, names: tuple[str, ...]) -> bool:
        return any(name in self.errors for name in names)

    @property
    def na_open(self) -> bool:
        """Show the approval fields: not applicable chosen, or something in them."""
        return self.errors_in(self.NA_APPROVAL) or self["status"].value() == AnswerStatus.NA or any(
            self[name].value() for name in self.NA_APPROVAL)

    @property
    def poam_open(self) -> bool:
        return self.errors_in(self.POAM) or self["status"].value() in (AnswerStatus.NOT_MET, AnswerStatus.PARTIAL)

    def clean_na_approved_on(self):
        return _not_in_future(self.cleaned_data.get("na_approved_on"), IN_THE_FUTURE)

    def clean_identified_on(self):
        return _not_in_future(self.cleaned_data.get("identified_on"), IN_THE_FUTURE)

    def clean_milestones(self) -> str:
        """Each line that starts with a date must start with a real one; it is written back as YYYY-MM-DD."""
        lines = (self.cleaned_data.get("milestones") or "").splitlines()
        for number, line in enumerate(lines, start=1):
            if (parsed := milestone_line(line)) is None:
                continue
            written, when, _ = parsed
            if when is None:
                raise ValidationError("Line %(line)s: %(date)s is not a real date (write it as YYYY-MM-DD).",
                                      code="milestone_date", params={"line": number, "date": written})
            lines[number - 1] = line.replace(written, when.isoformat(), 1)
        return "\n".join(lines)

    def clean(self):
        data = super().clean()
        note = data.get("note") or ""
        if self.starting_text and note.strip() == self.starting_text.strip() and not data.get("confirm"):
            data["note"] = ""
        if data.get("responsibility") in (Responsibility.INHERITED, Responsibility.SHARED) and not (
                data.get("provider") or "").strip():
            self.add_error("provider", ValidationError("Name the provider it is inherited from or shared with.",
                                                       code="provider_required"))
        return data


class PlanForm(TidyMixin, forms.ModelForm):
    approval_date = PlainDateField(label="Approval date", required=False, widget=_date_input(),
                                   help_text="The date the approver signed the plan (the approval page).")

    class Meta:
        model = SystemSecurityPlan
        fields = ["review_frequency", "approver_name", "approver_title", "approval_date", "cui_banner",
                  "cui_controlled_by", "cui_category_marking", "cui_dissemination", "cui_poc"]
        widgets = {"review_frequency": forms.RadioSelect}
        help_texts = {
            "review_frequency": "How often the plan is reviewed and updated (3.12.4[g] and [h]).",
            "cui_banner": "Adds the CUI banner at the top and bottom of every page, and the CUI designation "
                          "indicator below to the cover. Leave on unless your organization marks the plan otherwise.",
        }

    def clean_approval_date(self):
        return _not_in_future(self.cleaned_data.get("approval_date"),
                              "The approval date is in the future: give the date the plan was signed.")


PolicyFormSet = _formset(PolicyDocument, ["title", "reference", "version"])
ReviewFormSet = _formset(PlanReview, ["reviewed_on", "reviewer", "outcome"],
                         widgets={"reviewed_on": _date_input()})


class GenerateForm(forms.Form):
    label = forms.CharField(label="Version", max_length=20,
                            help_text="E.g. 1.0, 1.1, 2.0. Each generated version needs its own number.")
    description = forms.CharField(label="What changed", max_length=500,
                                  help_text="Goes into the record of changes (section 4).")
    made_by = forms.CharField(label="Made by", max_length=200)

    def __init__(self, *args, taken: set[str], **kwargs):
        self.taken = taken
        super().__init__(*args, **kwargs)
        _tidy(self)

    def clean_label(self) -> str:
        label = self.cleaned_data["label"].strip()
        if not LABEL_RE.match(label):
            raise ValidationError("Use letters, digits, dots and dashes only, e.g. 1.0 or 2.1-draft.",
                                  code="invalid_label")
        if label in self.taken:
            raise ValidationError("Version %(label)s was already generated; give this one a new number.",
                                  code="label_taken", params={"label": label})
        return label


def next_label(labels: list[str]) -> str:
    """A suggestion: the last numeric label plus 0.1 ("1.0" → "1.1"), "1.0" for the first."""
    for label in reversed(labels):
        match = re.fullmatch(r"(\d+)\.(\d+)", label)
        if match:
            candidate = f"{match[1]}.{int(match[2]) + 1}"
            if candidate not in labels:
                return candidate
    return "1.0" if "1.0" not in labels else f"{len(labels) + 1}.0"
