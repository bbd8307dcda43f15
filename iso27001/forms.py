from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile

from .ids import ExtractedIds, edition_of, extract_ids
from .models import Edition, IsoControl

MAX_FILE_BYTES = 200_000
MAX_PASTE_CHARS = 200_000  # an uploaded file's text may come back through the box


class HeadStartForm(forms.Form):
    """The ticked Annex A controls, plus ids pasted or uploaded, plus a per-theme "tick all"/"untick all" button."""

    edition = forms.ChoiceField(choices=Edition.choices, widget=forms.HiddenInput)
    controls = forms.MultipleChoiceField(required=False)
    ids = forms.CharField(
        required=False, max_length=MAX_PASTE_CHARS, label="Or paste control ids",
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false", "class": "form-control"}),
        help_text="Any text with Annex A ids in it, e.g. your Statement of Applicability: we pick out every "
                  "“A.9.2.1” or “A.5.15” (a bare “9.2.1” counts at the start of a line) and ignore the rest.",
    )
    ids_file = forms.FileField(
        required=False, label="Or upload a list",
        widget=forms.ClearableFileInput(attrs={"accept": ".txt,.csv,text/plain,text/csv", "class": "form-control"}),
        help_text="A text or CSV file (save a spreadsheet as CSV first), up to 200 KB.",
    )
    select_theme = forms.ChoiceField(required=False)
    clear_theme = forms.ChoiceField(required=False)
    q = forms.CharField(required=False, max_length=100, widget=forms.HiddenInput)

    def __init__(self, *args, edition: str, controls: list[IsoControl], **kwargs):
        super().__init__(*args, **kwargs)
        self.edition_value = edition
        self.known = [c.control_id for c in controls]
        self.themes: dict[str, list[str]] = {}
        for control in controls:
            self.themes.setdefault(control.theme, []).append(control.control_id)
        self.fields["controls"].choices = [(c, c) for c in self.known]
        theme_choices = [(code, code) for code in self.themes]
        self.fields["select_theme"].choices = [("", "")] + theme_choices
        self.fields["clear_theme"].choices = [("", "")] + theme_choices
        self.file_text = ""  # an upload's decoded text, shown back in the paste box if anything fails

    def clean_ids_file(self) -> str:
        upload: UploadedFile | None = self.cleaned_data.get("ids_file")
        if not upload:
            return ""
        if upload.size > MAX_FILE_BYTES:
            raise ValidationError("%(name)s is larger than 200 KB; upload a plain list of ids instead.",
                                  code="file_too_large", params={"name": upload.name})
        raw = upload.read()
        if b"\x00" in raw:
            raise ValidationError("%(name)s is not a text file. Save your spreadsheet as CSV, or paste the ids.",
                                  code="file_not_text", params={"name": upload.name})
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("cp1252", errors="replace")  # spreadsheet CSV exports on Windows
        self.file_text = text
        return text

    def _check_ids(self, name: str, text: str, extracted: ExtractedIds, where: str) -> list[str]:
        """The valid ids of this source; an error naming the others (and nothing added) otherwise."""
        known = set(self.known)
        bad = [f"“{token}”" for token in extracted.malformed]
        for control_id in extracted.ids:
            if control_id not in known:
                other = edition_of(control_id)
                bad.append(f"{control_id} ({other} numbering)" if other and other != self.edition_value
                           else control_id)
        if bad:
            self.add_error(name, ValidationError(
                "%(where)s, these are not ISO/IEC 27001:%(edition)s Annex A controls: %(bad)s. Correct or remove "
                "them (or switch edition above); nothing was saved.",
                code="unknown_control",
                params={"where": where, "edition": self.edition_value, "bad": ", ".join(bad)},
            ))
        elif text.strip() and not extracted.ids:
            self.add_error(name, ValidationError("%(where)s there is no Annex A control id (like A.9.2.1 or A.5.15).",
                                                 code="no_ids", params={"where": where}))
        return [c for c in extracted.ids if c in known]

    def clean(self):
        data = super().clean()
        ticked = [v for v in self.data.getlist("controls") if v in set(self.known)]
        pasted = data.get("ids") or ""
        from_paste = self._check_ids("ids", pasted, extract_ids(pasted), "In the pasted text")
        from_file = self._check_ids("ids_file", self.file_text, extract_ids(self.file_text), "In the file")
        selected = set(ticked) | set(from_paste) | set(from_file)
        if theme := data.get("select_theme"):
            selected |= set(self.themes[theme])
        if theme := data.get("clear_theme"):
            selected -= set(self.themes[theme])
        data["selected"] = selected
        self.selection = selected
        return data

    @property
    def checked(self) -> set[str]:
        """What the checkboxes show after a failed post: the user's ticks and every valid id they gave."""
        return getattr(self, "selection", set())

    @property
    def ids_display(self) -> str:
        pasted = self.data.get("ids", "") if self.is_bound else ""
        if self.file_text.strip():
            return (pasted.rstrip() + "\n" if pasted.strip() else "") + self.file_text
        return pasted
