"""Request bodies: refused by size before anything reads them, and uploads rate limited.

Django reads a body only when something asks for ``request.POST`` or ``request.FILES`` (the CSRF check does, for
every POST), and then spools a multipart body of any size to the temporary directory. So
``RequestBodyLimitMiddleware`` looks at the declared ``Content-Length`` first and answers 413 when it is over the
route's limit: ``MAX_REQUEST_BODY`` everywhere (a little above ``DATA_UPLOAD_MAX_MEMORY_SIZE``, so an ordinary form
that is too big still gets Django's own 400), more only on the upload routes below. A body without a
``Content-Length`` (chunked) gets 411 on every route: no form of ours sends one, and Django would read it as empty.

Each POST to an upload route also counts against ``UPLOAD_RATE_LIMIT`` per client address (429 with Retry-After):
an upload costs a parse and, for a diagram, a decode in a render process, whatever the outcome.

Nothing above this middleware in MIDDLEWARE reads a body (``/csp-report/`` reads at most its own 16 KB), and the
header middlewares above it put the usual security headers on its refusals. The proxy in front should refuse
bodies above the largest limit itself (README, Deploying: client_max_body_size).
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import Resolver404, resolve

from . import ratelimit

# Room for the multipart framing and the form's other fields around the file. A file a little over its limit is
# still read, so that its form can say so next to the field; only one far over it gets the bare 413.
UPLOAD_SLACK = 1024 * 1024


# The routes that take a file (by URL name) and the largest file each accepts. The apps that own them register
# them in their AppConfig.ready(): the site layer imports no app.
UPLOADS: dict[str, int] = {}
# Of those, the routes whose form carries a file only sometimes (a page with a file field among others): they count
# an upload themselves, when a file came (count_upload), so saving such a page without one is never "too many".
COUNTED_BY_VIEW: set[str] = set()


def register_upload(route: str, max_file_bytes: int, *, counted_by_view: bool = False) -> None:
    UPLOADS[route] = max_file_bytes
    if counted_by_view:
        COUNTED_BY_VIEW.add(route)


def upload_file_limits() -> dict[str, int]:
    return UPLOADS


def body_limit(route: str) -> int:
    file_limit = upload_file_limits().get(route)
    return settings.MAX_REQUEST_BODY if file_limit is None else max(settings.MAX_REQUEST_BODY,
                                                                     file_limit + UPLOAD_SLACK)


def largest_body_limit() -> int:
    """What the proxy in front must let through (README, Deploying)."""
    return max(body_limit(route) for route in ["", *upload_file_limits()])


def _route(request: HttpRequest) -> str:
    try:
        return resolve(request.path_info).view_name
    except Resolver404:
        return ""


class RequestBodyLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "HTTP_TRANSFER_ENCODING" in request.META:
            return _plain(411, "A request body needs a Content-Length header.")
        declared = request.META.get("CONTENT_LENGTH") or "0"
        if not (declared.isascii() and declared.isdigit()):
            return _plain(400, "The Content-Length header is not a number.")
        length = int(declared)
        if length <= settings.MAX_REQUEST_BODY and request.method != "POST":
            return self.get_response(request)  # the common case: no URL resolved here
        route = _route(request)
        if length > body_limit(route):
            return _too_large(request, upload_file_limits().get(route))
        if request.method == "POST" and route in upload_file_limits() and route not in COUNTED_BY_VIEW:
            if refused := count_upload(request):
                return refused
        return self.get_response(request)


def count_upload(request: HttpRequest) -> HttpResponse | None:
    """Count one upload against ``UPLOAD_RATE_LIMIT``: the 429 to answer when it is one too many, else None."""
    limit, window = settings.UPLOAD_RATE_LIMIT
    if not ratelimit.hit("upload", ratelimit.client_ip(request), limit=limit, window=window):
        return ratelimit.too_many(render(request, "429.html", status=429), window)
    return None


def _too_large(request: HttpRequest, file_limit: int | None) -> HttpResponse:
    # The body is never read, so the form behind it cannot show its error: the page says what the route accepts.
    response = render(request, "413.html", {"file_limit_mb": file_limit // 2**20 if file_limit else None},
                      status=413)
    response["Cache-Control"] = "no-store"
    return response


def _plain(status: int, message: str) -> HttpResponse:
    return HttpResponse(message + "\n", status=status, content_type="text/plain; charset=utf-8")
