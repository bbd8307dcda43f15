"""Load test: the production setup (gunicorn, 2 workers, PostgreSQL) under wrk, on loopback only. Run by `make bench`.

    python bench/load.py          # or through bench/run.py; BENCH_DURATION=5 (seconds per measure) by default

What it does, bounded in time (about 6-8 minutes, never more than ``DEADLINE``):

1. (Re)creates its own PostgreSQL database: ``BENCH_DATABASE_URL``, else ``DATABASE_URL`` if it is PostgreSQL,
   else postgres://postgres@127.0.0.1:5432/bench. The name must start with "bench": the run drops and recreates it.
   Then the steps of deploy/prepare.sh (migrate, cache table, catalog, ISO mapping), and the data: a complete
   Level 2 assessment (all 110 answered) started through the real view, its SSP, and a signed-in (password + TOTP)
   user whose organisation has 20 assessments.
2. Starts gunicorn with cmmc_site/gunicorn.conf.py (2 workers x 4 threads, persistent DB connections, a listening
   socket per worker: WEB_REUSE_PORT) on a free 127.0.0.1 port, with ROOT_URLCONF=bench.urls: the site plus a bare
   view (the baseline; no public URL has it).
3. Runs wrk (-t2 -c8, 5 s each) against: the catalog, the questionnaire page of the complete assessment (Access
   Control, the largest family), its results page and the dashboard, each right after the bare view, in
   ``BENCH_ROUNDS`` (3) rounds: bare, catalog, bare, questionnaire, ..., bare, answer saves; then again. A page's
   ratio is the median of its rounds' ratios to the bare run just before it, printed with their spread (half their
   range over the median). Answer saves: wrk POSTs as the
   questionnaire's htmx form does (CSRF header, HX-Request), one requirement per wrk thread and one connection
   per thread, each thread sending the version it read back from the previous response (bench/wrk_save.lua), so
   every save is a real optimistic-locking write and a 409 would be a real conflict (each round starts from the
   stored versions). Then an SSP burst: 24
   "generate" POSTs at once (a DOCX and a PDF render each), sent from Python threads and each waited for, since a
   render outlasts a wrk run; the guards answer 503 (busy) and 429 (rate), counted apart from crashes.
4. The data-scale run: 10,000 more assessments (1,000 of them with all 110 answers, 1,000 in 50 other
   organisations), then the results page and the dashboard again, interleaved in the same way: same query count,
   same ratio to the bare view.

Prints a table: medians of requests/s and p50/p99 latency, the ratio to the bare view and its spread, the CPU time
per request of gunicorn's workers and of the database's backends (from /proc: where a request's time goes besides
waiting for a core), 5xx (must be 0) and other non-2xx, and the peak RSS of a gunicorn worker. Exit status 1 if any
5xx (a guard's 503 excepted) or a query count changed with the data. The machine's other work moves requests/s
between runs; the ratios, taken from runs seconds apart, move much less.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

# Sibling modules: this file runs as a script (python bench/load.py), so bench/ is on sys.path.
from measure import Measure, print_table
from procfs import worker_pids
from wrk import BARE_PATH, CONNECTIONS, DURATION, ROUNDS, Target, burst, interleaved, remaining

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bench"
SCALE_ASSESSMENTS = 10_000
SCALE_COMPLETE = 1_000  # of which this many get all 110 answers
ORG_ASSESSMENTS = 20
SECRET_KEY = "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
SAVE_REQUIREMENTS = ("3.1.1", "3.1.2", "3.1.3", "3.1.4", "3.1.5", "3.1.6", "3.1.7", "3.1.8")


def database_url() -> str:
    url = os.environ.get("BENCH_DATABASE_URL") or ""
    if not url and os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        url = os.environ["DATABASE_URL"]
    url = url or DEFAULT_URL
    name = urllib.parse.urlsplit(url).path.lstrip("/")
    if not url.startswith(("postgres://", "postgresql://")) or not name.startswith("bench"):
        sys.exit(f"bench: needs a PostgreSQL database whose name starts with 'bench' (it is recreated): {name!r}")
    return url


def recreate_database(url: str) -> None:
    import psycopg

    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def server_env(url: str) -> dict[str, str]:
    return {
        "DATABASE_URL": url,
        "SECRET_KEY": SECRET_KEY,  # the bench process writes the sessions gunicorn reads
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1,testserver",
        "ROOT_URLCONF": "bench.urls",
        "DJANGO_SETTINGS_MODULE": "cmmc_site.settings",
        "WEB_CONCURRENCY": "2",
        "WEB_THREADS": "4",
        "WEB_MAX_REQUESTS": "0",  # no worker recycling in the middle of a measure
        # wrk opens its 8 connections at once: on one shared socket they sometimes all went to one worker, and that
        # run measured one core (the bare view at 1,100 instead of 2,800 req/s). The kernel spreads them instead.
        "WEB_REUSE_PORT": "true",
        "CONN_MAX_AGE": "60",  # as in production (README): no new connection per request
        "LOG_LEVEL": "INFO",  # the JSON access line per request is part of the cost
        "PYTHONWARNINGS": "ignore:No directory at",  # no collectstatic here: WhiteNoise serves from the finders
    }


def setup_django(url: str) -> None:
    import warnings

    warnings.filterwarnings("ignore", message="No directory at")
    os.environ.update(server_env(url) | {"LOG_LEVEL": "ERROR"})
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    call_command("createcachetable", verbosity=0)
    call_command("load_catalog", verbosity=0)
    call_command("load_iso_mapping", verbosity=0)  # as deploy/prepare.sh: the questionnaire shows its hints


# --- Data ---


@dataclass
class Fixture:
    public_id: str
    anonymous_cookie: str  # the owner's session + CSRF cookies
    member_cookie: str
    csrf: str
    versions: dict[str, int]
    has_ssp: bool
    clients: dict = field(default_factory=dict)


def make_fixture() -> Fixture:
    from django.conf import settings
    from django.test import Client
    from django.urls import NoReverseMatch, reverse
    from django.utils.crypto import get_random_string

    from assessments.models import Answer, Assessment
    from controls.models import Requirement

    owner = Client()
    response = owner.post(reverse("assessments:start"), {
        "organization_name": "Bench Complete", "target_level": "l2", "scope": "enterprise", "has_ssp": "yes"})
    assert response.status_code == 302, response.status_code
    assessment = Assessment.objects.get(organization_name="Bench Complete")
    answered = set(Answer.objects.filter(assessment=assessment).values_list("requirement_id", flat=True))
    Answer.objects.bulk_create(
        Answer(assessment=assessment, requirement=r, status="met", note=f"Bench note for {r.nist_id}.",
               responsible="IT lead") for r in Requirement.objects.exclude(pk__in=answered))
    assert Answer.objects.filter(assessment=assessment).exclude(status="").count() == 110

    has_ssp = False
    try:
        ssp_start = reverse("ssp:start", args=[assessment.public_id])
    except NoReverseMatch:
        ssp_start = ""
    if ssp_start:
        has_ssp = owner.post(ssp_start).status_code == 302

    csrf = get_random_string(32)  # an unmasked CSRF secret: valid as both the cookie and the header
    session = owner.cookies[settings.SESSION_COOKIE_NAME].value
    cookie = f"{settings.SESSION_COOKIE_NAME}={session}; {settings.CSRF_COOKIE_NAME}={csrf}"
    versions = dict(Answer.objects.filter(assessment=assessment, requirement__nist_id__in=SAVE_REQUIREMENTS)
                    .values_list("requirement__nist_id", "version"))
    member = signed_in_member()
    member_cookie = f"{settings.SESSION_COOKIE_NAME}={member.cookies[settings.SESSION_COOKIE_NAME].value}"
    return Fixture(assessment.public_id, cookie, member_cookie, csrf, versions, has_ssp,
                   clients={"owner": owner, "member": member})


def signed_in_member():
    """A user with TOTP whose session passed password + TOTP (tests/personas.py), in an org of 20 assessments."""
    from tests.personas import make_assessment, make_org, make_user, signed_in

    user = make_user("bench-owner@example.com")
    org = make_org("Bench Org", owner=[user])
    for i in range(ORG_ASSESSMENTS):
        make_assessment(org, f"Bench Org assessment {i}")
    return signed_in(user)


def scale_up() -> float:
    """10,000 more assessments, 1,000 of them complete and 1,000 in 50 other organisations; returns seconds."""
    from assessments.models import Answer, Assessment
    from controls.models import Requirement
    from orgs.models import Organization

    started = time.monotonic()
    orgs = Organization.objects.bulk_create(Organization(name=f"Scale Org {i}") for i in range(50))
    assessments = Assessment.objects.bulk_create(
        (Assessment(organization_name=f"Scale {i}", organization=orgs[i % 50] if i < 1000 else None)
         for i in range(SCALE_ASSESSMENTS)), batch_size=2000)
    requirements = list(Requirement.objects.all())
    statuses = ("met", "not_met", "met", "partial", "na", "met")
    batch: list[Answer] = []
    for n, assessment in enumerate(assessments[:SCALE_COMPLETE]):
        for i, requirement in enumerate(requirements):
            status = statuses[(n + i) % len(statuses)]
            if status == "partial" and requirement.partial_points is None:
                status = "not_met"
            batch.append(Answer(assessment=assessment, requirement=requirement, status=status,
                                justification="Bench." if status == "na" else ""))
        if len(batch) >= 10_000:
            Answer.objects.bulk_create(batch)
            batch = []
    Answer.objects.bulk_create(batch)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return time.monotonic() - started


def query_count(client, url: str) -> int:
    """Queries of a repeat visit (a first visit may also write the session, e.g. the last-seen time)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(captured.captured_queries)


# --- gunicorn and /proc ---


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(url: str, port: int, log: Path) -> subprocess.Popen:
    env = os.environ | server_env(url) | {"BIND": f"127.0.0.1:{port}", "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "cmmc_site/gunicorn.conf.py", "cmmc_site.wsgi"],
        cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True,
    )
    import http.client

    deadline = time.monotonic() + min(90, remaining())
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited:\n{log.read_text()[-3000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200 and len(worker_pids(process.pid)) == 2:
                break
        except OSError:
            pass
        time.sleep(0.3)
    else:
        raise RuntimeError(f"gunicorn did not become healthy:\n{log.read_text()[-3000:]}")
    # /healthz answers before the URLconf is imported; a worker's first routed request imports every view
    # module (WeasyPrint included). Let every thread of both workers do that before anything is measured.
    def first_requests() -> None:
        for _ in range(6):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=min(120, remaining()))
            conn.request("GET", BARE_PATH)
            assert conn.getresponse().status == 200
            conn.close()

    warmers = [threading.Thread(target=first_requests) for _ in range(8)]
    for thread in warmers:
        thread.start()
    for thread in warmers:
        thread.join()
    return process


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


def save_versions(fixture: Fixture) -> str:
    """The saved requirements' current versions, as wrk_save.lua reads them (each round starts from the stored ones)."""
    from assessments.models import Answer

    versions = dict(Answer.objects.filter(assessment__public_id=fixture.public_id,
                                          requirement__nist_id__in=SAVE_REQUIREMENTS)
                    .values_list("requirement__nist_id", "version"))
    return ",".join(f"{nist}={versions[nist]}" for nist in SAVE_REQUIREMENTS)


def main() -> int:
    if shutil.which("wrk") is None:
        sys.exit("bench: wrk is required (Debian: apt-get install wrk; .ci/run installs it)")
    url = database_url()
    database = urllib.parse.urlsplit(url).path[1:]
    print(f"bench/load.py: gunicorn (2 workers x 4 threads) on PostgreSQL {database!r}, wrk -c{CONNECTIONS}, "
          f"{DURATION:g} s per measure, {ROUNDS} interleaved rounds, 127.0.0.1 only", flush=True)
    started = time.monotonic()
    recreate_database(url)
    setup_django(url)
    fixture = make_fixture()
    from django.core.cache import cache
    from django.db import connection
    from django.urls import reverse

    from assessments.models import Assessment

    pages = {
        "catalog": reverse("controls:catalog"),
        "questionnaire (AC, 110 answered)": reverse("assessments:family", args=[fixture.public_id, "AC"]),
        "results (110 answered)": reverse("assessments:results", args=[fixture.public_id]),
        "dashboard (org of 20)": reverse("orgs:dashboard"),
    }
    cookies = {name: fixture.member_cookie if name.startswith("dashboard") else fixture.anonymous_cookie
               for name in pages}
    clients = {name: fixture.clients["member" if name.startswith("dashboard") else "owner"] for name in pages}
    targets = [Target(name, path, args=lambda cookie=cookies[name]: [cookie],
                      queries=query_count(clients[name], path)) for name, path in pages.items()]
    save_prefix = reverse("assessments:answer", args=[fixture.public_id, "3.1.1"]).rsplit("3.1.1/", 1)[0]
    targets.append(Target(  # each round starts from the versions stored by the one before
        "answer save (htmx POST)", save_prefix, "wrk_save.lua", threads=len(SAVE_REQUIREMENTS),
        connections=len(SAVE_REQUIREMENTS),
        args=lambda: [save_prefix, fixture.anonymous_cookie, fixture.csrf, save_versions(fixture)]))
    connection.close()
    print(f"setup (database, catalog, data): {time.monotonic() - started:.0f} s", flush=True)

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = Path(tempfile.mkdtemp(prefix="bench-")) / "gunicorn.log"
    process = start_gunicorn(url, port, log)
    rows: list[Measure] = []
    failures: list[str] = []
    try:
        master = process.pid
        bare, measured = interleaved(master, base, database, targets)
        connection.close()
        rows += [bare, *measured]
        save = measured[-1]
        conflicts = save.statuses.get(409, 0)
        save.note = f"{conflicts} version conflicts (409); every 200 is a committed write"
        if conflicts or not save.statuses.get(200):
            failures.append(f"answer saves: {conflicts} conflicts, {save.statuses.get(200, 0)} saved")

        if fixture.has_ssp:
            cache.clear()  # fresh render rate-limit counters
            connection.close()
            body = f"csrfmiddlewaretoken={fixture.csrf}&label=b{{n}}&description=bench&made_by=bench"
            size = 24
            ssp = burst(master, f"SSP generate burst ({size} at once)", port,
                        reverse("ssp:generate", args=[fixture.public_id]), fixture.anonymous_cookie, body, size)
            s = ssp.statuses
            ssp.note = (f"DOCX+PDF each: {s.get(302, 0)} generated, {s.get(503, 0)} busy (503), "
                        f"{s.get(429, 0)} rate-limited (429); peak render process RSS {ssp.render_mb:.0f} MB")
            rows.append(ssp)
        else:
            print("(no SSP app: the SSP burst is skipped)")

        # --- data scale ---
        seconds = scale_up()
        connection.close()
        total = Assessment.objects.count()
        print(f"data scale: {total} assessments now ({SCALE_COMPLETE} more complete), created in {seconds:.0f} s",
              flush=True)
        scaled = [t for t in targets if t.name in ("results (110 answered)", "dashboard (org of 20)")]
        for target in scaled:
            target.queries = query_count(clients[target.name], target.path)
        connection.close()
        bare2, after_rows = interleaved(master, base, database, scaled, label=f" @{total}")
        rows.append(bare2)
        for after in after_rows:
            before = next(r for r in rows if after.name.startswith(r.name))
            after.note = (f"queries {before.queries} -> {after.queries}; ratio to bare "
                          f"{before.ratio:.3f} -> {after.ratio:.3f}")
            if after.queries != before.queries:
                failures.append(f"{before.name}: {before.queries} queries before, {after.queries} with {total}")
            rows.append(after)
    finally:
        stop(process)

    print()
    for row in rows:
        row.baseline = row.baseline or bare.rps
    print_table(rows)
    print(f"\nratio = requests/s over the bare view's measured just before, median of {ROUNDS} rounds (spread: half the"
          f"\nrange over the median); req/s, p50, p99: medians of the rounds; CPU ms, DB ms: CPU time per request of"
          f"\nthe gunicorn workers and of PostgreSQL's backends; CPU ratio: the bare view's CPU ms + DB ms over the"
          f"\nmeasure's, in the same rounds (what a request costs, whatever share of the machine the server got);"
          f"\nworker MB = peak RSS of one gunicorn worker; gunicorn log: {log};"
          f" total {time.monotonic() - started:.0f} s")
    crashes = [f"{r.name}: {r.server_errors} 5xx" for r in rows if r.server_errors]
    for problem in crashes + failures:
        print(f"FAIL {problem}")
    return 1 if crashes or failures else 0


if __name__ == "__main__":
    sys.exit(main())
