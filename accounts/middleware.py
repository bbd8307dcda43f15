"""Session lifetimes and the MFA requirement, applied to every request of a signed-in user."""

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.contrib.auth.views import redirect_to_login
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.cache import add_never_cache_headers, patch_cache_control

from . import security
from .mfa import has_totp, session_passed_mfa

STARTED_KEY = "accounts.session_started"
LAST_SEEN_KEY = "accounts.last_seen"
# Writing the session on every request costs a DB write; a minute of precision is plenty for a 30-minute limit.
LAST_SEEN_PRECISION = 60
SIGNED_OUT_MESSAGE = "You were signed out because your session timed out. Please sign in again."

# What a signed-in user without TOTP may open: enrolment, the re-authentication it may ask for, sign out.
MFA_SETUP_VIEWS = frozenset({
    "mfa_activate_totp",
    "mfa_index",
    "account_reauthenticate",
    "account_logout",
    "account_email_verification_sent",
    "account_confirm_email",
})


def now() -> float:
    return time.time()


@receiver(user_logged_in)
def _stamp_login(sender, request: HttpRequest | None, user, **kwargs) -> None:
    # The absolute lifetime counts from the sign-in itself (the session key was just rotated by login()).
    if request is not None and hasattr(request, "session"):
        request.session[STARTED_KEY] = request.session[LAST_SEEN_KEY] = now()


class SessionLifetimeMiddleware:
    """Signed-in sessions end after ``SESSION_IDLE_TIMEOUT`` seconds without a request, and after
    ``SESSION_ABSOLUTE_TIMEOUT`` seconds in all, however active (ASVS 7.3.1, 7.3.2)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        timed_out = signed_in and self._timed_out(request)
        if timed_out and request.headers.get("HX-Request") == "true":
            # An htmx request (an autosave) gets no page to show the message on, and the view would answer the
            # now anonymous request 404, which the page explains as lost anonymous access: say what happened.
            # Nothing of the request is processed (no write); static/js/app.js shows this for status 401.
            response = HttpResponse(SIGNED_OUT_MESSAGE, status=401, content_type="text/plain; charset=utf-8")
        else:
            response = self.get_response(request)
        if signed_in:
            # Every page of a signed-in user is personal (recovery codes, members, assessments): never cached.
            add_never_cache_headers(response)
            patch_cache_control(response, no_store=True, private=True)
        return response

    def _timed_out(self, request: HttpRequest) -> bool:
        """Sign the session out if it ran past a lifetime (True), else note that it was seen."""
        current = now()
        session = request.session
        started = session.get(STARTED_KEY)
        last_seen = session.get(LAST_SEEN_KEY)
        if started is None:
            session[STARTED_KEY] = session[LAST_SEEN_KEY] = current
            return False
        idle = last_seen is not None and current - last_seen > settings.SESSION_IDLE_TIMEOUT
        expired = current - started > settings.SESSION_ABSOLUTE_TIMEOUT
        if idle or expired:
            security.event(request, "session_timeout", "logged_out", reason="idle" if idle else "absolute")
            logout(request)
            messages.info(request, SIGNED_OUT_MESSAGE)
            return True
        if last_seen is None or current - last_seen >= LAST_SEEN_PRECISION:
            session[LAST_SEEN_KEY] = current
        return False


class RequireMFAMiddleware:
    """A signed-in user reaches nothing but MFA enrolment (and sign out) until TOTP is active; a session that
    did not pass MFA for a user who has it is signed out (it came in some other way, e.g. the admin login)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> HttpResponse | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        match = request.resolver_match
        view_name = match.view_name if match else ""
        if not has_totp(user):
            request._mfa_verified = False
            if view_name in MFA_SETUP_VIEWS:
                return None
            security.event(request, "mfa_required", "redirected_to_setup")
            return redirect("mfa_activate_totp")
        if not session_passed_mfa(request):
            security.event(request, "mfa_missing_in_session", "logged_out")
            logout(request)
            return redirect_to_login(request.get_full_path())
        request._mfa_verified = True  # read by orgs.access for the rest of this request only
        return None


def clear_site_data_on_logout(get_response: Callable[[HttpRequest], HttpResponse]):
    """Signing out also tells the browser to drop its cache and storage, so Back shows no assessment data."""

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        match = getattr(request, "resolver_match", None)
        if request.method == "POST" and match is not None and match.url_name == "account_logout":
            response["Clear-Site-Data"] = '"cache", "storage"'
        return response

    return middleware
