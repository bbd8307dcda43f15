"""MFA is required for every account (CMMC 3.5.3): allauth has no switch for it, so it is enforced here.

A request is *MFA-verified* when the user has an active TOTP authenticator **and** this session proved
possession of it, either at login (allauth records an ``mfa`` authentication in the session) or by activating
TOTP in this session. A session that logged in any other way (``force_login``, a password-only path) is not.
"""

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from django.http import HttpRequest

ACTIVATED_SESSION_KEY = "accounts.totp_activated_by"


def has_totp(user) -> bool:
    return Authenticator.objects.filter(user_id=user.pk, type=Authenticator.Type.TOTP).exists()


def session_passed_mfa(request: HttpRequest) -> bool:
    user = request.user
    if any(record.get("method") == "mfa" for record in get_authentication_records(request, user)):
        return True
    return request.session.get(ACTIVATED_SESSION_KEY) == str(user.pk)


def is_mfa_verified(request: HttpRequest) -> bool:
    """Checked on every request that opens organisation data (one query: the authenticator)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return session_passed_mfa(request) and has_totp(user)
