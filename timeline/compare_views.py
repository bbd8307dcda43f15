"""The compare page: two snapshots, or a snapshot and today."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from assessments import assessment_file
from assessments.access import READ, get_assessment_for_user, private, require_methods
from assessments.models import AnswerStatus, Assessment, ObjectiveAnswerStatus
from assessments.records import catalog_rules
from controls.models import Family

from .compare import compare
from .forms import TODAY, CompareForm
from .models import Snapshot
from .snapshots import Side, side


def _side(assessment: Assessment, choice: str, rules) -> tuple[str, Side]:
    if choice == TODAY:
        return "today", side(assessment_file.export_json(assessment), rules)
    snapshot = Snapshot.objects.only("number", "label", "document").get(assessment=assessment, number=int(choice))
    return f"snapshot {snapshot.number} ({snapshot.label})", side(snapshot.document, rules)


@private
@require_methods(*READ)
def compare_page(request: HttpRequest, public_id: str) -> HttpResponse:
    assessment = get_assessment_for_user(request, public_id)
    snapshots = list(Snapshot.objects.filter(assessment=assessment).listing())
    data = request.GET if "before" in request.GET or "after" in request.GET else None
    if data is None and snapshots:
        data = {"before": str(snapshots[-1].number), "after": TODAY}  # the latest snapshot against today
    form = CompareForm(data, snapshots=snapshots)
    context: dict = {"assessment": assessment, "form": form, "snapshots": snapshots}
    if form.is_bound and form.is_valid():
        rules = catalog_rules()
        before_name, before = _side(assessment, form.cleaned_data["before"], rules)
        after_name, after = _side(assessment, form.cleaned_data["after"], rules)
        comparison = compare(before, after)
        labels = dict(AnswerStatus.choices)
        objective_labels = dict(ObjectiveAnswerStatus.choices)
        names = dict(Family.objects.values_list("code", "name"))
        context |= {
            "comparison": comparison, "before_name": before_name, "after_name": after_name,
            "status_rows": [(c, labels.get(c.before, "Unanswered"), labels.get(c.after, "Unanswered"))
                            for c in comparison.statuses],
            "family_rows": [(f, names.get(f.code, "")) for f in comparison.families],
            "objective_rows": [(c, objective_labels.get(c.before, "Unanswered"),
                                objective_labels.get(c.after, "Unanswered")) for c in comparison.objectives],
        }
    return render(request, "timeline/compare.html", context,
                  status=400 if form.is_bound and not form.is_valid() and "before" in request.GET else 200)
