from urllib.parse import urlencode

from django.contrib import messages
from django.db.models import Exists, OuterRef
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from assessments.access import get_assessment_for_user, private
from assessments.models import Assessment

from .forms import HeadStartForm
from .models import Edition, HeadStart, IsoControl, IsoMapping, remove_head_start, save_head_start
from .summary import summarize

DEFAULT_EDITION = Edition.ISO_2022


def _edition(value: str | None, head: HeadStart | None) -> str:
    if value in Edition.values:
        return value
    return head.edition if head else DEFAULT_EDITION


def _controls(assessment: Assessment, edition: str) -> tuple[list[IsoControl], dict[str, list[str]]]:
    """The edition's controls with a ``ticked`` flag, and control id -> related NIST ids (2 queries)."""
    ticked = HeadStart.controls.through.objects.filter(headstart__assessment=assessment, isocontrol=OuterRef("pk"))
    controls = list(IsoControl.objects.filter(edition=edition).annotate(ticked=Exists(ticked)).order_by("position"))
    related: dict[str, list[str]] = {}
    for control_id, nist_id in (
        IsoMapping.objects.filter(control__edition=edition)
        .order_by("requirement__position")
        .values_list("control__control_id", "requirement__nist_id")
    ):
        related.setdefault(control_id, []).append(nist_id)
    return controls, related


def _matches(control: IsoControl, related: list[str], q: str) -> bool:
    needle = q.lower()
    return (needle in control.control_id.lower() or needle in control.theme_name.lower()
            or needle in control.title.lower() or q == control.theme or q in related)


def _page(request: HttpRequest, assessment: Assessment, head: HeadStart | None, edition: str, q: str,
          controls: list[IsoControl], related: dict[str, list[str]], form: HeadStartForm, status: int = 200
          ) -> HttpResponse:
    checked = form.checked if form.is_bound else {c.control_id for c in controls if c.ticked}
    themes: dict[str, dict] = {}
    hidden_checked = []
    for control in controls:
        theme = themes.setdefault(control.theme, {"code": control.theme, "name": control.theme_name,
                                                  "anchor": "theme-" + control.theme.replace(".", "-"),
                                                  "total": 0, "checked": 0, "rows": []})
        theme["total"] += 1
        is_checked = control.control_id in checked
        theme["checked"] += is_checked
        if not q or _matches(control, related.get(control.control_id, []), q):
            theme["rows"].append({"control": control, "checked": is_checked,
                                  "related": related.get(control.control_id, [])})
        elif is_checked:
            hidden_checked.append(control.control_id)  # kept through a save while the search hides it
    return render(request, "iso27001/head_start.html", {
        "assessment": assessment, "head": head, "edition": edition, "editions": Edition.choices, "q": q,
        "form": form, "themes": list(themes.values()), "hidden_checked": hidden_checked,
        "shown": sum(len(t["rows"]) for t in themes.values()), "checked_count": len(checked),
        "other_edition_saved": head is not None and head.edition != edition,
    }, status=status)


@private
@require_http_methods(["GET", "POST"])
def head_start(request: HttpRequest, public_id: str) -> HttpResponse:
    assessment = get_assessment_for_user(request, public_id)
    head = HeadStart.objects.filter(assessment=assessment).first()
    params = request.POST if request.method == "POST" else request.GET
    edition = _edition(params.get("edition"), head)
    q = params.get("q", "").strip()[:100]
    controls, related = _controls(assessment, edition)
    if request.method == "POST":
        form = HeadStartForm(request.POST, request.FILES, edition=edition, controls=controls)
        if form.is_valid():
            selected = form.cleaned_data["selected"]
            save_head_start(assessment=assessment, edition=edition, control_ids=selected)
            messages.success(request, f"Saved: {len(selected)} ISO/IEC 27001:{edition} control"
                                      f"{'' if len(selected) == 1 else 's'} ticked. Related ones now show as hints "
                                      "on the questions.")
            url = reverse("iso27001:head_start", args=[public_id]) + "?" + urlencode(
                {"edition": edition} | ({"q": q} if q else {}))
            theme = form.cleaned_data.get("select_theme") or form.cleaned_data.get("clear_theme")
            return redirect(url + ("#theme-" + theme.replace(".", "-") if theme else ""))
        return _page(request, assessment, head, edition, q, controls, related, form, status=400)
    form = HeadStartForm(initial={"edition": edition, "q": q}, edition=edition, controls=controls)
    return _page(request, assessment, head, edition, q, controls, related, form)


@private
@require_POST
def remove(request: HttpRequest, public_id: str) -> HttpResponse:
    assessment = get_assessment_for_user(request, public_id)
    if remove_head_start(assessment=assessment):
        messages.success(request, "Your ISO 27001 head start was removed; the questions show no ISO hints now. "
                                  "Your answers are unchanged.")
    return redirect("iso27001:head_start", public_id=public_id)


@private
def summary(request: HttpRequest, public_id: str) -> HttpResponse:
    assessment = get_assessment_for_user(request, public_id)
    head = HeadStart.objects.filter(assessment=assessment).first()
    return render(request, "iso27001/summary.html", {
        "assessment": assessment, "head": head, "summary": summarize(assessment, head) if head else None,
    })
