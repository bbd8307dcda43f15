import copy
from datetime import date

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import F, Prefetch, prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from accounts import security
from cmmc_site import ratelimit
from controls.models import Family, Objective, Requirement
from orgs.access import organizations_for
from orgs.models import Organization, Role

from . import charts, report, scoring
from .access import (
    READ,
    WRITE,
    AssessmentExpired,
    get_assessment_for_user,
    grant,
    granted_ids,
    private,
    require_methods,
)
from .forms import AnswerForm, IntakeForm, ObjectiveAnswerForm, ResumeForm, SprsDetailsForm
from .hints import hints_for
from .models import (
    ANSWER_FIELDS,
    Answer,
    AnswerStatus,
    Assessment,
    ObjectiveAnswer,
    Scope,
    SspState,
    TargetLevel,
    hash_key,
    today,
)
from .objective_mode import ObjectiveModeSwitch
from .plans import plan_versions
from .records import assessment_answers, catalog_rules, has_ssp, load_answers, score_answers, score_assessment
from .writes import (
    StaleWrite,
    create_assessment,
    revoke_recovery_key,
    save_answer,
    save_objective_answer,
    set_ssp_answer,
    update_intake,
    update_sprs_details,
)

RESUME_LIMIT = (10, 60)  # attempts per minute per client
CREATE_LIMIT = (20, 3600)  # new assessments per hour per client
# Assessments whose new recovery key this session is due to see (the key itself is never stored; see recovery_key).
PENDING_KEY_SESSION = "recovery_key_pending"
# Form errors none of our pages can cause: a tampered or broken request gets 400, a rule broken by an answer 422.
MALFORMED_CODES = frozenset({"invalid_choice", "max_length", "null_characters_not_allowed"})


def _too_many(request: HttpRequest, template: str, context: dict) -> HttpResponse:
    return render(request, template, context | {"rate_limited": True}, status=429)


def home(request: HttpRequest) -> HttpResponse:
    mine = []
    if grants := granted_ids(request):
        mine = list(Assessment.objects.filter(access_id__in=grants).order_by("-updated_at")[:20])
        now = timezone.now()
        for a in mine:
            a.expired = a.is_expired(now)  # its link answers 410: the list says so
    response = render(request, "home.html", {"mine": mine, "nav": "assess",
                                             "retention_days": settings.ANONYMOUS_RETENTION_DAYS})
    if mine:
        # The page names this browser's assessments: keep it out of every cache.
        add_never_cache_headers(response)
        patch_cache_control(response, no_store=True, private=True)
    return response


@private
@require_http_methods(["GET", "POST"])
def start(request: HttpRequest) -> HttpResponse:
    level = request.GET.get("target_level")  # the guides link here with ?target_level=l1|l2
    organizations = organizations_to_create_in(request)
    form = IntakeForm(request.POST if request.method == "POST" else None, organizations=organizations,
                      initial={"target_level": level if level in TargetLevel.values else TargetLevel.L2,
                               "scope": Scope.ENTERPRISE,
                               # The dashboard links here with ?org=<public id>; only a preselection (the form
                               # falls back to the first organisation if it is not one of the user's).
                               "organization": request.GET.get("org")})
    context = {"form": form, "nav": "assess", "organizations": organizations}
    if form.is_bound and form.is_valid():
        if not ratelimit.hit("create", ratelimit.client_ip(request), limit=CREATE_LIMIT[0], window=CREATE_LIMIT[1]):
            return _too_many(request, "assessments/start.html", context)
        organization = form.cleaned_data.get("organization")
        assessment = create_assessment(assessment=form.save(commit=False), organization=organization,
                                       has_ssp=form.cleaned_data["has_ssp"] == SspState.YES)
        return open_new_assessment(request, assessment, verb="Started")
    return render(request, "assessments/start.html", context, status=400 if form.is_bound else 200)


def organizations_to_create_in(request: HttpRequest) -> list[Organization]:
    """Where a new (started or imported) assessment may go: a signed-in, MFA-verified owner or editor's
    organisations; none otherwise (the anonymous front door, held by this browser session). Read on every request,
    like every membership."""
    return [org for org, _ in organizations_for(request, at_least=Role.EDITOR)]


def open_new_assessment(request: HttpRequest, assessment: Assessment, *, verb: str) -> HttpResponse:
    """Where a just-created (started or imported) assessment is opened."""
    organization = assessment.organization
    if organization is not None:
        # Members reach it by signing in: no recovery key, no session grant.
        security.event(request, "assessment_create", "success", org=organization.public_id)
        messages.success(request, f"{verb} in {organization.name}. Everyone in it can see it according to "
                                  "their role.")
        return redirect("assessments:overview", public_id=assessment.public_id)
    # A new grant is a privilege change: a session id planted beforehand must not carry it. The key page makes
    # the recovery key when it shows it.
    request.session.cycle_key()
    grant(request, assessment)
    _set_key_pending(request, assessment.public_id, pending=True)
    return redirect("assessments:recovery_key", public_id=assessment.public_id)


def _set_key_pending(request: HttpRequest, public_id: str, *, pending: bool) -> None:
    # Only the fact that a key is due is kept in the session, never the key: the key page makes it and shows
    # it in its response, so the plain key is stored nowhere (not even in the session table).
    due = [p for p in request.session.get(PENDING_KEY_SESSION, []) if p != public_id]
    if pending:
        due.append(public_id)
    request.session[PENDING_KEY_SESSION] = due[-20:]


@private
@require_methods(*READ, *WRITE)
def recovery_key(request: HttpRequest, public_id: str) -> HttpResponse:
    assessment = get_assessment_for_user(request, public_id)
    if assessment.organization_id is not None:
        raise Http404("An organisation's assessment has no recovery key")  # members sign in instead
    if request.method == "POST":
        revoke_recovery_key(assessment=assessment)
        _set_key_pending(request, public_id, pending=True)
        messages.info(request, "The old recovery key no longer works. Here is the new one.")
        # Post/redirect/get: reloading the page must not silently make yet another key.
        return redirect("assessments:recovery_key", public_id=public_id)
    key = None
    if public_id in request.session.get(PENDING_KEY_SESSION, []):
        _set_key_pending(request, public_id, pending=False)
        key = assessment.set_recovery_key()
    return render(request, "assessments/recovery_key.html", {"assessment": assessment, "key": key})


@private
@require_http_methods(["GET", "POST"])
def resume(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return render(request, "assessments/resume.html", {"form": ResumeForm()})
    if not ratelimit.hit("resume", ratelimit.client_ip(request), limit=RESUME_LIMIT[0], window=RESUME_LIMIT[1]):
        security.event(request, "recovery_key", "rate_limited")
        # The typed key is not echoed back: it may be a valid one.
        return _too_many(request, "assessments/resume.html", {"form": ResumeForm()})
    form = ResumeForm(request.POST)
    if form.is_valid():
        assessment = Assessment.objects.filter(recovery_key_hash=hash_key(form.cleaned_data["recovery_key"])).first()
        if assessment is not None and assessment.is_expired(timezone.now()):
            security.event(request, "recovery_key", "expired")
            raise AssessmentExpired(assessment)  # the 410 page (see private); no grant
        if assessment is not None:
            request.session.cycle_key()
            grant(request, assessment)
            security.event(request, "recovery_key", "success")
            return redirect("assessments:overview", public_id=assessment.public_id)
        security.event(request, "recovery_key", "failure")  # never the typed key
        form.add_error("recovery_key", ValidationError(
            "No assessment has this key. Check it and try again (a key that was replaced by a new one no longer "
            "works).", code="unknown_key"))
    return render(request, "assessments/resume.html", {"form": form}, status=400)


@private
@require_methods(*READ)
def overview(request: HttpRequest, public_id: str) -> HttpResponse:
    assessment = get_assessment_for_user(request, public_id)
    result = score_answers(assessment, catalog_rules(), load_answers(assessment))
    # A plan generated here while 3.12.4 still says "no SSP": the page offers an editor to close the loop (one
    # query more).
    plans = None
    if result.level is scoring.Level.L2 and not result.has_ssp and assessment.can_edit:
        plans = plan_versions(assessment.pk)
    return render(request, "assessments/overview.html", {
        "assessment": assessment, "result": result, "families": _family_progress(result, _family_names()),
        "plans": plans,
    })


def _family_names() -> dict[str, str]:
    return dict(Family.objects.values_list("code", "name"))


def _family_progress(result: scoring.Result, names: dict[str, str]) -> list[dict]:
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
@require_methods(*READ, *WRITE)
def edit_intake(request: HttpRequest, public_id: str) -> HttpResponse:
    assessment = get_assessment_for_user(request, public_id)
    # The form works on a copy: a rejected POST must not change what the page shows as saved.
    form = IntakeForm(request.POST if request.method == "POST" else None, instance=copy.copy(assessment),
                      initial={"has_ssp": SspState.YES if has_ssp(assessment) else SspState.NO},
                      explain_switch=assessment.can_edit)
    if form.is_bound and form.is_valid():
        switch = update_intake(assessment=form.save(commit=False), objective_mode=form.cleaned_data["objective_mode"],
                               has_ssp=form.cleaned_data["has_ssp"] == SspState.YES)
        if switch.switched:
            messages.success(request, _switch_message(switch))
        else:
            messages.success(request, "Saved.")
        return redirect("assessments:overview", public_id=assessment.public_id)
    return render(request, "assessments/start.html", {"form": form, "assessment": assessment},
                  status=400 if form.is_bound else 200)


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _switch_message(switch: ObjectiveModeSwitch) -> str:
    """What switching objective mode did, in words."""
    if switch.on:
        parts = [f"Saved. Objective mode on: {_count(switch.prefilled_objectives, 'objective', 'objectives')} of "
                 f"{_count(len(switch.prefilled), 'requirement', 'requirements')} pre-filled from your answers "
                 "(met or not applicable)"]
        if switch.to_choose:
            parts.append(f"{_count(len(switch.to_choose), 'requirement', 'requirements')} answered not met or "
                         "partially met keep that answer until you choose which of their objectives are met")
        if switch.kept_objectives:
            parts.append(f"{_count(switch.kept_objectives, 'objective answer', 'objective answers')} from before "
                         "kept as they were")
        if switch.changed_by_kept:
            parts.append("those kept answers change " + ", ".join(switch.changed_by_kept) + ": check them")
        return "; ".join(parts) + "."
    message = "Saved. Objective mode off: every requirement keeps the answer its objectives give, so the score is " \
              "unchanged"
    if switch.written:
        message += " (" + ", ".join(switch.written[:10]) + (", …" if len(switch.written) > 10 else "") + \
                   f": {_count(len(switch.written), 'answer', 'answers')} updated to match)"
    if switch.kept_objectives:
        message += f"; your {_count(switch.kept_objectives, 'objective answer is', 'objective answers are')} kept " \
                   "for when you switch it back on"
    return message + "."


@private
@require_methods(*WRITE)
def ssp_answer(request: HttpRequest, public_id: str) -> HttpResponse:
    """Mark 3.12.4 (the SSP) met, from the prompts shown once a plan is generated; back to where it was asked."""
    assessment = get_assessment_for_user(request, public_id)
    set_ssp_answer(assessment=assessment, has_ssp=True)
    result = score_assessment(assessment)
    score = f" Your SPRS score: {result.score}." if result.score is not None else ""
    messages.success(request, f"3.12.4 (System Security Plan) is marked met.{score}")
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()) or not target.startswith("/"):
        target = reverse("assessments:overview", args=[public_id])
    return redirect(target)


def _family_context(request: HttpRequest, assessment: Assessment, code: str,
                    bound: dict[str, dict] | None = None) -> dict:
    """Everything the family page shows; 404 for a family with nothing in this assessment's scope.

    ``bound`` maps a NIST id to row overrides (a bound form and a conflict) to show instead of the stored answer.
    Queries, whatever the number of answers: families, the family's requirements, their objectives, the answers
    (+ objective answers in objective mode), catalog_rules' two, and the hints (the ISO head start's).
    """
    bound = bound or {}
    families = {f.code: f for f in Family.objects.all()}
    fam = families.get(code)
    if fam is None:
        raise Http404("No such family")
    requirements = list(
        Requirement.objects.filter(family=fam)
        .order_by("position")
        .prefetch_related(Prefetch("objectives", queryset=Objective.objects.order_by("position")))
    )
    if assessment.target_level == TargetLevel.L1:
        requirements = [r for r in requirements if r.level1_id]
    if not requirements:
        raise Http404("No requirement of this family is in a Level 1 assessment")
    for req in requirements:
        req.family = fam  # the rows link back to the family: no query per row
    answers, objective_answers = load_answers(assessment)
    result = score_answers(assessment, catalog_rules(), (answers, objective_answers))
    statuses = {i.rule.nist_id: i for i in result.items}
    rows = [
        _row(assessment, req, answers.get(req.pk), objective_answers, statuses.get(req.nist_id),
             **bound.get(req.nist_id, {}))
        for req in requirements
    ]
    hints = hints_for(assessment, [r.nist_id for r in requirements])  # one query: the ISO head start's hints
    for row in rows:
        row["hints"] = hints.get(row["requirement"].nist_id, [])
    progress = _family_progress(result, {c: f.name for c, f in families.items()})
    codes = [f["code"] for f in progress]
    index = codes.index(fam.code)
    return {
        "assessment": assessment, "family": fam, "rows": rows, "result": result, "families": progress,
        "previous_family": codes[index - 1] if index > 0 else None,
        "next_family": codes[index + 1] if index + 1 < len(codes) else None,
    }


def _row(assessment: Assessment, req: Requirement, answer: Answer | None, objective_answers: dict,
         item: scoring.Item | None, form: AnswerForm | None = None, conflict: Answer | None = None,
         saved: bool = False, objective_errors: dict[int, str] | None = None) -> dict:
    """One requirement block. ``req`` must have its objectives prefetched."""
    if form is None:
        initial = {"version": answer.version if answer else 0}
        if answer:
            initial |= {f: getattr(answer, f) for f in ANSWER_FIELDS}
        form = AnswerForm(initial=initial, requirement=req, stored=answer, objective_mode=assessment.objective_mode)
    objective_errors = objective_errors or {}
    objectives = []
    answered_objectives = False
    unanswered_objectives = False
    if assessment.objective_mode and req.nist_id != scoring.SSP_REQUIREMENT:
        for obj in req.objectives.all():
            stored = objective_answers.get(obj.pk)
            answered_objectives = answered_objectives or stored is not None
            unanswered_objectives = unanswered_objectives or stored is None or not stored.status
            objectives.append({
                "objective": obj,
                "form": ObjectiveAnswerForm(
                    initial={"status": stored.status if stored else "", "version": stored.version if stored else 0},
                    objective_id=obj.objective_id,
                ),
                "error": objective_errors.get(obj.pk, ""),
            })
    # A not met or partial answer given before objective mode stands until the objectives decide (scoring_answers).
    answered_before = ""
    if unanswered_objectives and answer is not None and answer.status in (AnswerStatus.NOT_MET, AnswerStatus.PARTIAL):
        answered_before = answer.get_status_display()
    return {"requirement": req, "answer": answer, "form": form, "item": item, "objectives": objectives,
            "conflict": conflict, "saved": saved, "has_history": answer is not None or answered_objectives,
            "answered_before": answered_before}


@private
@require_methods(*READ)
def family(request: HttpRequest, public_id: str, code: str) -> HttpResponse:
    assessment = get_assessment_for_user(request, public_id)
    return render(request, "assessments/family.html", _family_context(request, assessment, code))


def _requirement_block(request: HttpRequest, assessment: Assessment, req: Requirement, *, answers: dict,
                       objective_answers: dict, status: int, **row) -> HttpResponse:
    """Answer to an htmx save: the requirement's block, plus the score box and progress out of band.

    ``req`` comes with its family and prefetched objectives, ``answers`` and ``objective_answers`` as stored after
    the save: the block costs catalog_rules' two queries, the family names and the hints (the ISO head start's).
    """
    result = score_answers(assessment, catalog_rules(), (answers, objective_answers))
    item = next((i for i in result.items if i.rule.nist_id == req.nist_id), None)
    block = _row(assessment, req, answers.get(req.pk), objective_answers, item, **row)
    block["hints"] = hints_for(assessment, [req.nist_id]).get(req.nist_id, [])
    return render(request, "assessments/family.html#answer_response", {
        "assessment": assessment, "row": block, "result": result, "family": req.family,
        "families": _family_progress(result, _family_names()),
    }, status=status)


def _error_status(form: AnswerForm | ObjectiveAnswerForm) -> int:
    """400 for a request none of our pages can send (tampered, truncated, NUL bytes, over a length limit);
    422 for an answer that breaks a rule (N/A without a justification, a past date)."""
    if "version" in form.errors:
        return 400
    for errors in form.errors.as_data().values():
        if any(error.code in MALFORMED_CODES for error in errors):
            return 400
    return 422


def _requirement_in_scope(assessment: Assessment, req: Requirement) -> None:
    if assessment.target_level == TargetLevel.L1 and not req.level1_id:
        raise Http404("Not in this assessment's scope")


def _requirement_for_save(assessment: Assessment, nist_id: str) -> Requirement:
    req = get_object_or_404(
        Requirement.objects.select_related("family")
        .prefetch_related(Prefetch("objectives", queryset=Objective.objects.order_by("position"))),
        nist_id=nist_id,
    )
    _requirement_in_scope(assessment, req)
    return req


@private
@require_methods(*WRITE)
def save_answer_view(request: HttpRequest, public_id: str, nist_id: str) -> HttpResponse:
    """Save one requirement's answer (htmx: reply with its block; plain form: redirect back to it).

    Queries, whatever the number of answers: the requirement with its family, its objectives, the answers
    (+ objective answers in objective mode), the write (see save_answer), then for htmx the block's (see
    _requirement_block). The answers are read once, before the write, and the saved row replaces its old self.
    """
    assessment = get_assessment_for_user(request, public_id)
    req = _requirement_for_save(assessment, nist_id)
    answers, objective_answers = load_answers(assessment)
    stored = answers.get(req.pk)
    form = AnswerForm(request.POST, requirement=req, stored=stored, objective_mode=assessment.objective_mode)
    conflict = None
    if form.is_valid():
        values = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        kept_not_met = not values["status"] and stored is not None and stored.status == AnswerStatus.NOT_MET
        if assessment.objective_mode and req.nist_id != scoring.SSP_REQUIREMENT and (
                req.partial_points is None or kept_not_met):
            # The objectives give the status; only 3.5.3 and 3.13.11 may add their partial state on top. A not met
            # answer from before objective mode is no choice here: it stands until the objectives decide.
            values.pop("status")
        try:
            saved = save_answer(assessment=assessment, requirement=req, values=values,
                                expected_version=form.cleaned_data["version"])
        except StaleWrite as stale:
            # Nothing was written. Show what is stored now next to what the user typed; the form now carries
            # the stored version, so saving again deliberately replaces the other one.
            conflict = stale.current or Answer(assessment=assessment, requirement=req, version=0)
            _keep(answers, req, stale.current)
            data = request.POST.copy()
            data[form.add_prefix("version")] = str(conflict.version)
            form = AnswerForm(data, requirement=req, stored=stale.current, objective_mode=assessment.objective_mode)
            form.is_valid()
        else:
            if not request.htmx:
                messages.success(request, f"Saved {req.nist_id}.")
                return redirect(reverse("assessments:family", args=[public_id, req.family.code]) + f"#req-{nist_id}")
            _keep(answers, req, saved)
            return _requirement_block(request, assessment, req, answers=answers, objective_answers=objective_answers,
                                      status=200, saved=True)
    status = 409 if conflict is not None else _error_status(form)
    if request.htmx:
        return _requirement_block(request, assessment, req, answers=answers, objective_answers=objective_answers,
                                  status=status, form=form, conflict=conflict)
    ctx = _family_context(request, assessment, req.family.code,
                          bound={req.nist_id: {"form": form, "conflict": conflict}})
    return render(request, "assessments/family.html", ctx, status=status)


def _keep(answers: dict[int, Answer], req: Requirement, row: Answer | None) -> None:
    """Put the row now stored for ``req`` (None: nothing is) into answers loaded by ``load_answers``."""
    if row is None:
        answers.pop(req.pk, None)
    else:
        row.nist_id = req.nist_id
        answers[req.pk] = row


@private
@require_methods(*WRITE)
def save_objective_view(request: HttpRequest, public_id: str, objective_id: str) -> HttpResponse:
    """Save one objective's answer; the same queries as save_answer_view, plus the objective."""
    assessment = get_assessment_for_user(request, public_id)
    if not assessment.objective_mode:
        raise Http404("Objective answers are not enabled for this assessment")
    objective = get_object_or_404(Objective.objects.select_related("requirement__family"), objective_id=objective_id)
    req = objective.requirement
    if req.nist_id == scoring.SSP_REQUIREMENT:
        raise Http404("3.12.4 is answered as a whole")
    _requirement_in_scope(assessment, req)
    prefetch_related_objects([req], Prefetch("objectives", queryset=Objective.objects.order_by("position")))
    answers, objective_answers = load_answers(assessment)
    form = ObjectiveAnswerForm(request.POST, objective_id=objective_id)
    error, status = "", 200
    if form.is_valid():
        try:
            row = save_objective_answer(assessment=assessment, objective=objective,
                                        status=form.cleaned_data["status"],
                                        expected_version=form.cleaned_data["version"])
        except StaleWrite as stale:
            error = (f"Not saved: {objective_id} was changed in another window or by someone else. The saved answer "
                     "is shown; choose again to replace it.")
            status, row = 409, stale.current
        if row is None:
            objective_answers.pop(objective.pk, None)
        else:
            row.nist_id, row.oid = req.nist_id, objective.objective_id
            objective_answers[objective.pk] = row
    else:
        error = f"Not saved: {objective_id} needs one of Met, Not met or Not applicable."
        status = _error_status(form)
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect(reverse("assessments:family", args=[public_id, req.family.code]) + f"#req-{req.nist_id}")
    return _requirement_block(request, assessment, req, answers=answers, objective_answers=objective_answers,
                              status=status, saved=not error, objective_errors={objective.pk: error} if error else None)


@private
@require_methods(*READ)
def answer_history(request: HttpRequest, public_id: str, nist_id: str) -> HttpResponse:
    """Every version of the answer and, in objective mode, of its objectives' answers; newest first."""
    assessment = get_assessment_for_user(request, public_id, role="editor")  # history: owners and editors
    req = get_object_or_404(Requirement.objects.select_related("family"), nist_id=nist_id)
    _requirement_in_scope(assessment, req)
    history = list(Answer.history.filter(assessment_id=assessment.pk, requirement_id=req.pk)
                   .order_by("-history_date", "-history_id")[:200])
    objective_history = list(
        ObjectiveAnswer.history.filter(assessment_id=assessment.pk, objective__requirement=req)
        .annotate(oid=F("objective__objective_id"))
        .order_by("-history_date", "-history_id")[:500]
    )
    return render(request, "assessments/answer_history.html", {
        "assessment": assessment, "requirement": req, "history": history, "objective_history": objective_history,
    })


def _gap_row(item: scoring.Item, title: str, url: str, answer: tuple[str, date | None] | None) -> dict:
    responsible, planned = answer or ("", None)
    return {"item": item, "nist_id": item.rule.nist_id, "title": title, "url": url, "responsible": responsible,
            "planned_date": planned}


@private
def results(request: HttpRequest, public_id: str) -> HttpResponse:
    assessment = get_assessment_for_user(request, public_id)
    # catalog_rules: objectives, then requirements with their family; the answers (+ objective answers in
    # objective mode).
    rules, answers = catalog_rules(), assessment_answers(assessment)
    result = scoring.score(rules, answers, assessment.level)
    # Titles and family names for the gap list and the chart, in one query.
    titles: dict[str, str] = {}
    family_names: dict[str, str] = {}
    for nist_id, title, code, name in Requirement.objects.values_list(
        "nist_id", "cmmc_title", "family__code", "family__name"
    ):
        titles[nist_id] = title
        family_names[code] = name
    # Who does what by when, for every answer of the page, in one query.
    details = {
        nist_id: (responsible, planned)
        for nist_id, responsible, planned in Answer.objects.filter(assessment=assessment).values_list(
            "requirement__nist_id", "responsible", "planned_date"
        )
    }
    family_urls: dict[str, str] = {}
    rows: dict[str, dict] = {}
    for item in result.gap_list:
        code = item.rule.family
        if code not in family_urls:
            family_urls[code] = reverse("assessments:family", args=[assessment.public_id, code])
        nist_id = item.rule.nist_id
        rows[nist_id] = _gap_row(item, titles.get(nist_id, ""), f"{family_urls[code]}#req-{nist_id}",
                                 details.get(nist_id))
    # Level 1 has no points and no POA&M: its open practices are listed in catalog order.
    gap = list(rows.values()) if result.level is scoring.Level.L2 else [rows[nist_id] for nist_id in result.open]
    context = {
        "assessment": assessment,
        "result": result,
        "gap_blockers": [r for r in gap if not r["item"].poam_eligible],
        "gap_poam": [r for r in gap if r["item"].poam_eligible],
        "gap": gap,
        "unanswered_count": len(result.unanswered),
    }
    if result.level is scoring.Level.L2:
        if not result.has_ssp:
            # Not a score (none exists without an SSP): what the same answers give once 3.12.4 is met.
            context["with_ssp"] = scoring.score_with_ssp(rules, answers)
        blockers = [rows[i.rule.nist_id] for i in result.blockers]
        planned_dates = {nist_id: when for nist_id, (_, when) in details.items()}
        context |= {
            "blockers_answered": [r for r in blockers if r["item"].answered],
            "blockers_unanswered": [r for r in blockers if not r["item"].answered],
            "points_short": report.points_short_of_conditional(result),
            "path_88": [rows[i.rule.nist_id] for i in result.path_to_88],
            "path_conditional": [rows[i.rule.nist_id] for i in result.path_to_conditional],
            "path_110": [rows[i.rule.nist_id] for i in result.path_to_110],
            "points_88": sum(i.deduction for i in result.path_to_88),
            "points_110": sum(i.deduction for i in result.path_to_110),
            "poam": report.poam_completion(result, planned_dates),
            "gauge_svg": charts.score_gauge(result.score, organization=assessment.organization_name),
            "family_svg": charts.family_bars(report.family_losses(result, family_names),
                                             organization=assessment.organization_name),
        }
        if result.outcome is scoring.Outcome.CONDITIONAL:
            context["deadline"] = report.conditional_deadline(
                conditional_status_date=assessment.conditional_status_date,
                assessment_date=assessment.assessment_date, today=today())
    return render(request, "assessments/results.html", context)


@private
@require_http_methods(["GET", "POST"])
def sprs_worksheet(request: HttpRequest, public_id: str) -> HttpResponse:
    assessment = get_assessment_for_user(request, public_id)
    # The form works on a copy: a rejected POST must not make the worksheet show values that were not saved.
    form = SprsDetailsForm(request.POST if request.method == "POST" else None, instance=copy.copy(assessment),
                           level=assessment.target_level)
    if request.method == "POST" and form.is_valid():
        update_sprs_details(assessment=form.save(commit=False), fields=form.fields)
        messages.success(request, "Saved the SPRS details.")
        return redirect("assessments:sprs", public_id=assessment.public_id)
    # catalog_rules: objectives, then requirements with their family; score: the answers (+ objective answers).
    result = score_assessment(assessment, catalog_rules())
    # Planned completion dates of every answer, in one query.
    planned = dict(Answer.objects.filter(assessment=assessment, planned_date__isnull=False).values_list(
        "requirement__nist_id", "planned_date"))
    context = {"assessment": assessment, "result": result, "form": form,
               "unanswered_count": len(result.unanswered)}
    if result.level is scoring.Level.L2:
        context["poam"] = report.poam_completion(result, planned)
        # The SSP's name, version and date: copied from each final version generated here (ssp record_version),
        # or entered below. The versions themselves say which, and whether only drafts exist (one query).
        plans = plan_versions(assessment.pk)
        context["plans"] = plans
        context["ssp_entered"] = bool(assessment.ssp_name or assessment.ssp_version or assessment.ssp_date)
        context["ssp_from_final"] = plans.final is not None and (assessment.ssp_version, assessment.ssp_date) == (
            plans.final.label, plans.final.generated_on)
        if result.outcome is scoring.Outcome.CONDITIONAL:
            context["deadline"] = report.conditional_deadline(
                conditional_status_date=assessment.conditional_status_date,
                assessment_date=assessment.assessment_date, today=today())
    return render(request, "assessments/sprs.html", context, status=400 if form.errors else 200)
