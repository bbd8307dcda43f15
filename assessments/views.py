"""The way in: the home page, starting an assessment, its recovery key, and resuming one with the key. The pages of
an assessment are in questionnaire_views.py, result_views.py and export_views.py."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.views.decorators.http import require_http_methods

from accounts import security
from cmmc_site import ratelimit
from controls.models import Family
from orgs.access import organizations_for
from orgs.models import Organization, Role

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
from .forms import IntakeForm, ResumeForm
from .models import Assessment, Scope, SspState, TargetLevel, hash_key
from .records import score_assessment
from .writes import create_assessment, revoke_recovery_key

RESUME_LIMIT = (10, 60)  # attempts per minute per client
CREATE_LIMIT = (20, 3600)  # new assessments per hour per client
# Assessments whose new recovery key this session is due to see (the key itself is never stored; see recovery_key).
PENDING_KEY_SESSION = "recovery_key_pending"


def _too_many(request: HttpRequest, template: str, context: dict, *, window: int) -> HttpResponse:
    return ratelimit.too_many(render(request, template, context | {"rate_limited": True}), window)


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
            return _too_many(request, "assessments/start.html", context, window=CREATE_LIMIT[1])
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
    # Straight on to the questions: the first family with a requirement still unanswered (a new assessment's first).
    result = score_assessment(assessment)
    code = next((i.rule.family for i in result.items if not i.answered), None)
    return render(request, "assessments/recovery_key.html", {
        "assessment": assessment, "key": key, "continue_family": Family.objects.filter(code=code).first() if code
        else None})


@private
@require_http_methods(["GET", "POST"])
def resume(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return render(request, "assessments/resume.html", {"form": ResumeForm()})
    if not ratelimit.hit("resume", ratelimit.client_ip(request), limit=RESUME_LIMIT[0], window=RESUME_LIMIT[1]):
        security.event(request, "recovery_key", "rate_limited")
        # The typed key is not echoed back: it may be a valid one.
        return _too_many(request, "assessments/resume.html", {"form": ResumeForm()}, window=RESUME_LIMIT[1])
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
