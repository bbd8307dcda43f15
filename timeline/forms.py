from django import forms
from django.core.exceptions import ValidationError

from .models import LABEL_MAX


class SnapshotForm(forms.Form):
    label = forms.CharField(
        max_length=LABEL_MAX, strip=True,
        help_text="What this moment is, e.g. \"Before the firewall project\" or \"Board review, March\".",
        error_messages={"required": "Give the snapshot a label, so you can find it again.",
                        "max_length": f"At most {LABEL_MAX} characters."},
    )

    def clean_label(self) -> str:
        label = self.cleaned_data["label"]
        if "\x00" in label:
            raise ValidationError("The label contains a character that cannot be stored.", code="null_characters")
        return label


TODAY = "today"


class CompareForm(forms.Form):
    """Which two sides to compare: a snapshot's number, or "today" (the assessment as it is now)."""

    before = forms.ChoiceField(label="From", error_messages={
        "invalid_choice": "Choose one of the snapshots listed.", "required": "Choose what to compare from."})
    after = forms.ChoiceField(label="To", error_messages={
        "invalid_choice": "Choose one of the snapshots listed, or today.", "required": "Choose what to compare to."})

    def __init__(self, *args, snapshots=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(str(s.number), f"Snapshot {s.number}: {s.label} ({s.taken_at:%Y-%m-%d})") for s in snapshots]
        self.fields["before"].choices = choices + [(TODAY, "Today (the assessment as it is now)")]
        self.fields["after"].choices = choices + [(TODAY, "Today (the assessment as it is now)")]

    def clean(self) -> dict:
        data = super().clean()
        if data.get("before") and data.get("before") == data.get("after"):
            raise ValidationError("Choose two different sides to compare.", code="same_side")
        return data
