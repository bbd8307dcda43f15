"""The security events of signing in, out and MFA (allauth's and Django's signals), on the security log.

The log itself is the site layer's (cmmc_site/security_log.py); ``event`` and ``pseudonym`` are re-exported here,
where the apps call them (``from accounts import security``; ``security.event(...)``).
"""

from allauth.account import signals as account_signals
from allauth.mfa import signals as mfa_signals
from django.contrib.auth import signals as auth_signals
from django.dispatch import receiver
from django.http import HttpRequest

from cmmc_site.security_log import event, pseudonym

__all__ = ["event", "pseudonym"]


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
