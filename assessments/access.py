"""Who may open an assessment. Every view that touches one goes through ``get_assessment_for_user``.

- An assessment without an organisation is reachable only through this browser session's grant (the anonymous
  front door); the session holder has every right over it, as its owner.
- An assessment of an organisation is reachable only by signed-in, MFA-verified members of that organisation.
  Reading (GET/HEAD/OPTIONS) needs viewer, anything else editor; owner-only views pass ``role="owner"``.
- Strangers get 404 (existence is never revealed); a member whose role is too low gets 403.
"""

from django.http import Http404, HttpRequest

from orgs.access import check_role, member_role, mfa_verified, required_role
from orgs.models import Role

from .models import Assessment

SESSION_KEY = "assessment_access"


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

    404 for anyone without access, 403 for a member whose role is too low. The caller's effective role is set
    on the returned object as ``access_role``.
    """
    grants = granted_ids(request)
    if not grants and not mfa_verified(request):
        raise Http404("No assessment")
    assessment = Assessment.objects.filter(public_id=public_id).first()
    if assessment is None:
        raise Http404("No assessment")
    if assessment.organization_id is None:
        if str(assessment.access_id) not in grants:
            check_role(request, None, Role.OWNER, "assessment")
        assessment.access_role = Role.OWNER
        return assessment
    found = member_role(request, assessment.organization_id)
    check_role(request, found, role or required_role(request.method), "assessment")
    assessment.access_role = found
    return assessment
