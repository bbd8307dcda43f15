import re
from collections.abc import Sequence
from datetime import date, timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.forms.boundfield import BoundField
from django.utils import timezone

from controls.models import Requirement
from orgs.models import Organization

from . import scoring
from .assessment_file import MAX_FILE_BYTES, AssessmentFileError, parse_document, read_document
from .models import (
    RESPONSIBLE_MAX,
    TEXT_MAX,
    Answer,
    AnswerStatus,
    Assessment,
    ObjectiveAnswerStatus,
    SspState,
    today,
)

CAGE_RE = re.compile(r"^[A-Z0-9]{5}$")


class OrganizationChoiceMixin:
    """Where a new assessment (started or imported) is saved: one of ``organizations``, the signed-in user's
    organisations in which they are owner or editor, as the form's first field. Without them the form has no
    organisation field at all, so a posted ``organization`` is ignored and the assessment is anonymous (the model
    field is not editable either)."""

    def __init__(self, *args, organizations: Sequence[Organization] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.organizations = {org.public_id: org for org in organizations}
        if not organizations:
            return
        self.fields["organization"] = forms.ChoiceField(
            label="Organisation",
            choices=[(org.public_id, org.name) for org in organizations],
            widget=forms.RadioSelect,
            help_text="Where the assessment is saved: everyone in the organisation can see it according to their "
            "role.",
            error_messages={
                "required": "Choose the organisation to save the assessment in.",
                "invalid_choice": "Choose one of your organisations in which you are an owner or editor.",
            },
        )
        self.order_fields(["organization", *self.fields])
        if self.initial.get("organization") not in self.organizations:
            self.initial["organization"] = organizations[0].public_id

    def clean_organization(self) -> Organization:
        # The choices are the user's own organisations, so a valid value is always one of them.
        return self.organizations[self.cleaned_data["organization"]]


SWITCH_OBJECTIVE_MODE_ON = (
    "Answer each SP 800-171A assessment objective; each requirement's answer then comes from its objectives. "
    "Ticking this keeps every answer you gave: a requirement answered met (or not applicable) gets each of its "
    "objectives answered met (or not applicable); a requirement answered not met or partially met keeps that "
    "answer, marked, until you choose which of its objectives are met. Nothing is deleted, and the score stays the "
    "same, unless objective answers you gave before (kept as they were) say otherwise: the page then names them."
)
SWITCH_OBJECTIVE_MODE_OFF = (
    "Unticking this keeps the answers your objectives give: each requirement's answer becomes what its objectives "
    "add up to, so the score stays the same. Your objective answers are kept, not deleted, and come back if you "
    "tick this again."
)


class IntakeForm(OrganizationChoiceMixin, forms.ModelForm):
    has_ssp = forms.ChoiceField(
        label="Do you already have a System Security Plan (SSP)?",
        choices=SspState.choices,
        widget=forms.RadioSelect,
        help_text="Requirement 3.12.4: without an SSP no SPRS score can exist. Our SSP generator can write one "
        "from your answers.",
    )

    class Meta:
        model = Assessment
        fields = ["organization_name", "target_level", "scope", "cage_codes", "employee_count", "objective_mode"]
        widgets = {
            "target_level": forms.RadioSelect,
            "scope": forms.RadioSelect,
        }
        help_texts = {
            "cage_codes": "Five characters each, separated by spaces or commas. Optional now; needed for SPRS.",
        }
        error_messages = {
            "organization_name": {"required": "Enter your organisation's name."},
        }

    field_order = ["organization_name", "target_level", "has_ssp", "scope", "cage_codes", "employee_count",
                   "objective_mode"]

    def __init__(self, *args, explain_switch: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if explain_switch:
            # The settings page, to someone who may switch: what switching will do, said before it is done
            # (assessments.objective_mode.set_objective_mode does it). ``instance`` holds the stored settings.
            self.fields["objective_mode"].help_text = (
                SWITCH_OBJECTIVE_MODE_OFF if self.instance.objective_mode else SWITCH_OBJECTIVE_MODE_ON)

    def clean_organization_name(self) -> str:
        name = self.cleaned_data["organization_name"].strip()
        if not name:
            raise ValidationError("Enter your organisation's name.", code="required")
        return name

    def clean_cage_codes(self) -> str:
        codes = [c.strip().upper() for c in re.split(r"[\s,;]+", self.cleaned_data["cage_codes"]) if c.strip()]
        bad = [c for c in codes if not CAGE_RE.match(c)]
        if bad:
            raise ValidationError(
                "A CAGE code is five letters or digits; these are not: %(bad)s.",
                code="invalid_cage",
                params={"bad": ", ".join(bad[:5])},
            )
        return " ".join(dict.fromkeys(codes))

    def clean_employee_count(self) -> int | None:
        count = self.cleaned_data.get("employee_count")
        if count is not None and count > 1_000_000:
            raise ValidationError("Enter the number of employees (at most 1,000,000).", code="max_value")
        return count


class PlainDateField(forms.DateField):
    """A date field that names NUL bytes as such (DateField would only say "Enter a valid date")."""

    def to_python(self, value):
        if isinstance(value, str) and "\x00" in value:
            raise ValidationError(ProhibitNullCharactersValidator.message, code="null_characters_not_allowed")
        return super().to_python(value)


def earliest_today() -> date:
    """Today's date where it is earliest on Earth (UTC-12): a plan for "today" is never refused as past, even
    in the evening in the US while the server's (UTC) date has already moved on."""
    return (timezone.now() - timedelta(hours=12)).date()


class FixedChoiceField(forms.ChoiceField):
    """A choice field whose choices are constants (pairs of strings): each form's copy of the field gets its own list
    of the same pairs instead of a deep copy of each (the questionnaire makes a form per requirement, or per
    objective, on every page)."""

    def __deepcopy__(self, memo: dict) -> "FixedChoiceField":
        result = forms.Field.__deepcopy__(self, memo)
        result._choices = list(self._choices)
        return result


class MarkedBoundField(BoundField):
    """A field whose control, while it has errors, is marked as crispy-bootstrap5 marks the fields it renders:
    Bootstrap's ``is-invalid``, and ``aria-describedby`` naming its message (``<id>-error``, printed by the
    ``field_errors`` tag of answer_controls); Django adds ``aria-invalid``. For the forms whose templates print
    their fields by hand (the questionnaire's and the SSP's requirement forms), so the marking is written once."""

    def build_widget_attrs(self, attrs: dict, widget: forms.Widget | None = None) -> dict:
        widget = widget or self.field.widget
        if self.errors and not widget.is_hidden:
            marked = " ".join(filter(None, (widget.attrs.get("class"), attrs.get("class"), "is-invalid")))
            attrs = {**attrs, "class": marked, "aria-describedby": f"{self.auto_id}-error"}
        return super().build_widget_attrs(attrs, widget)


class AnswerForm(forms.Form):
    bound_field_class = MarkedBoundField

    status = FixedChoiceField(choices=[("", "Not answered")] + AnswerStatus.choices, required=False,
                               widget=forms.RadioSelect)
    justification = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=TEXT_MAX,
                                    label="Why is it not applicable?")
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=TEXT_MAX,
                           label="How it is implemented (your SSP's description)")
    evidence = forms.CharField(required=False, max_length=500, label="Evidence reference")
    responsible = forms.CharField(required=False, max_length=RESPONSIBLE_MAX, label="Responsible person or role")
    planned_date = PlainDateField(required=False, label="Planned completion date",
                                  widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)

    def __init__(self, *args, requirement: Requirement, stored: Answer | None = None, objective_mode: bool = False,
                 **kwargs):
        self.requirement = requirement
        self.stored = stored
        prefix = "r" + requirement.nist_id.replace(".", "-")
        super().__init__(*args, prefix=prefix, **kwargs)
        choices = [("", "Not answered")] + [
            (value, label) for value, label in AnswerStatus.choices
            if (value != AnswerStatus.PARTIAL or requirement.partial_points is not None)
            and not (value == AnswerStatus.NA and requirement.nist_id == scoring.SSP_REQUIREMENT)
        ]
        if objective_mode and requirement.nist_id != scoring.SSP_REQUIREMENT:
            # The status comes from the objectives; only the partial state can be chosen on top of them.
            # (3.12.4 is answered as a whole in either mode: the SSP exists or it does not.)
            choices = [c for c in choices if c[0] in ("", AnswerStatus.PARTIAL)]
        # Only the options that make sense are shown; the field still knows every status, so a refused one
        # (partial elsewhere than 3.5.3 / 3.13.11) gets clean()'s plain message rather than "not a valid choice".
        self.fields["status"].widget.choices = choices
        self.offers_status = len(choices) > 1
        for name, field in self.fields.items():
            if name not in ("status", "version"):
                field.widget.attrs.setdefault("class", "form-control form-control-sm")

    def clean_planned_date(self):
        planned = self.cleaned_data.get("planned_date")
        unchanged = self.stored is not None and self.stored.planned_date == planned
        if planned and planned < earliest_today() and not unchanged:
            raise ValidationError("The planned completion date cannot be in the past.", code="date_in_past")
        return planned

    def clean(self):
        data = super().clean()
        status = data.get("status")
        if status == AnswerStatus.NA and not (data.get("justification") or "").strip():
            self.add_error(
                "justification",
                ValidationError("Not applicable needs a written justification (your SSP must list it).",
                                code="justification_required"),
            )
        if status == AnswerStatus.PARTIAL and self.requirement.partial_points is None:
            self.add_error("status", ValidationError("Partially met exists only for 3.5.3 and 3.13.11.",
                                                     code="partial_not_allowed"))
        if status == AnswerStatus.NA and self.requirement.nist_id == scoring.SSP_REQUIREMENT:
            self.add_error("status", ValidationError(
                "A System Security Plan is never not applicable: every assessment needs one, and no SPRS score "
                "exists without it.", code="na_not_allowed"))
        return data


class ObjectiveAnswerForm(forms.Form):
    status = FixedChoiceField(choices=[("", "Not answered")] + ObjectiveAnswerStatus.choices, required=False,
                               widget=forms.RadioSelect)
    version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)

    def __init__(self, *args, objective_id: str, **kwargs):
        prefix = "o" + re.sub(r"[^0-9a-z]", "-", objective_id)
        super().__init__(*args, prefix=prefix, **kwargs)


class ResumeForm(forms.Form):
    recovery_key = forms.CharField(
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}),
        help_text="The key you saved when you started, e.g. ABCD-EFGH-…",
    )

    def clean_recovery_key(self) -> str:
        key = "".join(ch for ch in self.cleaned_data["recovery_key"].upper() if ch.isalnum())
        if len(key) != 32:
            raise ValidationError("A recovery key has 32 letters and digits (8 groups of 4).", code="invalid_length")
        return key


EARLIEST_DATE = date(2000, 1, 1)  # anything older is a typo, not an SPRS assessment


class SprsDetailsForm(forms.ModelForm):
    """The SPRS worksheet's own fields, edited on the worksheet page (the intake form does not carry them)."""

    LEVEL2_ONLY = ("ssp_name", "ssp_version", "ssp_date", "conditional_status_date")

    class Meta:
        model = Assessment
        fields = ["assessment_date", "affirming_official", "ssp_name", "ssp_version", "ssp_date",
                  "conditional_status_date"]
        labels = {
            "assessment_date": "Date of the assessment",
            "ssp_date": "SSP date (revision date)",
            "conditional_status_date": "Conditional status date",
        }
        help_texts = {
            "assessment_date": "The day this self-assessment was completed.",
            "affirming_official": "The senior official who affirms the results in SPRS (name and title).",
            "ssp_name": "The System Security Plan this assessment covers, as named in SPRS.",
            "conditional_status_date": "The CMMC status date SPRS shows for Conditional status; the 180-day "
            "POA&M deadline counts from it. Leave empty until SPRS shows it.",
        }
        widgets = {
            name: forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
            for name in ("assessment_date", "ssp_date", "conditional_status_date")
        }

    def __init__(self, *args, level: str = "l2", **kwargs):
        super().__init__(*args, **kwargs)
        if level == "l1":
            # Level 1 submits no score, no SSP details and allows no POA&M (32 CFR 170.15).
            for name in self.LEVEL2_ONLY:
                del self.fields[name]

    def _past_date(self, name: str, what: str) -> date | None:
        value = self.cleaned_data.get(name)
        if value is None:
            return None
        if value > today():
            raise ValidationError("The %(what)s cannot be in the future.", code="date_in_future",
                                  params={"what": what})
        if value < EARLIEST_DATE:
            raise ValidationError("Enter a date after %(earliest)s.", code="date_too_early",
                                  params={"earliest": EARLIEST_DATE.isoformat()})
        return value

    def clean_assessment_date(self) -> date | None:
        return self._past_date("assessment_date", "assessment date")

    def clean_ssp_date(self) -> date | None:
        return self._past_date("ssp_date", "SSP date")

    def clean_conditional_status_date(self) -> date | None:
        return self._past_date("conditional_status_date", "Conditional status date")

    def clean(self):
        data = super().clean()
        assessed, status_date = data.get("assessment_date"), data.get("conditional_status_date")
        if assessed and status_date and status_date < assessed:
            self.add_error("conditional_status_date", ValidationError(
                "Conditional status is granted after the assessment: this date cannot be before the assessment "
                "date (%(assessed)s).", code="status_before_assessment", params={"assessed": assessed.isoformat()}))
        return data


class ImportForm(OrganizationChoiceMixin, forms.Form):
    file = forms.FileField(
        label="Assessment file (.json)",
        help_text=f"A file downloaded with \"Whole assessment (JSON)\", at most {MAX_FILE_BYTES // (1024 * 1024)} MB.",
        widget=forms.ClearableFileInput(attrs={"accept": ".json,application/json"}),
    )

    def clean_file(self) -> object:
        """The file's JSON data, checked in full (the import itself checks it again before writing)."""
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise ValidationError("The file is too large (at most %(mb)s MB).", code="file_too_large",
                                  params={"mb": MAX_FILE_BYTES // (1024 * 1024)})
        try:
            data = read_document(upload.read())
            parse_document(data)
        except AssessmentFileError as exc:
            raise ValidationError("This file cannot be imported: %(problem)s.", code="invalid_assessment_file",
                                  params={"problem": str(exc)}) from None
        return data


STATE_RE = re.compile(r"^[0-9a-f]{64}$")


class RestMetForm(forms.Form):
    """The confirmation of "answer the rest of this family met": the fingerprint of the list it confirms
    (rest_met.Plan.state), so that a list changed meanwhile is shown again instead of written."""

    state = forms.CharField(widget=forms.HiddenInput, max_length=64, strip=False)

    def clean_state(self) -> str:
        state = self.cleaned_data["state"]
        if not STATE_RE.match(state):
            raise ValidationError("This confirmation is not one this page made: open the page again.",
                                  code="invalid_state")
        return state
