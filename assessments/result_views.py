"""What an assessment adds up to, and its settings: the overview, the results, the SPRS worksheet, the settings
(intake) page, and marking 3.12.4 met once a plan exists."""

import copy
from datetime import date

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from controls.snapshot import current as current_catalog

from . import charts, next_actions, report, scoring
from .access import READ, WRITE, get_assessment_for_user, private, require_methods
from .forms import IntakeForm, SprsDetailsForm
from .models import Answer, SspState, today
from .objective_mode import ObjectiveModeSwitch
from .paths import with_family_paths
from .plans import plan_versions
from .records import answers_with_details, catalog_rules, has_ssp, score_assessment, score_of
from .report import family_progress
from .rest_met_views import undo_offer
from .writes import set_ssp_answer, update_intake, update_sprs_details


@private
@require_methods(*READ)
def overview(request: HttpRequest, public_id: str) -> HttpResponse:
    assessment = get_assessment_for_user(request, public_id)
    # The catalog revision (the rules and family names are in memory), the answers (+ objective answers).
    catalog = current_catalog()
    result = score_assessment(assessment, catalog_rules(catalog))
    # A plan generated here while 3.12.4 still says "no SSP": the page offers an editor to close the loop (one
    # query more).
    plans = None
    if result.level is scoring.Level.L2 and not result.has_ssp and assessment.can_edit:
        plans = plan_versions(assessment.pk)
    return render(request, "assessments/overview.html", {
        "assessment": assessment, "result": result,
        "families": with_family_paths(family_progress(result, catalog.family_names), assessment.public_id),
        "plans": plans,
    })


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


def _gap_row(item: scoring.Item, title: str, url: str, answer: tuple[str, date | None] | None) -> dict:
    responsible, planned = answer or ("", None)
    return {"item": item, "nist_id": item.rule.nist_id, "title": title, "url": url, "responsible": responsible,
            "planned_date": planned}


FIRST_FEW = 5  # rows of a long list shown before the rest folds away (<details>: no JavaScript needed)


def _fold(rows: list) -> tuple[list, list]:
    """A long list as the first few and the rest."""
    return rows[:FIRST_FEW], rows[FIRST_FEW:]


@private
def results(request: HttpRequest, public_id: str) -> HttpResponse:
    assessment = get_assessment_for_user(request, public_id)
    # The catalog revision (the rules, titles and family names are in memory); the answers with who does what by
    # when, in one query (+ objective answers in objective mode).
    catalog = current_catalog()
    rules = catalog_rules(catalog)
    answers, details = answers_with_details(assessment, catalog, ("responsible", "planned_date"))
    result = score_of(rules, answers, assessment.level)
    family_names = catalog.family_names
    family_urls: dict[str, str] = {}
    rows: dict[str, dict] = {}
    for item in result.gap_list:
        code = item.rule.family
        if code not in family_urls:
            family_urls[code] = reverse("assessments:family", args=[assessment.public_id, code])
        nist_id = item.rule.nist_id
        rows[nist_id] = _gap_row(item, catalog.requirement_by_nist_id[nist_id].cmmc_title,
                                 f"{family_urls[code]}#req-{nist_id}", details.get(nist_id))
    # Level 1 has no points and no POA&M: its open practices are listed in catalog order.
    gap = list(rows.values()) if result.level is scoring.Level.L2 else [rows[nist_id] for nist_id in result.open]
    gap_blockers = [r for r in gap if not r["item"].poam_eligible]
    gap_poam = [r for r in gap if r["item"].poam_eligible]
    context = {
        "assessment": assessment,
        "result": result,
        "gap_blockers": gap_blockers,
        "gap_poam": gap_poam,
        "gap": gap,
        "folded": {"gap": _fold(gap), "gap_blockers": _fold(gap_blockers), "gap_poam": _fold(gap_poam)},
        "unanswered_count": len(result.unanswered),
        "next_actions": [{"action": a, "row": rows[a.nist_id]} for a in next_actions.next_actions(result)],
        "status_date": report.status_date(result, conditional_status_date=assessment.conditional_status_date,
                                          assessment_date=assessment.assessment_date, today=today()),
        # After "answer the rest met" of the last family: its undo, once (the session's; saving it is a query).
        "undo": undo_offer(request, assessment),
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
        context["folded"] |= {"path_88": _fold(context["path_88"]),
                              "path_conditional": _fold(context["path_conditional"])}
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
        context["threshold"] = scoring.CONDITIONAL_THRESHOLD
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
