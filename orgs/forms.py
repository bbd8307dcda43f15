import unicodedata

from django import forms
from django.core.exceptions import ValidationError

from .models import Invitation, Organization, Role

NEW_ORGANIZATION = "new"
# Bidirectional embeddings, overrides and isolates: they make a name display as something it is not.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def no_control_characters(value: str) -> None:
    """An organisation's name goes into email subjects and headings: one line of printable text (a line break in
    it made the invitation email fail)."""
    if any(unicodedata.category(char) in ("Cc", "Zl", "Zp") or char in BIDI_CONTROLS for char in value):
        raise ValidationError("The name cannot contain line breaks, tabs or other control characters.",
                              code="control_characters")


class OrganizationForm(forms.ModelForm):
    class Meta:
        model = Organization
        fields = ["name"]
        widgets = {"name": forms.TextInput(attrs={"autocomplete": "organization"})}

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise ValidationError("Enter the organisation's name.", code="required")
        no_control_characters(name)
        return name


class InvitationForm(forms.ModelForm):
    class Meta:
        model = Invitation
        fields = ["email", "role"]
        widgets = {"role": forms.RadioSelect}
        help_texts = {"email": "They sign in (or sign up) with this address to accept. The link works once, "
                               "for 7 days."}

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()


class MemberForm(forms.Form):
    action = forms.ChoiceField(choices=[("role", "Change role"), ("remove", "Remove")])
    role = forms.ChoiceField(choices=Role.choices, required=False)

    def clean(self) -> dict:
        data = super().clean()
        if data.get("action") == "role" and not data.get("role"):
            self.add_error("role", ValidationError("Choose a role.", code="required"))
        return data


class ClaimForm(forms.Form):
    assessments = forms.MultipleChoiceField(widget=forms.CheckboxSelectMultiple, label="Assessments to move")
    organization = forms.ChoiceField(widget=forms.RadioSelect, label="Into the organisation")
    new_name = forms.CharField(max_length=200, required=False, label="Name of the new organisation",
                               validators=[no_control_characters])

    def __init__(self, *args, assessments: list[tuple[str, str]], organizations: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assessments"].choices = assessments
        self.fields["organization"].choices = [*organizations, (NEW_ORGANIZATION, "A new organisation")]
        if not self.is_bound:
            self.fields["assessments"].initial = [value for value, _ in assessments]
            self.fields["organization"].initial = organizations[0][0] if organizations else NEW_ORGANIZATION

    def clean(self) -> dict:
        data = super().clean()
        if data.get("organization") == NEW_ORGANIZATION and not (data.get("new_name") or "").strip():
            self.add_error("new_name", ValidationError("Enter the new organisation's name.", code="required"))
        return data


class ConfirmDeleteForm(forms.Form):
    confirm = forms.BooleanField(label="Yes, delete this assessment and all its answers for good.",
                                 error_messages={"required": "Tick the box to confirm."})
