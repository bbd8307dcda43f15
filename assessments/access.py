"""Who may open an assessment. Every view that touches one goes through ``get_assessment_for_user``.

- An assessment without an organisation is reachable only through this browser session's grant (the anonymous
  front door); the session holder has every right over it, as its owner.
- An assessment of an organisation is reachable only by signed-in, MFA-verified members of that organisation.
  Reading (GET/HEAD/OPTIONS) needs viewer, anything else editor; owner-only views pass ``role="owner"``.
- Strangers get 404 (existence is never revealed); a member whose role is too low gets 403.
- An anonymous assessment expires ``ANONYMOUS_RETENTION_DAYS`` after its last change (``Assessment.is_expired``).
  Its holder (the session grant, or the recovery key on the resume page) then gets ``AssessmentExpired``, which
  the ``private`` view decorator answers with the 410 page; strangers still get 404.
"""

from functools import wraps

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers, patch_cache_control

from accounts import security
from orgs.access import check_role, member_role, mfa_verified, required_role
from orgs.models import Role

from .models import Assessment

SESSION_KEY = "assessment_access"


class AssessmentExpired(Http404):
    """The holder of an anonymous assessment asked for it after it expired.

    The ``private`` decorator (below) turns it into the 410 "expired" page. It is an Http404 so
    that a view without that decorator still answers 404, never 500, and never opens the assessment.
    """

    def __init__(self, assessment: Assessment):
        super().__init__("Expired assessment")
        self.expires_at = assessment.expires_at


def grant(request: HttpRequest, assessment: Assessment) -> None:
    """Let this browser session open the assessment. Sessions are server-side: the client never sees the id."""
    grants = list(request.session.get(SESSION_KEY, []))
    access = str(assessment.access_id)
    if access not in grants:
        grants.append(access)
        request.session[SESSION_KEY] = grants[-50:]


def granted_ids(request: HttpRequest) -> list[str]:
    return list(request.session.get(SESSION_KEY, []))


def get_assessment_for_user(request: HttpRequest, public_id: str, *, role: str | None = None) -> Assessment:
    """The assessment if this request may open it with at least ``role`` (default: by HTTP method).

    404 for anyone without access, 403 for a member whose role is too low, AssessmentExpired (410) for the holder
    of an expired anonymous assessment. The caller's effective role is set on the returned object as
    ``access_role``.
    """
    grants = granted_ids(request)
    if not grants and not mfa_verified(request):
        raise Http404("No assessment")
    # order_by(): one row at most (public_id is unique), so no sort; first() would add one by pk.
    assessment = next(iter(Assessment.objects.filter(public_id=public_id).order_by()[:1]), None)
    if assessment is None:
        raise Http404("No assessment")
    if assessment.organization_id is None:
        if str(assessment.access_id) not in grants:
            check_role(request, None, Role.OWNER, "assessment")
        # Only after the grant check: a stranger must not learn that an expired assessment exists.
        if assessment.is_expired(timezone.now()):
            raise AssessmentExpired(assessment)
        assessment.access_role = Role.OWNER
        return assessment
    found = member_role(request, assessment.organization_id)
    check_role(request, found, role or required_role(request.method), "assessment")
    assessment.access_role = found
    return assessment


# --- View decorators: every view that opens an assessment is wrapped in ``private`` ---------------------------

def private(view):
    """Assessment pages: never cached, never indexed, never referred to another site.

    Also the one place where an expired anonymous assessment (AssessmentExpired from the access helper, raised
    only to whoever holds it) becomes the 410 page: every view that opens an assessment is wrapped in this.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            response = view(request, *args, **kwargs)
        except AssessmentExpired as expired:
            response = _expired(request, expired)
        add_never_cache_headers(response)
        patch_cache_control(response, no_store=True, private=True)
        response["X-Robots-Tag"] = "noindex, nofollow"
        # Never sent to another site; "no-referrer" would break every plain form (see SECURE_REFERRER_POLICY).
        response["Referrer-Policy"] = "same-origin"
        return response

    return wrapper


def _expired(request: HttpRequest, expired: AssessmentExpired) -> HttpResponse:
    security.event(request, "access", "denied_expired", object="assessment")
    return render(request, "assessments/expired.html", {
        "expires_at": expired.expires_at, "retention_days": settings.ANONYMOUS_RETENTION_DAYS}, status=410)


def require_methods(*methods: str):
    """Like require_http_methods, but a stranger gets the access check's 404 whatever the method, so a 405 never
    tells them that the assessment exists."""

    def decorator(view):
        @wraps(view)
        def wrapper(request: HttpRequest, public_id: str, *args, **kwargs) -> HttpResponse:
            if request.method not in methods:
                get_assessment_for_user(request, public_id)
                return HttpResponseNotAllowed(methods)
            return view(request, public_id, *args, **kwargs)

        return wrapper

    return decorator


READ = ("GET", "HEAD")
WRITE = ("POST",)
