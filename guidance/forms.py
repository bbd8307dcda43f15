from django import forms

from .decision import CHOICES


class DecisionForm(forms.Form):
    """The decision helper's answers so far; each arrives from a plain GET form, one question at a time."""

    dod = forms.ChoiceField(required=False, choices=CHOICES["dod"], widget=forms.RadioSelect,
                            label="Do you have, or want, a contract or subcontract with the US Department of Defense?")
    info = forms.ChoiceField(required=False, choices=CHOICES["info"], widget=forms.RadioSelect,
                             label="What information will you receive or create for that work?")
    assessment = forms.ChoiceField(required=False, choices=CHOICES["assessment"], widget=forms.RadioSelect,
                                   label="Which CMMC level and assessment does the solicitation or your prime ask for?")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.error_messages["invalid_choice"] = "Choose one of the answers below."
            field.widget.attrs["class"] = "form-check-input"
