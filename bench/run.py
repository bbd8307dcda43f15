"""Throughput of the questionnaire page and the answer save, against a bare template view, under a real server.

Run by ``make bench``. Everything stays on 127.0.0.1 and in a temporary directory, and the whole run is bounded
(about 30-45 s). It prints:

- requests/s for three requests, each as a ratio to the baseline measured in the same run under the same server:
  * baseline: the home page with no session, which renders a template (base layout included) and makes no
    query; the closest existing view to "a bare Django template view" (no bench-only URL exists in production);
  * the questionnaire page (Access Control, the largest family: 22 requirements) of a complete 110-answer
    assessment;
  * the answer save (an htmx POST of one answer that returns its block, score box and progress);
- the number of queries of the questionnaire page and of the answer save with 0 (or 1) answers and with all 110,
  which must be equal: the run fails otherwise.

The server is Django's own (``manage.py runserver --noreload``, threaded) on a free loopback port, over a
temporary SQLite database prepared by migrate + createcachetable + load_catalog. Absolute numbers depend on the
machine; the ratios are what to compare between runs. ``bench/ssp_render.py`` runs afterwards when it exists.
"""

import http.client
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEADLINE = time.monotonic() + 55  # the whole run, setup included
PER_MEASURE_SECONDS = 6.0
PER_MEASURE_MAX = 400
WARMUP = 10


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def setup_django(db_path: Path) -> None:
    # WhiteNoise serves through the finders here; STATIC_ROOT exists only after collectstatic.
    warnings.filterwarnings("ignore", message="No directory at")
    os.environ["DATABASE_URL"] = f"sqlite:///{db_path}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cmmc_site.settings")
    os.environ.setdefault("LOG_LEVEL", "ERROR")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    call_command("createcachetable", verbosity=0)
    call_command("load_catalog", verbosity=0)


def new_assessment(name: str):
    """An assessment started through the real view by an in-process client; returns (client, assessment)."""
    from django.test import Client
    from django.urls import reverse

    from assessments.models import Assessment

    client = Client()
    client.get(reverse("assessments:start"))
    response = client.post(reverse("assessments:start"), {
        "organization_name": name, "target_level": "l2", "scope": "enterprise", "has_ssp": "yes"})
    assert response.status_code == 302, response.status_code
    return client, Assessment.objects.get(organization_name=name)


def fill(assessment, *, leave: tuple[str, ...] = ()) -> None:
    from assessments.models import Answer
    from controls.models import Requirement

    done = set(Answer.objects.filter(assessment=assessment).values_list("requirement__nist_id", flat=True))
    Answer.objects.bulk_create(Answer(assessment=assessment, requirement=r, status="met")
                               for r in Requirement.objects.exclude(nist_id__in=done | set(leave)))


def count_queries(client, method: str, url: str, data: dict | None = None) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = getattr(client, method)(url, data or {}, HTTP_HX_REQUEST="true") if method == "post" \
            else client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(captured.captured_queries)


def query_counts() -> list[tuple[str, int, int]]:
    """(what, queries with 0 or 1 answers, queries with all 110) for the page and both kinds of save."""
    from django.urls import reverse

    from assessments.models import Answer
    from controls.snapshot import current

    current()  # the catalog in memory, as in a running server: no count below includes reading it
    empty_client, empty = new_assessment("Counting: empty")
    Answer.objects.filter(assessment=empty).delete()  # not even the intake's 3.12.4
    full_client, full = new_assessment("Counting: full")
    fill(full, leave=("3.1.1",))

    def family(a):
        return reverse("assessments:family", args=[a.public_id, "AC"])

    def save(a):
        return reverse("assessments:answer", args=[a.public_id, "3.1.1"])

    rows = [("questionnaire page (AC)", count_queries(empty_client, "get", family(empty)), None)]
    first = count_queries(empty_client, "post", save(empty), {"r3-1-1-status": "met", "r3-1-1-version": 0})
    last = count_queries(full_client, "post", save(full), {"r3-1-1-status": "met", "r3-1-1-version": 0})
    rows.append(("answer save, first answer", first, last))
    update_few = count_queries(empty_client, "post", save(empty), {"r3-1-1-status": "not_met", "r3-1-1-version": 1})
    update_all = count_queries(full_client, "post", save(full), {"r3-1-1-status": "not_met", "r3-1-1-version": 1})
    rows.append(("answer save, changed answer", update_few, update_all))
    assert Answer.objects.filter(assessment=full).count() == 110
    rows[0] = (rows[0][0], rows[0][1], count_queries(full_client, "get", family(full)))
    return rows


class Server:
    def __init__(self, db_path: Path):
        self.port = free_port()
        env = os.environ | {"DATABASE_URL": f"sqlite:///{db_path}", "LOG_LEVEL": "ERROR", "DEBUG": "0"}
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), "runserver", "--noreload", f"127.0.0.1:{self.port}"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        ready_by = time.monotonic() + 20
        while time.monotonic() < ready_by:
            try:
                if self.request("GET", "/")[0] == 200:
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise SystemExit("the server did not start on 127.0.0.1")

    def request(self, method: str, path: str, body: str | None = None, headers: dict | None = None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()


def measure(make_request) -> float:
    """Requests per second of ``make_request`` (sequential, one connection each), after a warm-up."""
    for i in range(WARMUP):
        make_request(i)
    budget = min(PER_MEASURE_SECONDS, max(1.0, DEADLINE - time.monotonic() - 5))
    started = time.perf_counter()
    done = 0
    while done < PER_MEASURE_MAX and time.perf_counter() - started < budget:
        make_request(WARMUP + done)
        done += 1
    elapsed = time.perf_counter() - started
    return done / elapsed


def main() -> int:
    from django.conf import settings

    with tempfile.TemporaryDirectory(prefix="cmmc-bench-") as tmp:
        db_path = Path(tmp) / "bench.sqlite3"
        print("Preparing a temporary SQLite database (migrate, createcachetable, load_catalog)...", flush=True)
        setup_django(db_path)
        counts = query_counts()

        client, assessment = new_assessment("Bench Co")
        fill(assessment)
        cookies = {settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value,
                   settings.CSRF_COOKIE_NAME: client.cookies[settings.CSRF_COOKIE_NAME].value}
        cookie_header = "; ".join(f"{k}={v}" for k, v in cookies.items())
        family_path = f"/a/{assessment.public_id}/family/AC/"
        save_path = f"/a/{assessment.public_id}/answer/3.1.1/"
        version = {"3.1.1": 1}

        server = Server(db_path)
        try:
            def baseline(_: int) -> None:
                status, _body = server.request("GET", "/")
                assert status == 200, status

            def questionnaire(_: int) -> None:
                status, _body = server.request("GET", family_path, headers={"Cookie": cookie_header})
                assert status == 200, status

            def answer_save(i: int) -> None:
                body = urllib.parse.urlencode({
                    "csrfmiddlewaretoken": cookies[settings.CSRF_COOKIE_NAME],
                    "r3-1-1-status": "met" if i % 2 else "not_met",
                    "r3-1-1-version": version["3.1.1"],
                })
                status, _body = server.request("POST", save_path, body=body, headers={
                    "Cookie": cookie_header, "HX-Request": "true",
                    "Content-Type": "application/x-www-form-urlencoded"})
                assert status == 200, status
                version["3.1.1"] += 1

            print(f"Measuring on http://127.0.0.1:{server.port}/ (runserver, sequential requests)...", flush=True)
            base = measure(baseline)
            results = [
                ("baseline: home page, no session (template, 0 queries)", base),
                ("questionnaire page, 110 answers (AC, 22 requirements)", measure(questionnaire)),
                ("answer save (htmx POST, 110 answers)", measure(answer_save)),
            ]
        finally:
            server.stop()

    print()
    print(f"{'request':58} {'req/s':>8} {'vs baseline':>12}")
    for name, rate in results:
        print(f"{name:58} {rate:8.1f} {rate / base:11.2f}x")
    print()
    print(f"{'queries':58} {'0-1 ans.':>8} {'110 ans.':>12}")
    constant = True
    for name, few, many in counts:
        constant &= few == many
        print(f"{name:58} {few:8d} {many:12d}{'' if few == many else '   NOT CONSTANT'}")

    ssp_bench = ROOT / "bench" / "ssp_render.py"
    if ssp_bench.exists():
        print(f"\nRunning {ssp_bench.relative_to(ROOT)}...", flush=True)
        remaining = max(30, int(DEADLINE - time.monotonic()) + 30)
        try:
            subprocess.run([sys.executable, str(ssp_bench)], cwd=ROOT, timeout=remaining, check=False)
        except subprocess.TimeoutExpired:
            print(f"{ssp_bench.name} did not finish within {remaining} s")

    # The production setup under load: gunicorn on PostgreSQL, wrk (bench/load.py bounds its own time).
    print("\nRunning bench/load.py...", flush=True)
    load_ok = subprocess.run([sys.executable, str(ROOT / "bench" / "load.py")], cwd=ROOT, check=False).returncode == 0
    # The timeline pages with 1 snapshot and with 1,000 (PostgreSQL; fails if a query count changes).
    print("\nRunning bench/timeline_scale.py...", flush=True)
    timeline_ok = subprocess.run([sys.executable, str(ROOT / "bench" / "timeline_scale.py")], cwd=ROOT,
                                 check=False).returncode == 0
    if not constant:
        print("\nFAIL: a query count depends on the number of answers", file=sys.stderr)
        return 1
    return 0 if load_ok and timeline_ok else 1


if __name__ == "__main__":
    sys.exit(main())
