"""Security events, one line each on the ``security`` logger (ASVS 16.2, 16.3).

Each line has the event, its outcome, keyed hashes of the user id and session key (``user``, ``sid``) and the
client IP; the UTC time and request id come from the JSON formatter (cmmc_site/request_logging.py). Nothing
secret is ever passed here: no password, code, recovery key, session key or note text.
"""

import hashlib
import hmac
import logging

from allauth.account import signals as account_signals
from allauth.mfa import signals as mfa_signals
from django.conf import settings
from django.contrib.auth import signals as auth_signals
from django.dispatch import receiver
from django.http import HttpRequest

from cmmc_site.ratelimit import client_ip

logger = logging.getLogger("security")


def pseudonym(value: object) -> str:
    """A stable, keyed hash: lines about the same user or session can be joined without exposing the id."""
    digest = hmac.new(settings.SECRET_KEY.encode(), str(value).encode(), hashlib.sha256).hexdigest()
    return digest[:16]


def _escape(value: object) -> str:
    # Newlines and other control characters in user input must not forge log lines.
    text = str(value)
    return text.encode("unicode_escape").decode("ascii").replace(" ", "_")[:200]


def event(request: HttpRequest | None, name: str, outcome: str, **fields: object) -> None:
    user_id = None
    session_key = None
    ip = "-"
    if request is not None:
        user = getattr(request, "user", None)
        if user is not None and getattr(user, "is_authenticated", False):
            user_id = user.pk
        session = getattr(request, "session", None)
        session_key = getattr(session, "session_key", None)
        ip = client_ip(request)
    if user_id is None and "user_id" in fields:
        user_id = fields.pop("user_id")
    fields.pop("user_id", None)
    parts = {
        "event": name,
        "outcome": outcome,
        "user": pseudonym(f"user:{user_id}") if user_id is not None else "-",
        "sid": pseudonym(f"session:{session_key}") if session_key else "-",
        "ip": ip,
    } | fields
    line = " ".join(f"{key}={_escape(value)}" for key, value in parts.items())
    logger.info(line, extra={"event": f"security.{name}"})


@receiver(auth_signals.user_logged_in)
def _logged_in(sender, request: HttpRequest | None, user, **kwargs) -> None:
    event(request, "login", "success", user_id=user.pk)


@receiver(auth_signals.user_logged_out)
def _logged_out(sender, request: HttpRequest | None, user, **kwargs) -> None:
    event(request, "logout", "success", user_id=getattr(user, "pk", None))


@receiver(auth_signals.user_login_failed)
def _login_failed(sender, credentials: dict, request: HttpRequest | None = None, **kwargs) -> None:
    # ``credentials`` holds the typed password: never log it, nor the typed address.
    event(request, "login", "failure")


@receiver(account_signals.password_changed)
def _password_changed(sender, request: HttpRequest, user, **kwargs) -> None:
    event(request, "password_change", "success", user_id=user.pk)


@receiver(account_signals.password_reset)
def _password_reset(sender, request: HttpRequest, user, **kwargs) -> None:
    event(request, "password_reset", "success", user_id=user.pk)


@receiver(mfa_signals.authenticator_used)
def _mfa_used(sender, request: HttpRequest, user, authenticator, **kwargs) -> None:
    event(request, "mfa", "success", user_id=user.pk, method=authenticator.type)


@receiver(mfa_signals.authentication_failed)
def _mfa_failed(sender, request: HttpRequest, user, authenticator, **kwargs) -> None:
    event(request, "mfa", "failure", user_id=user.pk, method=authenticator.type)


@receiver(mfa_signals.authenticator_added)
def _mfa_added(sender, request: HttpRequest, user, authenticator, **kwargs) -> None:
    event(request, "mfa_added", "success", user_id=user.pk, method=authenticator.type)


@receiver(mfa_signals.authenticator_removed)
def _mfa_removed(sender, request: HttpRequest, user, authenticator, **kwargs) -> None:
    event(request, "mfa_removed", "success", user_id=user.pk, method=authenticator.type)
