from dataclasses import dataclass

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.core.ratelimit import respond_429
from allauth.mfa.adapter import DefaultMFAAdapter
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from cmmc_site import links

from . import mfa_secrets, security


@dataclass(frozen=True)
class EmailSite:
    """What allauth's email templates read as ``current_site``, from SITE_URL instead of the request's Host."""

    domain: str
    name: str = "CMMC Ready"


class AccountAdapter(DefaultAccountAdapter):
    def pre_authenticate(self, request: HttpRequest, **credentials) -> None:
        """Too many failed sign-ins (ACCOUNT_RATE_LIMITS["login_failed"], per IP and per address) answer 429, not a
        form error, so clients and monitoring see the limit for what it is."""
        try:
            super().pre_authenticate(request, **credentials)
        except ValidationError:
            security.event(request, "login", "rate_limited")
            raise ImmediateHttpResponse(respond_429(request)) from None

    # Links in emails are on SITE_URL, never on the Host the request came with (cmmc_site/links.py): the key in a
    # password-reset or confirmation link must not go to a port of the requester's choosing.
    def get_email_confirmation_url(self, request: HttpRequest, emailconfirmation) -> str:
        return links.on_site(super().get_email_confirmation_url(request, emailconfirmation))

    def get_reset_password_from_key_url(self, key: str) -> str:
        return links.on_site(super().get_reset_password_from_key_url(key))

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        # Every allauth email passes here: its other links (sign-up, password reset) and its footer's domain too.
        context = {name: links.on_site(value) if links.is_absolute(value) else value
                   for name, value in context.items()}
        context["current_site"] = EmailSite(domain=links.site_domain())
        super().send_mail(template_prefix, email, context)


class MFAAdapter(DefaultMFAAdapter):
    """allauth stores the TOTP secret and the recovery-code seed through these hooks: encrypted at rest
    (accounts/mfa_secrets.py), so a database dump or backup alone does not give anyone's second factor."""

    def encrypt(self, text: str) -> str:
        return mfa_secrets.encrypt(text)

    def decrypt(self, encrypted_text: str) -> str:
        return mfa_secrets.decrypt(encrypted_text)
