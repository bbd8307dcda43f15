from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from assessments.charts import MIN_SCORE
from assessments.forms import CAGE_RE
from assessments.scoring import CONDITIONAL_THRESHOLD, MAX_SCORE

from .models import LABEL_MAX, Affirmation, CmmcStatus, Submission


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


EARLIEST = date(2017, 1, 1)  # DFARS 252.204-7012's deadline: no SPRS entry is older


def _check_date(value: date | None, what: str) -> date | None:
    if value is None:
        return None
    if value > timezone.localdate():
        raise ValidationError("The %(what)s cannot be in the future.", code="date_in_future", params={"what": what})
    if value < EARLIEST:
        raise ValidationError("The %(what)s cannot be before 2017.", code="date_too_early", params={"what": what})
    return value


DATE_WIDGET = {"type": "date"}


class SubmissionForm(forms.ModelForm):
    class Meta:
        model = Submission
        fields = ["submitted_on", "status_date", "status", "score", "scope", "cage_codes", "ssp_version",
                  "submitted_by"]
        widgets = {name: forms.DateInput(attrs=DATE_WIDGET, format="%Y-%m-%d")
                   for name in ("submitted_on", "status_date")}
        help_texts = {
            "status_date": "The CMMC status date SPRS shows. Every deadline counts from it.",
            "score": "The score entered (empty for Level 1, which has none).",
            "submitted_by": "Who entered it in SPRS.",
        }

    def clean_submitted_on(self) -> date | None:
        return _check_date(self.cleaned_data.get("submitted_on"), "submission date")

    def clean_status_date(self) -> date | None:
        return _check_date(self.cleaned_data.get("status_date"), "status date")

    def clean_score(self) -> int | None:
        score = self.cleaned_data.get("score")
        if score is not None and not MIN_SCORE <= score <= MAX_SCORE:
            raise ValidationError("An SPRS score is between %(low)s and %(high)s.", code="score_range",
                                  params={"low": MIN_SCORE, "high": MAX_SCORE})
        return score

    def clean_cage_codes(self) -> str:
        codes = self.cleaned_data.get("cage_codes", "").upper().replace(",", " ").split()
        bad = [c for c in codes if not CAGE_RE.fullmatch(c)]
        if bad:
            raise ValidationError("%(code)s is not a CAGE code (five letters or digits).", code="bad_cage",
                                  params={"code": bad[0]})
        return " ".join(codes)

    def clean(self) -> dict:
        data = super().clean()
        status, score = data.get("status"), data.get("score")
        if status in (CmmcStatus.L2_FINAL, CmmcStatus.L2_CONDITIONAL, CmmcStatus.SCORE_ONLY) and score is None:
            self.add_error("score", ValidationError("A Level 2 entry has a score.", code="score_required"))
        if status == CmmcStatus.L2_FINAL and score is not None and score != MAX_SCORE:
            self.add_error("score", ValidationError("Final Level 2 status needs 110.", code="final_needs_110"))
        if status == CmmcStatus.L2_CONDITIONAL and score is not None and score < CONDITIONAL_THRESHOLD:
            self.add_error("score", ValidationError("Conditional status needs a score of at least 88.",
                                                    code="conditional_needs_88"))
        return data


NEW_SNAPSHOT = "new"


class AffirmationForm(forms.ModelForm):
    snapshot_choice = forms.ChoiceField(label="Snapshot affirmed", error_messages={
        "invalid_choice": "Choose one of the snapshots listed."})
    acknowledge = forms.BooleanField(
        required=False, label="I have read the warnings above and the affirming official affirms anyway")

    class Meta:
        model = Affirmation
        fields = ["official_name", "official_title", "official_contact", "affirmed_on"]
        widgets = {"affirmed_on": forms.DateInput(attrs=DATE_WIDGET, format="%Y-%m-%d")}

    def __init__(self, *args, snapshots=(), warned: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.snapshots = {str(s.number): s for s in snapshots}
        now = [(NEW_SNAPSHOT, "The assessment as it is now (a snapshot is taken)")]
        self.fields["snapshot_choice"].choices = now + [
            (str(s.number), f"Snapshot {s.number}: {s.label} ({s.taken_at:%Y-%m-%d})") for s in reversed(snapshots)]
        self.warned = warned
        if not warned:
            del self.fields["acknowledge"]

    def clean_affirmed_on(self) -> date | None:
        return _check_date(self.cleaned_data.get("affirmed_on"), "affirmation date")

    def clean_acknowledge(self) -> bool:
        if self.warned and not self.cleaned_data.get("acknowledge"):
            raise ValidationError("Read the warnings above; tick this box only if the official affirms anyway.",
                                  code="warnings_unacknowledged")
        return True

    def chosen_snapshot(self):
        return self.snapshots.get(self.cleaned_data["snapshot_choice"])
