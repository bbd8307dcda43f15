from allauth.account import app_settings as account_settings
from allauth.core.internal.ratelimit import parse_rates
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.csrf import csrf_failure as django_csrf_failure

from . import security

# The allauth limits each view consumes (ACCOUNT_RATE_LIMITS and allauth's defaults), for Retry-After.
RATE_LIMITED_ACTIONS = {
    "account_login": ("login", "login_failed"),
    "account_signup": ("signup",),
    "account_reset_password": ("reset_password",),
    "account_reset_password_from_key": ("reset_password_from_key",),
    "account_change_password": ("change_password",),
    "account_email": ("manage_email",),
    "account_reauthenticate": ("reauthenticate",),
    "mfa_reauthenticate": ("reauthenticate",),
}


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """Django's 403 page, plus one security event (the reason is Django's fixed text, never request data)."""
    security.event(request, "csrf", "rejected", reason=reason)
    return django_csrf_failure(request, reason=reason)


def too_many_requests(request: HttpRequest) -> HttpResponse:
    """allauth's 429 (it calls the URLconf's ``handler429``), with a Retry-After: allauth's windows slide, and which
    of a view's limits refused is not known here, so the longest of them, after which every one has room again."""
    match = request.resolver_match
    rates = account_settings.RATE_LIMITS
    actions = RATE_LIMITED_ACTIONS.get(match.url_name if match else "", tuple(rates))
    seconds = max((rate.duration for action in actions for rate in parse_rates(rates.get(action))), default=60)
    response = render(request, "429.html", status=429)
    response["Retry-After"] = str(int(seconds))
    response["Cache-Control"] = "no-store"
    return response
