"""Step 2 of the plan, the system environment: its narratives and tables, and the network diagram (uploaded with
the page's Save, or on its own; served only through the access-checked diagram view)."""

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from assessments.access import READ, WRITE, private, require_methods
from cmmc_site.body_limits import count_upload

from . import images
from .forms import (
    DiagramForm,
    EnvironmentDiagramForm,
    EnvironmentForm,
    HardwareFormSet,
    InterconnectionFormSet,
    ProviderFormSet,
    SoftwareFormSet,
    table_helper,
)
from .models import NetworkDiagram, SystemSecurityPlan, sha256, touch_assessment
from .pages import get_ssp_for_user, not_started, step_context

TABLES = (("hardware", HardwareFormSet), ("software", SoftwareFormSet), ("interconnections", InterconnectionFormSet),
          ("providers", ProviderFormSet))


def _environment_page(request: HttpRequest, ssp: SystemSecurityPlan, *, data=None, files=None, diagram_form=None,
                      status: int = 200) -> HttpResponse:
    form = EnvironmentForm(data, instance=ssp)
    tables = {name: formset(data, instance=ssp, prefix=name) for name, formset in TABLES}
    diagram = NetworkDiagram.objects.filter(ssp=ssp).only("sha256", "caption", "width", "height").first()
    if diagram_form is None:
        # The page's Save uploads a chosen diagram too: a file chosen and not sent would be lost without a word.
        diagram_form = EnvironmentDiagramForm(data, files, has_diagram=diagram is not None,
                                              initial={"caption": diagram.caption if diagram else ""})
        if data is not None and form.is_valid() & all([t.is_valid() for t in tables.values()]) \
                & diagram_form.is_valid():
            _save_environment(form=form, tables=list(tables.values()), diagram=diagram_form)
            messages.success(request, "Environment saved.")
            return redirect("ssp:requirements" if "next" in request.POST else "ssp:environment",
                            public_id=ssp.assessment.public_id)
    chosen = files.get("image") if files else None
    return render(request, "ssp/environment.html", step_context(
        ssp, "environment", form=form, tables=tables, helper=table_helper(), diagram=diagram,
        invalid=data is not None,
        # A browser never fills a file field back in: say so, unless the file itself was refused (its error says why).
        diagram_not_kept=chosen.name if chosen and "image" not in diagram_form.errors else "",
        diagram_form=diagram_form, max_upload_bytes=images.MAX_UPLOAD_BYTES,
        max_upload_mb=images.MAX_UPLOAD_BYTES // 2**20,
    ), status=400 if data is not None else status)


@transaction.atomic
def _save_environment(*, form: EnvironmentForm, tables: list, diagram: EnvironmentDiagramForm) -> None:
    if form.has_changed():
        form.save()
    for formset in tables:
        formset.save()
    if diagram.cleaned_data["image"] is not None:
        _store_diagram(ssp=form.instance, image=diagram.cleaned_data["image"], caption=diagram.cleaned_data["caption"])
    elif diagram.has_diagram and "caption" in diagram.changed_data:
        stored = NetworkDiagram.objects.defer("image").get(ssp=form.instance)
        stored.caption = diagram.cleaned_data["caption"]
        stored.save(update_fields=["caption", "uploaded_at"])
    touch_assessment(form.instance)


def _store_diagram(*, ssp: SystemSecurityPlan, image: images.Reencoded, caption: str) -> None:
    NetworkDiagram.objects.update_or_create(ssp=ssp, defaults={
        "image": image.data, "content_type": image.content_type, "width": image.width, "height": image.height,
        "sha256": sha256(image.data), "caption": caption,
    })


@private
@require_methods("GET", "HEAD", "POST")
def environment(request: HttpRequest, public_id: str) -> HttpResponse:
    # A body over the route's limit (the diagram's 5 MB and some) never gets here: cmmc_site/body_limits.py.
    ssp = get_ssp_for_user(request, public_id)
    if redirect_ := not_started(ssp):
        return redirect_
    if request.method != "POST":
        return _environment_page(request, ssp)
    if request.FILES.get("image") and (refused := count_upload(request)):
        return refused
    return _environment_page(request, ssp, data=request.POST, files=request.FILES)


@private
@require_methods(*WRITE)
def diagram_upload(request: HttpRequest, public_id: str) -> HttpResponse:
    ssp = get_ssp_for_user(request, public_id)
    if redirect_ := not_started(ssp):
        return redirect_
    if int(request.META.get("CONTENT_LENGTH") or 0) > images.MAX_UPLOAD_BYTES + 64 * 1024:
        # Refused before Django reads the body, so a huge upload costs nothing.
        return _environment_page(request, ssp, diagram_form=DiagramForm(oversized=True), status=400)
    form = DiagramForm(request.POST, request.FILES)
    if not form.is_valid():
        return _environment_page(request, ssp, diagram_form=form, status=400)
    image: images.Reencoded = form.cleaned_data["image"]
    with transaction.atomic():
        _store_diagram(ssp=ssp, image=image, caption=form.cleaned_data["caption"])
        touch_assessment(ssp)
    messages.success(request, "Diagram saved.")
    return redirect(reverse("ssp:environment", args=[public_id]) + "#diagram")


@private
@require_methods(*WRITE)
def diagram_delete(request: HttpRequest, public_id: str) -> HttpResponse:
    ssp = get_ssp_for_user(request, public_id)
    if redirect_ := not_started(ssp):
        return redirect_
    with transaction.atomic():
        if NetworkDiagram.objects.filter(ssp=ssp).delete()[0]:
            touch_assessment(ssp)
    messages.success(request, "Diagram removed.")
    return redirect(reverse("ssp:environment", args=[public_id]) + "#diagram")


@private
@require_methods(*READ)
def diagram(request: HttpRequest, public_id: str) -> HttpResponse:
    ssp = get_ssp_for_user(request, public_id)
    stored = get_object_or_404(NetworkDiagram, ssp_id=ssp.pk)
    response = HttpResponse(bytes(stored.image), content_type=stored.content_type)
    response["Content-Disposition"] = "inline"
    response["ETag"] = f'"{stored.sha256}"'
    return response
