from django.db.models import Count, Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from .models import Family, Objective, PoamEligibility, Requirement

POINT_FILTERS = {"5": 5, "3": 3, "1": 1}


def catalog(request: HttpRequest) -> HttpResponse:
    requirements = Requirement.objects.select_related("family").annotate(objective_count=Count("objectives"))
    family = request.GET.get("family", "")
    points = request.GET.get("points", "")
    level1 = request.GET.get("level1") == "1"
    q = request.GET.get("q", "").strip()[:100]
    if family:
        requirements = requirements.filter(family__code=family)
    if points in POINT_FILTERS:
        requirements = requirements.filter(points=POINT_FILTERS[points])
    if level1:
        requirements = requirements.exclude(level1_id="")
    if q:
        requirements = requirements.filter(Q(text__icontains=q) | Q(cmmc_title__icontains=q) | Q(nist_id=q))
    families = list(Family.objects.all())
    ctx = {
        "families": families,
        "requirements": list(requirements),
        "filters": {"family": family, "points": points, "level1": level1, "q": q},
    }
    return render(request, "controls/catalog.html", ctx)


def requirement_detail(request: HttpRequest, nist_id: str) -> HttpResponse:
    requirement = get_object_or_404(
        Requirement.objects.select_related("family").prefetch_related(
            Prefetch("objectives", queryset=Objective.objects.order_by("position"))
        ),
        nist_id=nist_id,
    )
    return render(
        request,
        "controls/detail.html",
        {"requirement": requirement, "PoamEligibility": PoamEligibility},
    )
