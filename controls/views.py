from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from .models import Objective, PoamEligibility, Requirement
from .snapshot import CatalogSnapshot, Selection, current

POINT_FILTERS = {"5": 5, "3": 3, "1": 1}


def _search_text(catalog: CatalogSnapshot) -> dict[str, tuple[str, str]]:
    """Each requirement's text and title, case-folded for the search box (once per catalog revision)."""
    return catalog.memo("controls.search", lambda: {
        r.nist_id: (r.text.casefold(), r.cmmc_title.casefold()) for r in catalog.requirements})


def catalog(request: HttpRequest) -> HttpResponse:
    # One query, the catalog revision: the catalog itself, and the rendered table of each selection but a search's,
    # are in memory per revision (controls/snapshot.py), and the filters apply to it here.
    snapshot = current()
    requirements = list(snapshot.requirements)
    family = request.GET.get("family", "")
    points = request.GET.get("points", "")
    level1 = request.GET.get("level1") == "1"
    q = request.GET.get("q", "").strip()[:100]
    if family:
        requirements = [r for r in requirements if r.family.code == family]
    if points in POINT_FILTERS:
        requirements = [r for r in requirements if r.points == POINT_FILTERS[points]]
    if level1:
        requirements = [r for r in requirements if r.level1_id]
    if q:
        # Case-insensitive in the text or the title, or exactly the NIST id.
        needle, texts = q.casefold(), _search_text(snapshot)
        requirements = [r for r in requirements
                        if needle in texts[r.nist_id][0] or needle in texts[r.nist_id][1] or r.nist_id == q]
    ctx = {
        "catalog": snapshot,
        "families": snapshot.families,
        "requirements": requirements,
        "selection": Selection(tuple(requirements), kept=not q),
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
