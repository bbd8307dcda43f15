from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from assessments import scoring
from assessments.records import catalog_rules
from controls.models import Requirement

from .decision import QUESTIONS, decide
from .examples import EXAMPLE_GAPS, EXAMPLE_NOT_APPLICABLE, example_answers, no_ssp_answers, variant_answers
from .forms import DecisionForm


def index(request: HttpRequest) -> HttpResponse:
    # The helper's questions, counted from the helper itself (it stops earlier when an answer decides).
    return render(request, "guidance/index.html", {"nav": "guide", "helper_questions": len(QUESTIONS)})


def do_i_need_cmmc(request: HttpRequest) -> HttpResponse:
    form = DecisionForm(request.GET or None)
    answers: dict[str, str] = {}
    if form.is_bound:
        form.is_valid()
        # Keep the valid answers before the first bad one; that question is asked again with its message.
        for name in QUESTIONS:
            if name in form.errors or not form.cleaned_data.get(name):
                break
            answers[name] = form.cleaned_data[name]
    step = decide(answers)
    asked = step.question
    if asked and request.GET.get("asked") == asked and asked not in form.errors and not step.explain:
        form.add_error(asked, ValidationError("Choose one of the answers below.", code="required"))
    if step.result:
        earlier = answers
        back_params: dict[str, str] | None = dict(list(answers.items())[:-1])
    else:
        earlier = {k: answers[k] for k in QUESTIONS[: QUESTIONS.index(asked)] if k in answers}
        back_params = earlier if step.explain else (dict(list(earlier.items())[:-1]) if earlier else None)
    back = None
    if back_params is not None:
        back = reverse("guidance:do_i_need_cmmc") + ("?" + urlencode(back_params) if back_params else "")
    start = None
    if step.target_level:
        start = reverse("assessments:start") + "?" + urlencode({"target_level": step.target_level})
    error = form.errors.get(asked) if asked and form.is_bound else None
    return render(request, "guidance/do_i_need_cmmc.html", {
        "nav": "guide", "form": form, "step": step, "field": form[asked] if asked else None, "error": error,
        "earlier": earlier, "back": back, "start": start,
    }, status=400 if error else 200)


def cmmc_vs_iso(request: HttpRequest) -> HttpResponse:
    return render(request, "guidance/cmmc_vs_iso.html", {"nav": "guide"})


def nist_vs_cmmc(request: HttpRequest) -> HttpResponse:
    return render(request, "guidance/nist_vs_cmmc.html", {"nav": "guide"})


def sprs_score(request: HttpRequest) -> HttpResponse:
    rules = catalog_rules()
    result = scoring.score(rules, example_answers(rules), scoring.Level.L2)
    variant = scoring.score(rules, variant_answers(rules), scoring.Level.L2)
    no_ssp = scoring.score(rules, no_ssp_answers(rules), scoring.Level.L2)
    blank = scoring.score(rules, {}, scoring.Level.L2)  # nothing implemented: the floor
    titles = dict(Requirement.objects.values_list("nist_id", "cmmc_title"))
    items = {i.rule.nist_id: i for i in result.items}
    stories = {g.nist_id: g.story for g in EXAMPLE_GAPS}
    lines = [
        {"item": items[nist_id], "title": titles.get(nist_id, ""), "story": stories[nist_id]}
        for nist_id in sorted(stories, key=lambda n: items[n].rule.position)
    ]
    return render(request, "guidance/sprs_score.html", {
        "nav": "guide", "result": result, "variant": variant, "no_ssp": no_ssp, "lines": lines,
        "deducted": sum(line["item"].deduction for line in lines),
        "not_applicable": [{"nist_id": n, "title": titles.get(n, "")} for n in EXAMPLE_NOT_APPLICABLE],
        "floor": blank.worst_case_score, "max_deduction": scoring.MAX_SCORE - blank.worst_case_score,
        "max_score": scoring.MAX_SCORE, "threshold": scoring.CONDITIONAL_THRESHOLD,
        "points_count": _points_count(rules),
    })


def _points_count(rules: list[scoring.Rule]) -> dict[int, int]:
    counts: dict[int, int] = {}
    for rule in rules:
        if rule.points:
            counts[rule.points] = counts.get(rule.points, 0) + 1
    return counts
