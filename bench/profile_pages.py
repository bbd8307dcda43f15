"""Where a request's time goes: the bench's pages called in-process through the whole WSGI stack (every middleware,
the session, the access log line), timed and profiled with cProfile. Not part of `make bench`; run it alone:

    python bench/profile_pages.py                 # every page, 200 timed requests each
    python bench/profile_pages.py questionnaire   # one page, with its cProfile listing
    PROFILE_REQUESTS=500 python bench/profile_pages.py

It uses bench/load.py's database (``BENCH_DATABASE_URL``, else postgres://postgres@127.0.0.1:5432/bench; recreated)
and data, and the server's settings (DEBUG off, LOG_LEVEL=INFO, persistent connection). For each page it prints:

- ms per request through the WSGI handler (what a gunicorn worker runs, minus gunicorn's HTTP parsing);
- ms of the view alone (the view function with the request the middleware prepared), and the difference, which is
  the middleware, the session and the access log;
- the self CPU time (cProfile "tottime", timed with the thread's CPU clock: waiting for PostgreSQL is not counted)
  grouped by where it is spent: templates, database driver, ORM, sessions, logging, middleware, forms, the view's
  own code, the standard library (mostly copy for forms, html.escape for templates), the rest;
- with one page named, cProfile's top functions by cumulative and by self time.

cProfile slows Python code down (roughly 2x), unevenly; the groups are shares, the plain timings come from runs
without the profiler.
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load import (  # noqa: E402  (the path above first)
    SAVE_REQUIREMENTS,
    database_url,
    make_fixture,
    recreate_database,
    server_env,
)

REQUESTS = int(os.environ.get("PROFILE_REQUESTS", "200"))

# Self time grouped by the file it is spent in: the first group whose marker is in the path wins.
GROUPS = (
    ("templates", ("django/template/", "templatetags/", "django/templatetags/", "django/utils/html.py",
                   "django/utils/safestring.py", "django/utils/functional.py", "django/utils/formats.py",
                   "django/utils/dateformat.py", "django/template_partials")),
    ("forms", ("django/forms/",)),
    ("database driver", ("psycopg/", "psycopg_binary", "sqlite3")),
    ("ORM", ("django/db/",)),
    ("sessions", ("django/contrib/sessions/", "django/core/signing.py")),
    ("logging", ("logging/", "request_logging.py", "json/")),
    ("URL resolving", ("django/urls/",)),
    ("middleware", ("/middleware", "django/middleware/", "whitenoise/", "allauth/", "django_htmx/",
                    "simple_history/", "cmmc_site/", "accounts/", "django/utils/cache.py", "django/utils/csp.py")),
    ("HTTP (request/response)", ("django/http/", "django/core/handlers/", "wsgiref/", "urllib/", "http/cookies")),
    ("scoring and the view's code", ("assessments/", "controls/", "orgs/", "guidance/", "iso27001/", "ssp/",
                                     "timeline/")),
)


def group_of(filename: str) -> str:
    for name, markers in GROUPS:
        if any(marker in filename for marker in markers):
            return name
    return "Python's standard library (copy, html, re, ...)" if "/lib/python" in filename else "other"


def setup(url: str) -> None:
    import warnings

    warnings.filterwarnings("ignore", message="No directory at")
    os.environ.update(server_env(url))  # LOG_LEVEL=INFO: the access line is part of the cost, as under gunicorn
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    call_command("createcachetable", verbosity=0)
    call_command("load_catalog", verbosity=0)
    call_command("load_iso_mapping", verbosity=0)


class Wsgi:
    """Requests through Django's WSGI handler, as gunicorn's worker makes them."""

    def __init__(self) -> None:
        from django.core.handlers.wsgi import WSGIHandler

        self.handler = WSGIHandler()

    def environ(self, method: str, path: str, cookie: str, body: bytes = b"", headers: dict | None = None) -> dict:
        environ = {
            "REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": "127.0.0.1", "HTTP_COOKIE": cookie, "HTTP_ACCEPT": "text/html",
            "HTTP_ACCEPT_ENCODING": "gzip, deflate", "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr, "wsgi.multithread": True, "wsgi.multiprocess": True, "wsgi.run_once": False,
            "wsgi.version": (1, 0), "CONTENT_LENGTH": str(len(body)),
        }
        if body:
            environ["CONTENT_TYPE"] = "application/x-www-form-urlencoded"
        for name, value in (headers or {}).items():
            environ["HTTP_" + name.upper().replace("-", "_")] = value
        return environ

    def __call__(self, environ: dict) -> tuple[int, bytes]:
        status: list[str] = []
        result = self.handler(environ, lambda s, h, exc_info=None: status.append(s))
        body = b"".join(result)
        if hasattr(result, "close"):
            result.close()
        return int(status[0].split()[0]), body


def pages(fixture) -> dict:
    """name -> function(i) making one request's environ (i: the request's number)."""
    import re

    from django.urls import reverse

    wsgi = Wsgi()
    family = reverse("assessments:family", args=[fixture.public_id, "AC"])
    results = reverse("assessments:results", args=[fixture.public_id])
    catalog = reverse("controls:catalog")
    nist = SAVE_REQUIREMENTS[0]
    answer = reverse("assessments:answer", args=[fixture.public_id, nist])
    field = "r" + nist.replace(".", "-")
    version = {"v": fixture.versions[nist]}
    pattern = re.compile(rf'name="{field}-version"[^>]*?value="(\d+)"'.encode())

    def get(path: str, cookie: str):
        return lambda i: wsgi(wsgi.environ("GET", path, cookie))

    def save(i: int):
        body = f"{field}-status=met&{field}-note=profile+note+{i}&{field}-version={version['v']}".encode()
        status, content = wsgi(wsgi.environ("POST", answer, fixture.anonymous_cookie, body, {
            "X-CSRFToken": fixture.csrf, "HX-Request": "true"}))
        found = pattern.search(content)
        if found:
            version["v"] = int(found.group(1))
        return status, content

    return {
        "bare": get("/bench/bare/", ""),
        "catalog": get(catalog, ""),
        "questionnaire": get(family, fixture.anonymous_cookie),
        "results": get(results, fixture.anonymous_cookie),
        "dashboard": get(reverse("orgs:dashboard"), fixture.member_cookie),
        "answer save": save,
    }


def view_only(fixture, name: str):
    """The same page's view function alone, on a request the middleware has prepared (None: no such page)."""
    from django.conf import settings
    from django.contrib.auth.models import AnonymousUser
    from django.contrib.sessions.backends.db import SessionStore
    from django.test import RequestFactory
    from django.urls import resolve, reverse

    paths = {
        "catalog": reverse("controls:catalog"),
        "questionnaire": reverse("assessments:family", args=[fixture.public_id, "AC"]),
        "results": reverse("assessments:results", args=[fixture.public_id]),
    }
    if name not in paths:
        return None
    session_key = fixture.anonymous_cookie.split(f"{settings.SESSION_COOKIE_NAME}=", 1)[1].split(";", 1)[0]
    factory = RequestFactory()
    match = resolve(paths[name])

    def call(i: int):
        request = factory.get(paths[name])
        request.session = SessionStore(session_key)
        request.user = AnonymousUser()
        request.htmx = False
        request._csp_nonce = "n"
        request.resolver_match = match
        response = match.func(request, *match.args, **match.kwargs)
        return response.status_code, response.content

    return call


def timed(call, n: int) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU milliseconds (this thread's: the Python side, not PostgreSQL's) of each request."""
    wall, cpu = [], []
    for i in range(n):
        started, started_cpu = time.perf_counter(), time.thread_time()
        status, _ = call(i)
        cpu.append((time.thread_time() - started_cpu) * 1000)
        wall.append((time.perf_counter() - started) * 1000)
        assert status == 200, status
    return wall, cpu


def profile(call, n: int) -> pstats.Stats:
    # CPU time, not wall-clock time: a query's wait for PostgreSQL (or for a core, on a busy machine) is not this
    # process's work.
    profiler = cProfile.Profile(time.thread_time)
    profiler.enable()
    for i in range(n):
        call(i)
    profiler.disable()
    return pstats.Stats(profiler)


def grouped(stats: pstats.Stats) -> dict[str, float]:
    """Self time by group; a built-in function's (a C function: str.join, a cursor's execute) goes to the groups of
    the Python functions that called it, in proportion."""
    totals: dict[str, float] = defaultdict(float)
    for (filename, _line, _func), (_cc, _nc, tottime, _ct, callers) in stats.stats.items():
        if filename != "~":
            totals[group_of(filename)] += tottime
            continue
        shares = {caller: values[2] for caller, values in callers.items()}
        whole = sum(shares.values())
        if not whole:
            totals["other"] += tottime
            continue
        for (caller_file, _l, _f), share in shares.items():
            totals[group_of(caller_file) if caller_file != "~" else "other"] += tottime * share / whole
    return totals


def main() -> int:
    wanted = sys.argv[1:]
    url = database_url()
    recreate_database(url)
    setup(url)
    fixture = make_fixture()
    from django.db import connection

    connection.close()
    calls = pages(fixture)
    names = [n for n in calls if not wanted or n in wanted or n == "bare"]
    real_stdout = sys.stdout
    log = open(os.devnull, "w")  # the access lines: one JSON line per request, written as under gunicorn
    report: list[str] = []
    for name in names:
        call = calls[name]
        sys.stdout = log
        try:
            timed(call, 20)  # warm-up: templates compiled and cached, connection open
            view = view_only(fixture, name)
            whole, whole_cpu, alone, alone_cpu = [], [], [], []
            for _ in range(10):  # interleaved, so that a busy moment of the machine hits both alike
                wall, cpu = timed(call, REQUESTS // 10)
                whole += wall
                whole_cpu += cpu
                if view:
                    wall, cpu = timed(view, REQUESTS // 10)
                    alone += wall
                    alone_cpu += cpu
            stats = profile(call, min(REQUESTS, 100))
        finally:
            sys.stdout = real_stdout
        median = statistics.median
        line = (f"{name:<14} whole stack {median(whole):6.1f} ms wall, {median(whole_cpu):6.1f} ms CPU")
        if alone:
            line += (f"; view alone {median(alone):6.1f} ms wall, {median(alone_cpu):6.1f} ms CPU; the rest "
                     f"{median(whole_cpu) - median(alone_cpu):5.1f} ms CPU")
        report.append(line)
        totals = grouped(stats)
        total = sum(totals.values())
        for group, seconds in sorted(totals.items(), key=lambda kv: -kv[1]):
            if seconds / total >= 0.01:
                report.append(f"    {group:<40} {100 * seconds / total:5.1f} %")
        if wanted and name != "bare":
            out = io.StringIO()
            stats.stream = out
            stats.sort_stats("cumulative").print_stats(45)
            stats.sort_stats("tottime").print_stats(30)
            report.append(out.getvalue())
    print("\n".join(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
