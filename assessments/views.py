from functools import wraps

from django.contrib import messages
from django.db import transaction
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.views.decorators.http import require_http_methods, require_POST

from cmmc_site import ratelimit
from controls.models import Family, Objective, Requirement

from . import scoring
from .access import get_assessment_for_user, grant, granted_ids
from .forms import AnswerForm, IntakeForm, ObjectiveAnswerForm, ResumeForm
from .models import (
    Answer,
    AnswerStatus,
    Assessment,
    ObjectiveAnswer,
    SspState,
    StaleWrite,
    catalog_rules,
    hash_key,
    save_answer,
    save_objective_answer,
    score_assessment,
)

RESUME_LIMIT = (10, 60)  # attempts per minute per client
CREATE_LIMIT = (20, 3600)  # new assessments per hour per client
SHOW_KEY_SESSION = "show_recovery_key"


def private(view):
    """Assessment pages: never cached, never indexed, never referred."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        add_never_cache_headers(response)
        patch_cache_control(response, no_store=True, private=True)
        response["X-Robots-Tag"] = "noindex, nofollow"
        response["Referrer-Policy"] = "no-referrer"
        return response

    return wrapper


def _get_assessment_for_user(request: HttpRequest, public_id: str) -> Assessment:
    return get_assessment_for_user(request, public_id)


def _too_many(request: HttpRequest, template: str, context: dict) -> HttpResponse:
    return render(request, template, context | {"rate_limited": True}, status=429)


def home(request: HttpRequest) -> HttpResponse:
    mine = []
    if grants := granted_ids(request):
        mine = list(Assessment.objects.filter(access_id__in=grants).order_by("-updated_at")[:20])
    response = render(request, "home.html", {"mine": mine, "nav": "assess"})
    if mine:
        add_never_cache_headers(response)
    return response


@private
@require_http_methods(["GET", "POST"])
def start(request: HttpRequest) -> HttpResponse:
    form = IntakeForm(request.POST or None, initial={"target_level": "l2", "scope": "enterprise"})
    if request.method == "POST" and form.is_valid():
        if not ratelimit.hit("create", ratelimit.client_ip(request), limit=CREATE_LIMIT[0], window=CREATE_LIMIT[1]):
            return _too_many(request, "assessments/start.html", {"form": form})
        assessment, key = create_assessment(form=form)
        grant(request, assessment)
        request.session[SHOW_KEY_SESSION] = {assessment.public_id: key}
        return redirect("assessments:recovery_key", public_id=assessment.public_id)
    return render(request, "assessments/start.html", {"form": form, "nav": "assess"},
                  status=400 if form.is_bound else 200)


@transaction.atomic
def create_assessment(*, form: IntakeForm) -> tuple[Assessment, str]:
    assessment = form.save()
    ssp = Requirement.objects.get(nist_id=scoring.SSP_REQUIREMENT)
    has_ssp = form.cleaned_data["has_ssp"] == SspState.YES
    save_answer(assessment=assessment, requirement=ssp,
                values={"status": AnswerStatus.MET if has_ssp else AnswerStatus.NOT_MET}, expected_version=0)
    key = assessment.set_recovery_key()
    return assessment, key


@private
@require_http_methods(["GET", "POST"])
def recovery_key(request: HttpRequest, public_id: str) -> HttpResponse:
    assessment = _get_assessment_for_user(request, public_id)
    if request.method == "POST":
        key = assessment.set_recovery_key()
        messages.info(request, "A new recovery key was made. The old one no longer works.")
    else:
        pending = request.session.get(SHOW_KEY_SESSION, {})
        key = pending.pop(public_id, None)
        request.session[SHOW_KEY_SESSION] = pending
    return render(request, "assessments/recovery_key.html", {"assessment": assessment, "key": key})


@private
@require_http_methods(["GET", "POST"])
def resume(request: HttpRequest) -> HttpResponse:
    form = ResumeForm(request.POST or None)
    if request.method == "POST":
        if not ratelimit.hit("resume", ratelimit.client_ip(request), limit=RESUME_LIMIT[0], window=RESUME_LIMIT[1]):
            return _too_many(request, "assessments/resume.html", {"form": ResumeForm()})
        if form.is_valid():
            assessment = Assessment.objects.filter(
                recovery_key_hash=hash_key(form.cleaned_data["recovery_key"])
            ).first()
            if assessment is not None:
                request.session.cycle_key()
                grant(request, assessment)
                return redirect("assessments:overview", public_id=assessment.public_id)
            form.add_error("recovery_key", "No assessment has this key. Check it and try again.")
    return render(request, "assessments/resume.html", {"form": form}, status=400 if form.errors else 200)


@private
def overview(request: HttpRequest, public_id: str) -> HttpResponse:
    assessment = _get_assessment_for_user(request, public_id)
    rules = catalog_rules()
    result = score_assessment(assessment, rules)
    return render(request, "assessments/overview.html", {
        "assessment": assessment, "result": result, "families": _family_progress(result),
    })


def _family_progress(result: scoring.Result) -> list[dict]:
    names = dict(Family.objects.values_list("code", "name"))
    progress: dict[str, dict] = {}
    for item in result.items:
        fam = progress.setdefault(item.rule.family, {"code": item.rule.family, "name": names.get(item.rule.family),
                                                     "total": 0, "answered": 0, "open": 0})
        fam["total"] += 1
        fam["answered"] += item.answered
        fam["open"] += item.is_open and item.answered
    for fam in progress.values():
        fam["percent"] = round(100 * fam["answered"] / fam["total"]) if fam["total"] else 0
    return list(progress.values())


@private
@require_http_methods(["GET", "POST"])
def edit_intake(request: HttpRequest, public_id: str) -> HttpResponse:
    assessment = _get_assessment_for_user(request, public_id)
    ssp_answer = Answer.objects.filter(assessment=assessment, requirement__nist_id=scoring.SSP_REQUIREMENT).first()
    has_ssp = SspState.YES if ssp_answer and ssp_answer.status in (AnswerStatus.MET, AnswerStatus.NA) else SspState.NO
    form = IntakeForm(request.POST or None, instance=assessment, initial={"has_ssp": has_ssp})
    if request.method == "POST" and form.is_valid():
        update_intake(form=form, ssp_answer=ssp_answer)
        messages.success(request, "Saved.")
        return redirect("assessments:overview", public_id=assessment.public_id)
    return render(request, "assessments/start.html", {"form": form, "assessment": assessment},
                  status=400 if form.is_bound else 200)


@transaction.atomic
def update_intake(*, form: IntakeForm, ssp_answer: Answer | None) -> None:
    assessment = form.save()
    wanted = AnswerStatus.MET if form.cleaned_data["has_ssp"] == SspState.YES else AnswerStatus.NOT_MET
    if ssp_answer is None or ssp_answer.status != wanted:
        save_answer(
            assessment=assessment,
            requirement=Requirement.objects.get(nist_id=scoring.SSP_REQUIREMENT),
            values={"status": wanted},
            expected_version=ssp_answer.version if ssp_answer else 0,
        )


def _family_context(request: HttpRequest, assessment: Assessment, family: Family,
                    bound: dict | None = None) -> dict:
    """Everything the family page shows. ``bound`` maps a NIST id to a bound form to show instead."""
    bound = bound or {}
    requirements = list(
        Requirement.objects.filter(family=family)
        .order_by("position")
        .prefetch_related(Prefetch("objectives", queryset=Objective.objects.order_by("position")))
    )
    if assessment.target_level == "l1":
        requirements = [r for r in requirements if r.level1_id]
    answers = {a.requirement_id: a for a in Answer.objects.filter(assessment=assessment, requirement__family=family)}
    objective_answers = {}
    if assessment.objective_mode:
        objective_answers = {
            o.objective_id: o
            for o in ObjectiveAnswer.objects.filter(assessment=assessment, objective__requirement__family=family)
        }
    rules = catalog_rules()
    result = score_assessment(assessment, rules)
    statuses = {i.rule.nist_id: i for i in result.items}
    rows = [
        _row(assessment, req, answers.get(req.pk), objective_answers, statuses.get(req.nist_id), bound.get(req.nist_id))
        for req in requirements
    ]
    families = _family_progress(result)
    codes = [f["code"] for f in families]
    index = codes.index(family.code) if family.code in codes else 0
    return {
        "assessment": assessment, "family": family, "rows": rows, "result": result, "families": families,
        "previous_family": codes[index - 1] if index > 0 else None,
        "next_family": codes[index + 1] if index + 1 < len(codes) else None,
    }


def _row(assessment: Assessment, req: Requirement, answer: Answer | None, objective_answers: dict,
         item: scoring.Item | None, form: AnswerForm | None = None, conflict: Answer | None = None,
         saved: bool = False) -> dict:
    if form is None:
        initial = {"version": answer.version if answer else 0}
        if answer:
            initial |= {f: getattr(answer, f) for f in ("status", "justification", "note", "evidence", "responsible",
                                                        "planned_date")}
        form = AnswerForm(initial=initial, requirement=req, stored=answer, objective_mode=assessment.objective_mode)
    objectives = []
    if assessment.objective_mode:
        for obj in req.objectives.all():
            stored = objective_answers.get(obj.pk)
            objectives.append({
                "objective": obj,
                "form": ObjectiveAnswerForm(
                    initial={"status": stored.status if stored else "", "version": stored.version if stored else 0},
                    objective_id=obj.objective_id,
                ),
            })
    return {"requirement": req, "answer": answer, "form": form, "item": item, "objectives": objectives,
            "conflict": conflict, "saved": saved}


@private
def family(request: HttpRequest, public_id: str, code: str) -> HttpResponse:
    assessment = _get_assessment_for_user(request, public_id)
    fam = get_object_or_404(Family, code=code)
    return render(request, "assessments/family.html", _family_context(request, assessment, fam))


def _requirement_block(request: HttpRequest, assessment: Assessment, req: Requirement, *, form: AnswerForm | None,
                       conflict: Answer | None, status: int, saved: bool) -> HttpResponse:
    """Answer to an htmx save: the requirement's block, plus the score box out of band."""
    answer = Answer.objects.filter(assessment=assessment, requirement=req).first()
    objective_answers = {}
    if assessment.objective_mode:
        objective_answers = {o.objective_id: o for o in ObjectiveAnswer.objects.filter(
            assessment=assessment, objective__requirement=req)}
    result = score_assessment(assessment)
    item = next((i for i in result.items if i.rule.nist_id == req.nist_id), None)
    row = _row(assessment, req, answer, objective_answers, item, form=form, conflict=conflict, saved=saved)
    return render(request, "assessments/family.html#answer_response",
                  {"assessment": assessment, "row": row, "result": result, "families": _family_progress(result)},
                  status=status)


@private
@require_POST
def save_answer_view(request: HttpRequest, public_id: str, nist_id: str) -> HttpResponse:
    assessment = _get_assessment_for_user(request, public_id)
    req = get_object_or_404(Requirement.objects.select_related("family"), nist_id=nist_id)
    if assessment.target_level == "l1" and not req.level1_id:
        raise Http404("Not in this assessment's scope")
    stored = Answer.objects.filter(assessment=assessment, requirement=req).first()
    form = AnswerForm(request.POST, requirement=req, stored=stored, objective_mode=assessment.objective_mode)
    conflict = None
    if form.is_valid():
        values = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        if assessment.objective_mode and values.get("status") not in ("", AnswerStatus.PARTIAL):
            values.pop("status")
        try:
            save_answer(assessment=assessment, requirement=req, values=values,
                        expected_version=form.cleaned_data["version"])
        except StaleWrite as stale:
            conflict = stale.current
            # Keep what the user typed; saving again now deliberately replaces the other version.
            data = request.POST.copy()
            data[form.add_prefix("version")] = str(conflict.version if conflict else 0)
            form = AnswerForm(data, requirement=req, stored=conflict, objective_mode=assessment.objective_mode)
            form.is_valid()
        else:
            if not request.htmx:
                messages.success(request, f"Saved {req.nist_id}.")
                return redirect(reverse("assessments:family", args=[public_id, req.family.code]) + f"#req-{nist_id}")
            return _requirement_block(request, assessment, req, form=None, conflict=None, status=200, saved=True)
    status = 409 if conflict is not None else 422
    if request.htmx:
        return _requirement_block(request, assessment, req, form=form, conflict=conflict, status=status, saved=False)
    ctx = _family_context(request, assessment, req.family, bound={})
    for row in ctx["rows"]:
        if row["requirement"].pk == req.pk:
            row["form"], row["conflict"] = form, conflict
    return render(request, "assessments/family.html", ctx, status=status)


@private
@require_POST
def save_objective_view(request: HttpRequest, public_id: str, objective_id: str) -> HttpResponse:
    assessment = _get_assessment_for_user(request, public_id)
    objective = get_object_or_404(Objective.objects.select_related("requirement__family"), objective_id=objective_id)
    req = objective.requirement
    if not assessment.objective_mode or (assessment.target_level == "l1" and not req.level1_id):
        raise Http404("Objective answers are not enabled for this assessment")
    form = ObjectiveAnswerForm(request.POST, objective_id=objective_id)
    conflict = False
    if form.is_valid():
        try:
            save_objective_answer(assessment=assessment, objective=objective, status=form.cleaned_data["status"],
                                  expected_version=form.cleaned_data["version"])
        except StaleWrite:
            conflict = True
    if not request.htmx:
        if conflict:
            messages.error(request, f"{objective_id} was changed in another window; showing the saved answer.")
        elif form.errors:
            messages.error(request, f"{objective_id}: choose Met, Not met or Not applicable.")
        return redirect(reverse("assessments:family", args=[public_id, req.family.code]) + f"#req-{req.nist_id}")
    response = _requirement_block(request, assessment, req, form=None, conflict=None,
                                  status=409 if conflict else (422 if form.errors else 200), saved=not conflict)
    return response


@private
def answer_history(request: HttpRequest, public_id: str, nist_id: str) -> HttpResponse:
    assessment = _get_assessment_for_user(request, public_id)
    req = get_object_or_404(Requirement, nist_id=nist_id)
    answer = Answer.objects.filter(assessment=assessment, requirement=req).first()
    history = list(answer.history.all()[:100]) if answer else []
    return render(request, "assessments/answer_history.html",
                  {"assessment": assessment, "requirement": req, "history": history})


@private
def results(request: HttpRequest, public_id: str) -> HttpResponse:
    assessment = _get_assessment_for_user(request, public_id)
    result = score_assessment(assessment)
    return render(request, "assessments/results.html", {"assessment": assessment, "result": result})
