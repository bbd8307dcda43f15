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
