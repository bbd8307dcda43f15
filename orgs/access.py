"""Who may do what in an organisation. Membership is read on every request (never cached), so removing a
member or lowering a role takes effect on their very next request."""

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest

from accounts import security
from accounts.mfa import is_mfa_verified

from .models import Membership, Organization, Role, role_at_least

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def required_role(method: str | None) -> str:
    """Reading needs viewer; anything that changes state needs editor (owner-only views ask explicitly)."""
    return Role.VIEWER if (method or "GET").upper() in SAFE_METHODS else Role.EDITOR


def mfa_verified(request: HttpRequest) -> bool:
    # RequireMFAMiddleware already checked this request; views called without it (RequestFactory) check here.
    cached = getattr(request, "_mfa_verified", None)
    if cached is None:
        cached = request._mfa_verified = is_mfa_verified(request)
    return cached


def member_role(request: HttpRequest, organization_id: int) -> str | None:
    """The signed-in, MFA-verified user's role in the organisation, or None (one query)."""
    if not mfa_verified(request):
        return None
    return (Membership.objects.filter(user_id=request.user.pk, organization_id=organization_id)
            .values_list("role", flat=True).first())


def check_role(request: HttpRequest, role: str | None, needed: str, what: str) -> None:
    """404 for strangers (the object's existence is not revealed); 403 for a member whose role is too low."""
    if role is None:
        security.event(request, "access", "denied_not_member", object=what)
        raise Http404("Not found")
    if not role_at_least(role, needed):
        security.event(request, "access", "denied_role", object=what, role=role, needed=needed)
        raise PermissionDenied("Your role does not allow this.")


def get_organization_for_user(request: HttpRequest, org_id: str, *, role: str | None = None) -> Organization:
    """The organisation if the user is a member with at least ``role`` (default: by HTTP method)."""
    organization = Organization.objects.filter(public_id=org_id).first() if mfa_verified(request) else None
    found = member_role(request, organization.pk) if organization is not None else None
    check_role(request, found, role or required_role(request.method), "organization")
    organization.access_role = found
    return organization


def organizations_for(request: HttpRequest, *, at_least: str = Role.VIEWER) -> list[tuple[Organization, str]]:
    """The user's organisations with their role, at least ``at_least`` (one query)."""
    if not mfa_verified(request):
        return []
    memberships = Membership.objects.filter(user_id=request.user.pk).select_related("organization").order_by(
        "organization__name", "organization_id")
    return [(m.organization, m.role) for m in memberships if role_at_least(m.role, at_least)]
