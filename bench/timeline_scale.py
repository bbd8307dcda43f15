"""Data-scale run of the timeline pages: the snapshot list, compare and the deadlines page (and the affirmation page,
whose form lists every snapshot) with 1 snapshot and with 1,000. Run by `make bench` (bench/run.py), or alone:

    python bench/timeline_scale.py

On its own PostgreSQL database, recreated: ``BENCH_TIMELINE_DATABASE_URL``, else
postgres://postgres@127.0.0.1:5432/bench_timeline (the name must start with "bench"). The data: a signed-in
(password + TOTP) owner's organisation with a complete assessment (110 answers, some not met with planned dates), an
SPRS submission (Conditional, so a closeout date) and an affirmation, then its first snapshot, taken for real. The
other 999 snapshots are copies of the first's frozen document with other scores and dates (inserted in bulk: taking
them one by one would only measure take_snapshot). Each page is requested in-process through Django's test client:
the queries of a repeat visit, the median time of a few visits and the size of the page.

Prints a table; exit status 1 if a query count changes with the number of snapshots. Absolute times depend on the
machine; what must hold is the query count.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
import urllib.parse
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load import recreate_database, setup_django  # noqa: E402  (the path above first)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bench_timeline"
SNAPSHOTS = 1_000
VISITS = 5  # timed visits per page, after the one whose queries are counted


def database_url() -> str:
    url = os.environ.get("BENCH_TIMELINE_DATABASE_URL") or DEFAULT_URL
    name = urllib.parse.urlsplit(url).path.lstrip("/")
    if not url.startswith(("postgres://", "postgresql://")) or not name.startswith("bench"):
        sys.exit(f"bench: needs a PostgreSQL database whose name starts with 'bench' (it is recreated): {name!r}")
    return url


def make_data():
    """The owner's signed-in client and the assessment, with its first snapshot."""
    from django.utils import timezone

    from assessments.models import Answer, Assessment
    from controls.models import Requirement
    from tests.personas import make_org, make_user, signed_in
    from timeline.models import Affirmation, CmmcStatus, Submission
    from timeline.snapshots import take_snapshot

    user = make_user("bench-timeline@example.com")
    assessment = Assessment.objects.create(organization=make_org("Bench Timeline Org", owner=[user]),
                                           organization_name="Bench Timeline")
    today = timezone.localdate()
    statuses = ("met", "met", "not_met", "met", "partial", "met")
    rows = []
    for i, requirement in enumerate(Requirement.objects.order_by("position")):
        status = statuses[i % len(statuses)]
        if status == "partial" and requirement.partial_points is None:
            status = "not_met"
        open_item = status != "met"
        rows.append(Answer(assessment=assessment, requirement=requirement, status=status,
                           note=f"How {requirement.nist_id} is met, in a few words.", responsible="IT lead",
                           planned_date=today + timedelta(days=30 + i) if open_item else None,
                           poam_reference=f"POAM-{i}" if open_item else ""))
    Answer.objects.bulk_create(rows)
    first = take_snapshot(assessment=assessment, label="Baseline", by=user.email)
    status_date = today - timedelta(days=40)
    submission = Submission.objects.create(
        assessment=assessment, snapshot=first, submitted_on=status_date, status_date=status_date,
        status=CmmcStatus.L2_CONDITIONAL, score=first.score, scope="enterprise", submitted_by="Bench Official")
    Affirmation.objects.create(
        assessment=assessment, snapshot=first, submission=submission, official_name="Bench Official",
        official_title="CEO", official_contact="bench@example.com", affirmed_on=status_date, statement="Bench.")
    return signed_in(user), assessment


def add_snapshots(assessment, count: int) -> float:
    """``count`` more snapshots, copies of the first with other scores and dates; returns seconds."""
    from django.db.models import Max

    from timeline.models import Snapshot

    started = time.monotonic()
    first = Snapshot.objects.get(assessment=assessment, number=1)
    start = Snapshot.objects.filter(assessment=assessment).aggregate(n=Max("number"))["n"] + 1
    copies = []
    for n in range(start, start + count):
        copy = Snapshot(**{f.attname: getattr(first, f.attname) for f in Snapshot._meta.concrete_fields
                           if not f.primary_key})
        copy.number, copy.label = n, f"Monthly review {n}"
        copy.taken_at = first.taken_at + timedelta(minutes=n)
        copy.score = None if first.score is None else max(-203, first.score - (n * 7) % 40)
        copies.append(copy)
    Snapshot.objects.bulk_create(copies, batch_size=200)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return time.monotonic() - started


def measure(client, url: str) -> tuple[int, float, int]:
    """(queries of a repeat visit, median milliseconds of VISITS more, page size in bytes)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # a first visit may write the session (the last-seen time)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    queries = len(captured.captured_queries)  # now: the next request's request_started clears the log
    times = []
    for _ in range(VISITS):
        started = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - started) * 1000)
    return queries, statistics.median(times), len(response.content)


def main() -> int:
    url = database_url()
    print(f"bench/timeline_scale.py: the timeline pages with 1 snapshot and with {SNAPSHOTS:,}, in-process on "
          f"PostgreSQL {urllib.parse.urlsplit(url).path[1:]!r}", flush=True)
    started = time.monotonic()
    recreate_database(url)
    setup_django(url)
    from django.urls import reverse

    client, assessment = make_data()
    public_id = assessment.public_id
    pages = {
        "snapshot list (with the trend chart)": reverse("timeline:snapshots", args=[public_id]),
        "compare: latest snapshot with today": reverse("timeline:compare", args=[public_id]),
        "compare: snapshot 1 with today": reverse("timeline:compare", args=[public_id]) + "?before=1&after=today",
        "deadlines page": reverse("timeline:calendar", args=[public_id]),
        "deadlines .ics": reverse("timeline:calendar_ics", args=[public_id]),
        "affirmations (lists every snapshot)": reverse("timeline:affirmations", args=[public_id]),
    }
    pair = "compare: snapshot 1 with the latest (*)"
    compare = reverse("timeline:compare", args=[public_id])

    one = {name: measure(client, path) for name, path in pages.items()}
    # Two snapshots side by side need a second one: (*) its first column is measured with 2 snapshots.
    from timeline.snapshots import take_snapshot

    take_snapshot(assessment=assessment, label="Second")
    one[pair] = measure(client, f"{compare}?before=1&after=2")
    seconds = add_snapshots(assessment, SNAPSHOTS - 2)
    print(f"setup: {time.monotonic() - started:.0f} s ({SNAPSHOTS - 2} snapshots added in {seconds:.1f} s)",
          flush=True)
    many = {name: measure(client, path) for name, path in pages.items()}
    many[pair] = measure(client, f"{compare}?before=1&after={SNAPSHOTS}")
    pages[pair] = ""

    print()
    header = (f"{'page':<40} {'queries @1':>10} {f'@{SNAPSHOTS:,}':>8} {'ms @1':>8} {f'ms @{SNAPSHOTS:,}':>9} "
              f"{'KB @1':>7} {f'KB @{SNAPSHOTS:,}':>9}")
    print(header)
    print("-" * len(header))
    failures = []
    for name in pages:
        (q1, t1, b1), (qn, tn, bn) = one[name], many[name]
        flag = "" if q1 == qn else "   NOT CONSTANT"
        print(f"{name:<40} {q1:>10} {qn:>8} {t1:>8.1f} {tn:>9.1f} {b1 / 1024:>7.0f} {bn / 1024:>9.0f}{flag}")
        if q1 != qn:
            failures.append(f"{name}: {q1} queries with 1 snapshot, {qn} with {SNAPSHOTS}")
    print(f"\n(*) first columns with 2 snapshots; ms = median of {VISITS} in-process requests (test client, no "
          f"server); total "
          f"{time.monotonic() - started:.0f} s")
    for problem in failures:
        print(f"FAIL {problem}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
