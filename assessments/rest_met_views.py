"""Answering the rest of a family met: the confirmation page and its write, and the undo. The write and the undo are
assessments/rest_met.py; what the undo needs is kept in this browser session until it is used or replaced."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from controls.models import Family
from orgs.models import Role

from .access import READ, WRITE, get_assessment_for_user, private, require_methods
from .forms import RestMetForm
from .models import Assessment
from .rest_met import ChangedMeanwhile, Done, answer_rest_met, plan, undo_rest_met

UNDO_SESSION = "rest_met_undo"  # assessment public id -> the last "rest met" done here (Done.as_session) + "offer"
UNDO_KEPT = 20  # assessments remembered per session


def _family(code: str) -> Family:
    family = Family.objects.filter(code=code).first()
    if family is None:
        raise Http404("No such family")
    return family


@private
@require_methods(*READ, *WRITE)
def rest_met(request: HttpRequest, public_id: str, code: str) -> HttpResponse:
    """GET: which requirements would be answered met, and a button to confirm. POST: answer them, remember how to
    undo it, and go on to the next family (the results after the last). Owners and editors only, the page too."""
    assessment = get_assessment_for_user(request, public_id, role=Role.EDITOR)
    family = _family(code)
    found = plan(assessment=assessment, family=family)
    if family.code not in found.family_codes:
        raise Http404("No requirement of this family is in a Level 1 assessment")
    # The page always carries the state of the list it shows (plan.state); the form only checks what came back.
    form = RestMetForm(request.POST if request.method == "POST" else None)
    changed, status = False, 200
    if form.is_bound:
        if not form.is_valid():
            status = 400
        else:
            try:
                done = answer_rest_met(assessment=assessment, family=family, state=form.cleaned_data["state"])
            except ChangedMeanwhile as meanwhile:
                # Nothing was written: show the list as it is now, to confirm again.
                found, changed, status = meanwhile.plan, True, 409
            else:
                if not done.nist_ids:
                    messages.info(request, f"Every requirement of {family.name} is answered already: nothing changed.")
                    return redirect("assessments:family", public_id=public_id, code=family.code)
                _remember(request, assessment, done)
                following = found.next_family()
                if following is None:
                    return redirect("assessments:results", public_id=public_id)
                return redirect("assessments:family", public_id=public_id, code=following)
    next_family = found.next_family()
    return render(request, "assessments/rest_met.html", {
        "assessment": assessment, "family": family, "plan": found, "form": form, "changed": changed,
        "next_family": Family.objects.filter(code=next_family).first() if next_family else None,
    }, status=status)


@private
@require_methods(*WRITE)
def undo(request: HttpRequest, public_id: str, code: str) -> HttpResponse:
    """Undo the last "rest met" of this family done in this browser session."""
    assessment = get_assessment_for_user(request, public_id)
    family = _family(code)
    stored = request.session.get(UNDO_SESSION, {}).get(assessment.public_id)
    target = reverse("assessments:family", args=[public_id, family.code])
    if not stored or stored.get("family") != family.code:
        messages.info(request, f"Nothing to undo in {family.name}: this browser has not answered its rest met "
                               "(or that was undone already).")
        return redirect(target)
    undone = undo_rest_met(assessment=assessment, done=Done.from_session(stored))
    _forget(request, assessment)
    message = (f"Undone: {_count(len(undone.restored), 'requirement')} of {family.name} "
               f"{'is' if len(undone.restored) == 1 else 'are'} unanswered again.")
    if undone.kept:
        message += (" Changed since, so kept as they are now: " + ", ".join(undone.kept) + ".")
    messages.success(request, message)
    return redirect(target)


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _remember(request: HttpRequest, assessment: Assessment, done: Done) -> None:
    stored = dict(request.session.get(UNDO_SESSION, {}))
    stored.pop(assessment.public_id, None)
    stored[assessment.public_id] = done.as_session() | {"offer": True}
    request.session[UNDO_SESSION] = dict(list(stored.items())[-UNDO_KEPT:])


def _forget(request: HttpRequest, assessment: Assessment) -> None:
    stored = dict(request.session.get(UNDO_SESSION, {}))
    if stored.pop(assessment.public_id, None) is not None:
        request.session[UNDO_SESSION] = stored


def undo_offer(request: HttpRequest, assessment: Assessment, *, family_code: str | None = None) -> dict | None:
    """The last "rest met" this browser did in the assessment, to offer its undo: once on the page it led to, and
    on its family's page for as long as it can be undone. None for those who may not edit."""
    if not assessment.can_edit:
        return None
    stored = request.session.get(UNDO_SESSION, {}).get(assessment.public_id)
    if not stored:
        return None
    if stored.get("offer"):
        remembered = dict(request.session[UNDO_SESSION])
        remembered[assessment.public_id] = {k: v for k, v in stored.items() if k != "offer"}
        request.session[UNDO_SESSION] = remembered
        return stored
    return stored if stored.get("family") == family_code else None
