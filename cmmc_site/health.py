"""``/healthz`` for load balancers and orchestrators: "ok" or 503, and nothing else.

200 when the database answers, every migration is applied and the cache table exists (the shared rate-limit
counters live there); 503 otherwise. The body never says which check failed, nor any version: the reason goes
to the log, which only operators read.

``HealthCheckMiddleware`` answers it near the top of MIDDLEWARE, before sessions, authentication, the HTTPS
redirect and the Host check: a probe never reads or sets a session or cookie, and a load balancer may probe
each app server by its address over plain HTTP.
"""

import logging
from collections.abc import Callable

from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)


def problem() -> str | None:
    """What is wrong, for the log; None when healthy."""
    try:
        executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])  # reads django_migrations: DB reachable
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            return "unapplied migrations"
        cache.get("healthz")  # fails if `createcachetable` was not run
    except Exception as exc:  # any failure means "not ready"; the type goes to the log
        return f"database check failed: {type(exc).__name__}"
    return None


@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    failure = problem()
    if failure:
        logger.warning("health check failed", extra={"event": "healthz", "error": failure})
    response = HttpResponse(
        "ok\n" if failure is None else "unavailable\n",
        status=200 if failure is None else 503,
        content_type="text/plain; charset=utf-8",
    )
    response["Content-Length"] = str(len(response.content))
    response["X-Content-Type-Options"] = "nosniff"
    add_never_cache_headers(response)
    patch_cache_control(response, no_store=True, private=True)
    return response


class HealthCheckMiddleware:
    PATH = "/healthz"

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info == self.PATH:
            return healthz(request)
        return self.get_response(request)
