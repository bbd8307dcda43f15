"""The SSP pages under /a/<public_id>/ssp/: the steps, the readiness check, generated versions and downloads.

Every view goes through ``_get_ssp_for_user`` (the assessment's access check: 404 for anyone else) and ``private``.
GET never writes: the plan is created by the "Start" button (POST) on the overview.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from assessments.access import READ, WRITE, private, require_methods
from assessments.models import ANSWER_FIELDS, Assessment, TargetLevel, today
from assessments.records import has_ssp
from assessments.writes import StaleWrite, save_answer
from cmmc_site.downloads import DownloadName, version_part
from cmmc_site.render_guard import guarded_render, run_limited
from controls.models import Family, Requirement, catalog_revision

from . import jobs
from .blocks import MAX_PLAN_CHARS, ChangeRow, SspDocument
from .document import build_document
from .forms import (
    ContactForm,
    GenerateForm,
    IdentificationForm,
    PlanForm,
    PolicyFormSet,
    RequirementForm,
    ReviewFormSet,
    UserRoleFormSet,
    next_label,
    table_helper,
)
from .models import (
    Contact,
    ContactRole,
    LabelTaken,
    SspVersion,
    SystemSecurityPlan,
    create_ssp,
    record_version,
    touch_assessment,
)
from .pages import DOCX_TYPE, attachment, get_ssp_for_user, not_started, plan_download_name, step_context
from .records import RequirementRecord, records

# --- Overview, start, readiness, generate ---------------------------------------------------------------------


def _overview_context(ssp: SystemSecurityPlan, doc: SspDocument | None, form: GenerateForm | None) -> dict:
    versions = []
    if ssp.pk:
        versions = list(SspVersion.objects.filter(ssp=ssp).only(
            "number", "label", "generated_on", "created_at", "description", "made_by", "draft", "docx_sha256",
            "pdf_sha256", "catalog_revision", "imported").order_by("-number"))
    if doc is not None and form is None:
        form = GenerateForm(taken=set(), initial={
            "label": next_label([v.label for v in reversed(versions)]),
            "description": "Initial version" if not versions else "",
            "made_by": ssp.approver_name,
        })
    issues_by_step: dict[str, int] = {}
    counts: dict[str, int] = {}
    if doc is not None:
        for issue in doc.issues:
            issues_by_step[issue.step] = issues_by_step.get(issue.step, 0) + 1
        for entry in doc.requirements:
            counts[entry.status_label] = counts.get(entry.status_label, 0) + 1
    return step_context(ssp, "overview", doc=doc, versions=versions, form=form, issues_by_step=issues_by_step,
                    counts=counts, links=_issue_links(ssp, doc), max_chars=f"{MAX_PLAN_CHARS:,}",
                    size=f"{doc.size:,}" if doc else "", ask_ssp_answer=_ask_ssp_answer(ssp.assessment, versions))


def _ask_ssp_answer(assessment: Assessment, versions: list[SspVersion]) -> SspVersion | None:
    """The latest final version, if the page should offer to mark 3.12.4 met: a final version exists, 3.12.4 is
    not met, and this person may change it (one query, only then)."""
    final = next((v for v in versions if not v.draft), None)  # versions: newest first
    if final is None or not assessment.can_edit or assessment.target_level != TargetLevel.L2 or has_ssp(assessment):
        return None
    return final


def _issue_links(ssp: SystemSecurityPlan, doc: SspDocument | None) -> list[tuple[str, str]]:
    """(message, URL of the field) for each readiness issue."""
    if doc is None:
        return []
    public_id = ssp.assessment.public_id
    links = []
    for issue in doc.issues:
        if issue.step == "requirements":
            url = reverse("ssp:family", args=[public_id, issue.family])
        else:
            url = reverse(f"ssp:{issue.step}", args=[public_id])
        links.append((issue.message, f"{url}#{issue.field}"))
    return links


@private
@require_methods(*READ)
def overview(request: HttpRequest, public_id: str) -> HttpResponse:
    ssp = get_ssp_for_user(request, public_id)
    doc = build_document(ssp) if ssp.pk else None
    return render(request, "ssp/overview.html", _overview_context(ssp, doc, None))


@private
@require_methods(*WRITE)
def start(request: HttpRequest, public_id: str) -> HttpResponse:
    ssp = get_ssp_for_user(request, public_id)
    if ssp.pk is None:
        create_ssp(assessment=ssp.assessment)
        messages.success(request, "Your System Security Plan is started, pre-filled from your assessment answers.")
    return redirect("ssp:identification", public_id=public_id)


@private
@require_methods(*WRITE)
@guarded_render("ssp")
def generate(request: HttpRequest, public_id: str) -> HttpResponse:
    ssp = get_ssp_for_user(request, public_id)
    if redirect_ := not_started(ssp):
        return redirect_
    taken = set(SspVersion.objects.filter(ssp=ssp).values_list("label", flat=True))
    form = GenerateForm(request.POST, taken=taken)
    if form.is_valid():
        data = form.cleaned_data
        on = today()
        doc = build_document(ssp, version=data["label"], on=on,
                             change=ChangeRow(data["label"], on, data["description"], data["made_by"]))
        if doc.too_large:
            form.add_error(None, ValidationError(
                "This plan has %(size)s characters of text; one document holds at most %(limit)s (about 85 "
                "pages). Shorten the longest descriptions, or move detail into documents the plan references.",
                code="plan_too_large", params={"size": f"{doc.size:,}", "limit": f"{MAX_PLAN_CHARS:,}"}))
            return render(request, "ssp/overview.html", _overview_context(ssp, doc, form), status=400)
        # Both files in one child process, bounded in time and memory (render_guard).
        docx, pdf = run_limited(jobs.both, doc)
        try:
            version = record_version(ssp=ssp, label=data["label"], generated_on=on, description=data["description"],
                                     made_by=data["made_by"], catalog_revision=catalog_revision(), draft=doc.draft,
                                     docx=docx, pdf=pdf)
        except LabelTaken:
            form.add_error("label", f"Version {data['label']} was generated meanwhile; give this one a new number.")
        else:
            state = "a DRAFT (see what is missing below)" if version.draft else "final"
            messages.success(request, f"Version {version.label} is generated; it is {state}.")
            # A final version: the overview offers to mark 3.12.4 met (if it is not), at the top of the page.
            return redirect(reverse("ssp:overview", args=[public_id]) + ("#versions" if version.draft else ""))
    doc = build_document(ssp)
    return render(request, "ssp/overview.html", _overview_context(ssp, doc, form), status=400)


def _version(request: HttpRequest, public_id: str, number: int, field: str) -> SspVersion:
    ssp = get_ssp_for_user(request, public_id)
    # A version restored from an assessment file has no documents here (imported): nothing to download.
    version = get_object_or_404(SspVersion.objects.only("number", "label", field, f"{field}_sha256", "ssp"),
                                ssp_id=ssp.pk, number=number, imported=False)
    version.ssp = ssp
    return version


def _version_file(version: SspVersion, extension: str) -> DownloadName:
    return plan_download_name(version.ssp, "SSP", version_part(version.label), extension=extension)


@private
@require_methods(*READ)
def version_docx(request: HttpRequest, public_id: str, number: int) -> HttpResponse:
    version = _version(request, public_id, number, "docx")
    return attachment(bytes(version.docx), DOCX_TYPE, _version_file(version, "docx"), version.docx_sha256)


@private
@require_methods(*READ)
def version_pdf(request: HttpRequest, public_id: str, number: int) -> HttpResponse:
    version = _version(request, public_id, number, "pdf")
    return attachment(bytes(version.pdf), "application/pdf", _version_file(version, "pdf"), version.pdf_sha256)


@private
@require_methods(*READ)
@guarded_render("ssp-poam")
def poam_docx(request: HttpRequest, public_id: str) -> HttpResponse:
    ssp = get_ssp_for_user(request, public_id)
    if redirect_ := not_started(ssp):
        return redirect_
    doc = build_document(ssp)
    body = run_limited(jobs.poam_docx, doc)
    return attachment(body, DOCX_TYPE, plan_download_name(ssp, "POAM", doc.date.isoformat(), extension="docx"))


# --- Step 1: identification ----------------------------------------------------------------------------------


@private
@require_methods("GET", "HEAD", "POST")
def identification(request: HttpRequest, public_id: str) -> HttpResponse:
    ssp = get_ssp_for_user(request, public_id)
    if redirect_ := not_started(ssp):
        return redirect_
    data = request.POST if request.method == "POST" else None
    form = IdentificationForm(data, instance=ssp)
    stored = {c.role: c for c in Contact.objects.filter(ssp=ssp)}
    contacts = [(label, ContactForm(data, instance=stored.get(role) or Contact(ssp=ssp, role=role), prefix=role))
                for role, label in ContactRole.choices]
    roles = UserRoleFormSet(data, instance=ssp, prefix="roles")
    if data is not None:
        if form.is_valid() & all([c.is_valid() for _, c in contacts]) & roles.is_valid():
            _save_identification(form=form, contacts=[c for _, c in contacts], roles=roles)
            messages.success(request, "Identification saved.")
            return redirect("ssp:environment" if "next" in request.POST else "ssp:identification",
                            public_id=public_id)
    return render(request, "ssp/identification.html",
                  step_context(ssp, "identification", form=form, contacts=contacts, roles=roles, helper=table_helper(),
                           invalid=data is not None),
                  status=400 if data is not None else 200)


@transaction.atomic
def _save_identification(*, form: IdentificationForm, contacts: list[ContactForm], roles) -> None:
    # Only what changed is saved: each save is a row in the history the activity log reads.
    if form.has_changed():
        form.save()
    for contact in contacts:
        if contact.has_changed() or contact.instance.pk is None:
            contact.save()
    roles.save()
    touch_assessment(form.instance)


# --- Step 3: requirements, family by family ------------------------------------------------------------------


def _form(ssp: SystemSecurityPlan, rec: RequirementRecord, data=None) -> RequirementForm:
    return RequirementForm(data, requirement=rec.requirement, stored=rec.answer,
                           objective_mode=ssp.assessment.objective_mode, starting_text=rec.starting_text)


def _row(ssp: SystemSecurityPlan, rec: RequirementRecord, form: RequirementForm | None = None, *, conflict=None,
         saved: bool = False) -> dict:
    return {"rec": rec, "requirement": rec.requirement, "form": form or _form(ssp, rec), "pending": rec.pending,
            "conflict": conflict, "saved": saved}


@private
@require_methods(*READ)
def requirements(request: HttpRequest, public_id: str) -> HttpResponse:
    ssp = get_ssp_for_user(request, public_id)
    if redirect_ := not_started(ssp):
        return redirect_
    first = Family.objects.order_by("position").values_list("code", flat=True).first()
    return redirect("ssp:family", public_id=public_id, code=first)


@private
@require_methods(*READ)
def family(request: HttpRequest, public_id: str, code: str) -> HttpResponse:
    ssp = get_ssp_for_user(request, public_id)
    if redirect_ := not_started(ssp):
        return redirect_
    fam = get_object_or_404(Family, code=code)
    return render(request, "ssp/family.html", _family_context(ssp, fam))


def _family_context(ssp: SystemSecurityPlan, fam: Family, replace: dict | None = None) -> dict:
    """``replace``: one requirement's row (a bound form, a conflict) to show instead of its stored record."""
    families = list(Family.objects.order_by("position"))
    codes = [f.code for f in families]
    index = codes.index(fam.code)
    _, recs = records(ssp.assessment, family=fam)
    rows = [replace if replace and replace["requirement"].pk == rec.requirement.pk else _row(ssp, rec)
            for rec in recs]
    return step_context(ssp, "requirements", family=fam, families=families, rows=rows,
                    previous_family=codes[index - 1] if index > 0 else None,
                    next_family=codes[index + 1] if index + 1 < len(codes) else None)


@private
@require_methods(*WRITE)
def requirement(request: HttpRequest, public_id: str, nist_id: str) -> HttpResponse:
    """Save one requirement's record (the assessment's answer) from the plan's requirement step."""
    ssp = get_ssp_for_user(request, public_id)
    if redirect_ := not_started(ssp):
        return redirect_
    assessment = ssp.assessment
    req = get_object_or_404(Requirement.objects.select_related("family"), nist_id=nist_id)
    _, (rec,) = records(assessment, requirement=req)
    form = _form(ssp, rec, request.POST)
    conflict = None
    if form.is_valid():
        # A form that shows no status (objective mode: the objectives decide it) leaves the stored one alone.
        keep_status = form.add_prefix("status") not in request.POST
        values = {k: form.cleaned_data[k] for k in ANSWER_FIELDS if not (k == "status" and keep_status)}
        try:
            save_answer(assessment=assessment, requirement=req, values=values,
                        expected_version=form.cleaned_data["version"])
        except StaleWrite:
            _, (rec,) = records(assessment, requirement=req)
            conflict = rec.answer
            # Keep what the user typed; saving again now deliberately replaces the other version.
            data = request.POST.copy()
            data[form.add_prefix("version")] = str(conflict.version)
            form = _form(ssp, rec, data)
            form.is_valid()
        else:
            if not request.htmx:
                messages.success(request, f"Saved {req.nist_id}.")
                return redirect(reverse("ssp:family", args=[public_id, req.family.code]) + f"#req-{nist_id}")
            _, (rec,) = records(assessment, requirement=req)
            return render(request, "ssp/family.html#requirement",
                          step_context(ssp, "requirements", item=_row(ssp, rec, saved=True)))
    status = 409 if conflict is not None else 400
    item = _row(ssp, rec, form, conflict=conflict)
    if request.htmx:
        return render(request, "ssp/family.html#requirement", step_context(ssp, "requirements", item=item),
                      status=status)
    return render(request, "ssp/family.html", _family_context(ssp, req.family, item), status=status)


# --- Step 4: plan metadata -----------------------------------------------------------------------------------


@private
@require_methods("GET", "HEAD", "POST")
def plan(request: HttpRequest, public_id: str) -> HttpResponse:
    ssp = get_ssp_for_user(request, public_id)
    if redirect_ := not_started(ssp):
        return redirect_
    data = request.POST if request.method == "POST" else None
    form = PlanForm(data, instance=ssp)
    policies = PolicyFormSet(data, instance=ssp, prefix="policies")
    reviews = ReviewFormSet(data, instance=ssp, prefix="reviews")
    if data is not None and form.is_valid() & policies.is_valid() & reviews.is_valid():
        _save_plan(form=form, tables=[policies, reviews])
        messages.success(request, "Plan details saved.")
        return redirect("ssp:overview" if "next" in request.POST else "ssp:plan", public_id=public_id)
    return render(request, "ssp/plan.html", step_context(ssp, "plan", form=form, policies=policies, reviews=reviews,
                                                     helper=table_helper(), invalid=data is not None),
                  status=400 if data is not None else 200)


@transaction.atomic
def _save_plan(*, form: PlanForm, tables: list) -> None:
    if form.has_changed():
        form.save()
    for formset in tables:
        formset.save()
    touch_assessment(form.instance)
