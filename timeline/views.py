"""Snapshot pages: list and take, open one read-only, download it, start a new assessment from it."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from accounts import security
from assessments import assessment_file
from assessments.access import READ, WRITE, get_assessment_for_user, private, require_methods
from assessments.models import AnswerStatus, Assessment, ObjectiveAnswerStatus
from assessments.records import catalog_rules
from cmmc_site.downloads import download_name
from controls.models import Requirement

from . import charts
from .forms import SnapshotForm
from .models import Snapshot
from .snapshots import score_document, take_snapshot


def who(request: HttpRequest) -> str:
    """Who did it, as recorded on a snapshot or a record: the signed-in user's email; "" for an anonymous holder."""
    return request.user.email if request.user.is_authenticated else ""


def get_snapshot(assessment: Assessment, number: int, *, with_document: bool = True) -> Snapshot:
    rows = Snapshot.objects.filter(assessment=assessment, number=number)
    return get_object_or_404(rows if with_document else rows.defer("document"))


@private
@require_methods(*READ, *WRITE)
def snapshot_list(request: HttpRequest, public_id: str) -> HttpResponse:
    assessment = get_assessment_for_user(request, public_id)  # POST: editor
    form = SnapshotForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        snapshot = take_snapshot(assessment=assessment, label=form.cleaned_data["label"], by=who(request))
        security.event(request, "snapshot_take", "success")
        messages.success(request, f"Snapshot {snapshot.number} taken: the assessment as it is now is kept, "
                                  "unchangeable.")
        return redirect("timeline:snapshots", public_id=public_id)
    snapshots = list(Snapshot.objects.filter(assessment=assessment).listing())
    return render(request, "timeline/snapshots.html", {
        "assessment": assessment, "form": form, "snapshots": snapshots,
        "trend": charts.score_trend(snapshots, organization=assessment.organization_name),
    }, status=400 if form.is_bound else 200)


def _requirement_rows(document: dict) -> list[dict]:
    """Every requirement of the catalog, with what the frozen document says about it (2 catalog queries + 1)."""
    rules = catalog_rules()
    result = score_document(document, rules)
    stored = document.get("requirements", {})
    titles = dict(Requirement.objects.values_list("nist_id", "cmmc_title"))
    labels = dict(AnswerStatus.choices)
    objective_labels = dict(ObjectiveAnswerStatus.choices)
    rows = []
    for item in result.items:
        entry = stored.get(item.rule.nist_id, {})
        rows.append({
            "nist_id": item.rule.nist_id, "title": titles.get(item.rule.nist_id, ""),
            "status": labels.get(item.status, "Unanswered") if item.status else "Unanswered",
            "entry": entry,
            # In objective mode the objectives decide; the requirement-level answer stored beside them is shown too.
            "stored": labels.get(entry.get("status") or "", "") if (entry.get("status") or None) != (
                item.status.value if item.status else None) else "",
            "objectives": [(o, objective_labels.get(s, "Unanswered") if s else "Unanswered")
                           for o, s in (entry.get("objectives") or {}).items()],
        })
    return rows


@private
@require_methods(*READ)
def snapshot_detail(request: HttpRequest, public_id: str, number: int) -> HttpResponse:
    assessment = get_assessment_for_user(request, public_id)
    snapshot = get_snapshot(assessment, number)
    return render(request, "timeline/snapshot.html", {
        "assessment": assessment, "snapshot": snapshot, "meta": snapshot.document.get("assessment", {}),
        "rows": _requirement_rows(snapshot.document),
    })


@private
@require_methods(*READ)
def snapshot_json(request: HttpRequest, public_id: str, number: int) -> HttpResponse:
    assessment = get_assessment_for_user(request, public_id)
    snapshot = get_snapshot(assessment, number)
    name = download_name(assessment.organization_name, "snapshot", str(snapshot.number),
                         f"{snapshot.taken_at:%Y-%m-%d}", extension="json")
    return HttpResponse(assessment_file.dumps(snapshot.document), content_type="application/json; charset=utf-8",
                        headers={"Content-Disposition": name.header})


@private
@require_methods(*WRITE)
def snapshot_start(request: HttpRequest, public_id: str, number: int) -> HttpResponse:
    """A new assessment of the same organisation from the frozen file, through the one importer."""
    assessment = get_assessment_for_user(request, public_id)  # POST: editor
    if assessment.organization_id is None:
        # Like duplicating, an account feature; an anonymous holder downloads the file and imports it.
        raise Http404("Only an organisation's assessment starts a new one from a snapshot")
    snapshot = get_snapshot(assessment, number)
    document = dict(snapshot.document)
    meta = dict(document.get("assessment", {}))
    name = f"{meta.get('organization_name') or assessment.organization_name} (from snapshot {snapshot.number})"
    meta["organization_name"] = name[:200]
    document["assessment"] = meta
    try:
        copy = assessment_file.import_json(data=document, organization=assessment.organization)
    except assessment_file.AssessmentFileError as exc:
        # A snapshot taken under an older catalog may name what the catalog no longer has: say so, change nothing.
        messages.error(request, f"This snapshot cannot start a new assessment: {exc}")
        return redirect("timeline:snapshot", public_id=public_id, number=number)
    security.event(request, "assessment_create", "success", org=assessment.organization.public_id)
    messages.success(request, f"Started a new assessment from snapshot {snapshot.number}. Rename it in its "
                              "settings.")
    return redirect("assessments:overview", public_id=copy.public_id)
