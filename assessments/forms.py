import re

from django import forms
from django.core.exceptions import ValidationError

from controls.models import Requirement

from .models import Answer, AnswerStatus, Assessment, ObjectiveAnswerStatus, SspState, today

CAGE_RE = re.compile(r"^[A-Z0-9]{5}$")


class IntakeForm(forms.ModelForm):
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

    field_order = ["organization_name", "target_level", "has_ssp", "scope", "cage_codes", "employee_count",
                   "objective_mode"]

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


class AnswerForm(forms.Form):
    status = forms.ChoiceField(choices=[("", "Not answered")] + AnswerStatus.choices, required=False,
                               widget=forms.RadioSelect)
    justification = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=5000,
                                    label="Why is it not applicable?")
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=5000)
    evidence = forms.CharField(required=False, max_length=500, label="Evidence reference")
    responsible = forms.CharField(required=False, max_length=200, label="Responsible person")
    planned_date = forms.DateField(required=False, label="Planned completion date",
                                   widget=forms.DateInput(attrs={"type": "date"}))
    version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)

    def __init__(self, *args, requirement: Requirement, stored: Answer | None = None, objective_mode: bool = False,
                 **kwargs):
        self.requirement = requirement
        self.stored = stored
        prefix = "r" + requirement.nist_id.replace(".", "-")
        super().__init__(*args, prefix=prefix, **kwargs)
        choices = [("", "Not answered")] + [
            (value, label) for value, label in AnswerStatus.choices
            if value != AnswerStatus.PARTIAL or requirement.partial_points is not None
        ]
        if objective_mode:
            # The status comes from the objectives; only the partial state can be chosen on top of them.
            choices = [c for c in choices if c[0] in ("", AnswerStatus.PARTIAL)]
        self.fields["status"].choices = choices
        for name, field in self.fields.items():
            if name not in ("status", "version"):
                field.widget.attrs.setdefault("class", "form-control form-control-sm")

    def full_clean(self) -> None:
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                attrs["class"] = attrs.get("class", "") + " is-invalid"
                attrs["aria-describedby"] = f"{self[name].auto_id}-error"
                attrs["aria-invalid"] = "true"

    def clean_planned_date(self):
        planned = self.cleaned_data.get("planned_date")
        unchanged = self.stored is not None and self.stored.planned_date == planned
        if planned and planned < today() and not unchanged:
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
        return data


class ObjectiveAnswerForm(forms.Form):
    status = forms.ChoiceField(choices=[("", "Not answered")] + ObjectiveAnswerStatus.choices, required=False,
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
