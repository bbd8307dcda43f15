from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.core.ratelimit import respond_429
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from . import security


class AccountAdapter(DefaultAccountAdapter):
    def pre_authenticate(self, request: HttpRequest, **credentials) -> None:
        """Too many failed sign-ins (ACCOUNT_RATE_LIMITS["login_failed"], per IP and per address) answer 429, not a
        form error, so clients and monitoring see the limit for what it is."""
        try:
            super().pre_authenticate(request, **credentials)
        except ValidationError:
            security.event(request, "login", "rate_limited")
            raise ImmediateHttpResponse(respond_429(request)) from None
