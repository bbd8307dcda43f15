"""The questionnaire: a family's page of questions, saving one answer or one objective's answer (htmx or a plain
form), and an answer's history."""

from django.contrib import messages
from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from controls.models import Requirement
from controls.snapshot import CatalogSnapshot
from controls.snapshot import current as current_catalog

from . import scoring
from .access import READ, WRITE, get_assessment_for_user, private, require_methods
from .blocks import Block, Renderer
from .forms import AnswerForm, ObjectiveAnswerForm
from .hints import hints_for
from .models import Answer, AnswerStatus, Assessment, ObjectiveAnswer, TargetLevel
from .paths import with_family_paths
from .records import catalog_rules, load_answer_rows, score_statuses
from .report import family_progress
from .rest_met_views import undo_offer
from .writes import StaleWrite, save_answer, save_objective_answer

# Form errors none of our pages can cause: a tampered or broken request gets 400, a rule broken by an answer 422.
MALFORMED_CODES = frozenset({"invalid_choice", "max_length", "null_characters_not_allowed"})


def _family_context(request: HttpRequest, assessment: Assessment, code: str,
                    bound: dict[str, dict] | None = None, catalog: CatalogSnapshot | None = None) -> dict:
    """Everything the family page shows; 404 for a family with nothing in this assessment's scope.

    ``bound`` maps a NIST id to row overrides (a bound form and a conflict) to show instead of the stored answer.
    Queries, whatever the number of answers: the catalog revision (unless ``catalog`` is given; the families, the
    requirements with their objectives and the scoring rules are kept in memory per revision), the answers (whole
    rows only for this family's requirements: load_answer_rows; + objective answers in objective mode), and the
    hints (the ISO head start's).
    """
    bound = bound or {}
    catalog = catalog or current_catalog()
    fam = catalog.family_by_code.get(code)
    if fam is None:
        raise Http404("No such family")
    requirements = catalog.family_requirements(code)
    if assessment.target_level == TargetLevel.L1:
        requirements = [r for r in requirements if r.level1_id]
    if not requirements:
        raise Http404("No requirement of this family is in a Level 1 assessment")
    statuses, answers, objective_answers = load_answer_rows(assessment, catalog, {r.pk for r in requirements})
    result = score_statuses(assessment, catalog_rules(catalog), statuses, objective_answers)
    items = {i.rule.nist_id: i for i in result.items}
    hints = hints_for(assessment, [r.nist_id for r in requirements], catalog)  # one query: the ISO head start's
    renderer = Renderer(assessment, catalog, get_token(request))
    blocks = [
        renderer.render(Block(req, answers.get(req.pk), objective_answers, items.get(req.nist_id),
                              hints.get(req.nist_id, []), **bound.get(req.nist_id, {})))
        for req in requirements
    ]
    progress = with_family_paths(family_progress(result, catalog.family_names), assessment.public_id)
    codes = [f["code"] for f in progress]
    index = codes.index(fam.code)
    return {
        "assessment": assessment, "family": fam, "blocks": blocks, "result": result, "families": progress,
        "catalog": catalog,
        "previous_family": codes[index - 1] if index > 0 else None,
        "next_family": codes[index + 1] if index + 1 < len(codes) else None,
        "unanswered_here": sum(1 for req in requirements
                               if (item := items.get(req.nist_id)) is not None and not item.answered),
    }


@private
@require_methods(*READ)
def family(request: HttpRequest, public_id: str, code: str) -> HttpResponse:
    assessment = get_assessment_for_user(request, public_id)
    context = _family_context(request, assessment, code)
    context["undo"] = undo_offer(request, assessment, family_code=code)  # the session's: no query
    return render(request, "assessments/family.html", context)


def _requirement_block(request: HttpRequest, assessment: Assessment, catalog: CatalogSnapshot, req: Requirement, *,
                       stored: tuple[dict, dict, dict], status: int, **row) -> HttpResponse:
    """Answer to an htmx save: the requirement's block, plus the score box and progress out of band.

    ``req`` comes from ``catalog``, ``stored`` is what load_answer_rows read, as stored after the save: the block
    costs one query, the hints (the ISO head start's).
    """
    statuses, answers, objective_answers = stored
    result = score_statuses(assessment, catalog_rules(catalog), statuses, objective_answers)
    item = next((i for i in result.items if i.rule.nist_id == req.nist_id), None)
    hints = hints_for(assessment, [req.nist_id], catalog).get(req.nist_id, [])
    block = Renderer(assessment, catalog, get_token(request)).render(
        Block(req, answers.get(req.pk), objective_answers, item, hints, **row))
    return render(request, "assessments/family.html#answer_response", {
        "assessment": assessment, "block": block, "result": result, "family": req.family,
        "families": with_family_paths(family_progress(result, catalog.family_names), assessment.public_id),
        "catalog": catalog,
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


def _requirement_for_save(assessment: Assessment, catalog: CatalogSnapshot, nist_id: str) -> Requirement:
    req = catalog.requirement_by_nist_id.get(nist_id)
    if req is None:
        raise Http404("No such requirement")
    _requirement_in_scope(assessment, req)
    return req


@private
@require_methods(*WRITE)
def save_answer_view(request: HttpRequest, public_id: str, nist_id: str) -> HttpResponse:
    """Save one requirement's answer (htmx: reply with its block; plain form: redirect back to it).

    Queries, whatever the number of answers: the catalog revision (the requirement, its family and objectives are
    in memory), the answers (whole only this requirement's: load_answer_rows; + objective answers in objective
    mode), the write (see save_answer), then for htmx the block's (see _requirement_block). The answers are read
    once, before the write, and the saved row replaces its old self.
    """
    assessment = get_assessment_for_user(request, public_id)
    catalog = current_catalog()
    req = _requirement_for_save(assessment, catalog, nist_id)
    loaded = load_answer_rows(assessment, catalog, {req.pk})
    stored = loaded[1].get(req.pk)
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
            _keep(loaded, req, stale.current)
            data = request.POST.copy()
            data[form.add_prefix("version")] = str(conflict.version)
            form = AnswerForm(data, requirement=req, stored=stale.current, objective_mode=assessment.objective_mode)
            form.is_valid()
        else:
            if not request.htmx:
                messages.success(request, f"Saved {req.nist_id}.")
                return redirect(reverse("assessments:family", args=[public_id, req.family.code]) + f"#req-{nist_id}")
            _keep(loaded, req, saved)
            return _requirement_block(request, assessment, catalog, req, stored=loaded, status=200, saved=True)
    status = 409 if conflict is not None else _error_status(form)
    if request.htmx:
        return _requirement_block(request, assessment, catalog, req, stored=loaded, status=status, form=form,
                                  conflict=conflict)
    ctx = _family_context(request, assessment, req.family.code,
                          bound={req.nist_id: {"form": form, "conflict": conflict}}, catalog=catalog)
    return render(request, "assessments/family.html", ctx, status=status)


def _keep(stored: tuple[dict, dict, dict], req: Requirement, row: Answer | None) -> None:
    """Put the row now stored for ``req`` (None: nothing is) into what ``load_answer_rows`` read."""
    statuses, answers, _ = stored
    if row is None:
        answers.pop(req.pk, None)
        statuses.pop(req.nist_id, None)
    else:
        row.nist_id = req.nist_id
        answers[req.pk] = row
        statuses[req.nist_id] = row.status


@private
@require_methods(*WRITE)
def save_objective_view(request: HttpRequest, public_id: str, objective_id: str) -> HttpResponse:
    """Save one objective's answer; the same queries as save_answer_view (the objective is in memory too)."""
    assessment = get_assessment_for_user(request, public_id)
    if not assessment.objective_mode:
        raise Http404("Objective answers are not enabled for this assessment")
    catalog = current_catalog()
    objective = catalog.objective_by_id.get(objective_id)
    if objective is None:
        raise Http404("No such objective")
    req = objective.requirement
    if req.nist_id == scoring.SSP_REQUIREMENT:
        raise Http404("3.12.4 is answered as a whole")
    _requirement_in_scope(assessment, req)
    stored = load_answer_rows(assessment, catalog, {req.pk})
    objective_answers = stored[2]
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
    return _requirement_block(request, assessment, catalog, req, stored=stored, status=status, saved=not error,
                              objective_errors={objective.pk: error} if error else None)


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
