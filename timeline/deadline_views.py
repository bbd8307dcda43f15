"""SPRS submissions, affirmations, and the deadlines they set (the calendar page and its .ics file)."""

from datetime import UTC

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from accounts import security
from assessments.access import READ, WRITE, get_assessment_for_user, private, require_methods
from assessments.models import Assessment
from assessments.records import score_assessment
from cmmc_site.downloads import download_name

from . import ics
from .deadlines import deadlines, validity_end
from .forms import AffirmationForm, SubmissionForm
from .models import Affirmation, CmmcStatus, Snapshot, Submission
from .records import record_affirmation, record_submission, statement_for, warnings
from .views import who

OUTCOME_STATUS = {"final": CmmcStatus.L2_FINAL, "conditional": CmmcStatus.L2_CONDITIONAL,
                  "level1_met": CmmcStatus.L1_FINAL}
UID_HOST = "cmmc-ready"


def _submission_initial(request: HttpRequest, assessment: Assessment) -> dict:
    result = score_assessment(assessment)
    return {"submitted_on": timezone.localdate(), "status_date": timezone.localdate(),
            "status": OUTCOME_STATUS.get(str(result.outcome), CmmcStatus.SCORE_ONLY), "score": result.score,
            "scope": assessment.scope, "cage_codes": assessment.cage_codes, "ssp_version": assessment.ssp_version,
            "submitted_by": assessment.affirming_official or who(request)}


@private
@require_methods(*READ, *WRITE)
def submissions(request: HttpRequest, public_id: str) -> HttpResponse:
    assessment = get_assessment_for_user(request, public_id)  # POST: editor
    if request.method == "POST":
        form = SubmissionForm(request.POST)
        if form.is_valid():
            submission = record_submission(assessment=assessment, values=form.cleaned_data, by=who(request))
            security.event(request, "sprs_submission_record", "success")
            messages.success(request, f"Submission of {submission.submitted_on:%Y-%m-%d} recorded, with snapshot "
                                      f"{submission.snapshot.number} of the assessment as submitted.")
            return redirect("timeline:submissions", public_id=public_id)
    else:
        form = SubmissionForm(initial=_submission_initial(request, assessment) if assessment.can_edit else None)
    rows = [(s, validity_end(s)) for s in Submission.objects.filter(assessment=assessment)
            .select_related("snapshot").defer("snapshot__document").order_by("-status_date", "-pk")]
    return render(request, "timeline/submissions.html", {"assessment": assessment, "form": form, "rows": rows},
                  status=400 if form.is_bound else 200)


@private
@require_methods(*READ, *WRITE)
def affirmations(request: HttpRequest, public_id: str) -> HttpResponse:
    assessment = get_assessment_for_user(request, public_id)  # POST: editor
    found = warnings(assessment, on=timezone.localdate())
    snapshots = list(Snapshot.objects.filter(assessment=assessment).listing())
    if request.method == "POST":
        form = AffirmationForm(request.POST, snapshots=snapshots, warned=bool(found))
        if form.is_valid():
            values = {k: form.cleaned_data[k] for k in ("official_name", "official_title", "official_contact",
                                                        "affirmed_on")}
            affirmation = record_affirmation(assessment=assessment, values=values,
                                             snapshot=form.chosen_snapshot(), shown=found, by=who(request))
            security.event(request, "affirmation_record", "success")
            messages.success(request, f"Affirmation of {affirmation.affirmed_on:%Y-%m-%d} recorded (snapshot "
                                      f"{affirmation.snapshot.number}). Remember: the affirmation itself is made in "
                                      "SPRS.")
            return redirect("timeline:affirmations", public_id=public_id)
    else:
        form = AffirmationForm(snapshots=snapshots, warned=bool(found), initial={
            "official_name": assessment.affirming_official, "affirmed_on": timezone.localdate(),
            "snapshot_choice": "new"})
    records = list(Affirmation.objects.filter(assessment=assessment).select_related("snapshot")
                   .defer("snapshot__document").order_by("-affirmed_on", "-pk"))
    return render(request, "timeline/affirmations.html", {
        "assessment": assessment, "form": form, "warnings": found, "records": records,
        "statement": statement_for(assessment),
    }, status=400 if form.is_bound else 200)


@private
@require_methods(*READ)
def calendar_page(request: HttpRequest, public_id: str) -> HttpResponse:
    assessment = get_assessment_for_user(request, public_id)
    return render(request, "timeline/calendar.html", {
        "assessment": assessment, "deadlines": deadlines(assessment), "today": timezone.localdate()})


@private
@require_methods(*READ)
def calendar_ics(request: HttpRequest, public_id: str) -> HttpResponse:
    assessment = get_assessment_for_user(request, public_id)
    body = ics.calendar(deadlines(assessment), public_id=assessment.public_id, name=assessment.organization_name,
                        host=UID_HOST, stamp=timezone.now().astimezone(UTC))
    name = download_name(assessment.organization_name, "deadlines", extension="ics")
    return HttpResponse(body, content_type="text/calendar; charset=utf-8",
                        headers={"Content-Disposition": name.header})
