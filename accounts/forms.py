from allauth.core import context
from allauth.core.internal.cryptokit import normalize_user_code
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.totp.forms import ActivateTOTPForm as BaseActivateTOTPForm
from django.core.cache import cache

from .mfa import ACTIVATED_SESSION_KEY


def mark_totp_code_used(user_id: int, code: str) -> None:
    """The code that activated TOTP must not log in a second time (allauth's own used-code key and window)."""
    normalised = normalize_user_code(code)
    timeout = mfa_settings.TOTP_PERIOD * (2 * mfa_settings.TOTP_TOLERANCE + 1)
    cache.add(f"allauth.mfa.totp.used?user={user_id}&code={normalised}", "y", timeout=timeout)


class ActivateTOTPForm(BaseActivateTOTPForm):
    def clean_code(self) -> str:
        code = super().clean_code()
        mark_totp_code_used(self.user.pk, code)
        # Entering a valid code proves possession: this session counts as MFA-verified (accounts/mfa.py).
        context.request.session[ACTIVATED_SESSION_KEY] = str(self.user.pk)
        return code
