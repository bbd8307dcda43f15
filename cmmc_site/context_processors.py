from django.conf import settings
from django.http import HttpRequest


def csrf_cookie_name(request: HttpRequest) -> dict[str, str]:
    # static/js/app.js reads the current CSRF token from this cookie (its name is __Host-csrftoken in production).
    return {"csrf_cookie_name": settings.CSRF_COOKIE_NAME}
