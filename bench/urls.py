"""The site's URLs plus the bench's baseline view; selected only by `make bench` (ROOT_URLCONF=bench.urls)."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def bare(request: HttpRequest) -> HttpResponse:
    """The baseline: the whole middleware stack, no template, no query."""
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [
    path("bench/bare/", bare),
    path("", include("cmmc_site.urls")),
]
