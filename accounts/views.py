from django.http import HttpRequest, HttpResponse
from django.views.csrf import csrf_failure as django_csrf_failure

from . import security


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """Django's 403 page, plus one security event (the reason is Django's fixed text, never request data)."""
    security.event(request, "csrf", "rejected", reason=reason)
    return django_csrf_failure(request, reason=reason)
