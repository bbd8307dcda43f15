"""bench/load.py's load generators: wrk runs (with the CPU they cost the server), the interleaved rounds of a page
and the bare view, and a burst of POSTs sent at once."""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from measure import Measure, combine, spread
from procfs import CpuMeter, MemorySampler

BENCH = Path(__file__).resolve().parent
DURATION = float(os.environ.get("BENCH_DURATION", "5"))
# Each page's measure is repeated this many times, each time right after a measure of the bare view (bare, page,
# bare, page, ...): its ratio is the median of the rounds' ratios, whatever the machine was doing at the time.
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
CONNECTIONS = 8
DEADLINE = time.monotonic() + float(os.environ.get("BENCH_DEADLINE", "900"))
BARE_PATH = "/bench/bare/"
# A run is measured again (at most this many times in all) when one gunicorn worker served every connection: it
# then measured one core instead of the server, a third of the bare view's usual throughput (docs/performance.md).
ATTEMPTS = 3
IDLE_SHARE = 0.1  # a worker with less than this share of the workers' CPU in a run served none of its connections


def remaining() -> float:
    left = DEADLINE - time.monotonic()
    if left <= 0:
        raise TimeoutError("the bench ran past its deadline")
    return left


def run_wrk(master: int, name: str, url: str, script: str, args: list[str], *, threads: int = 2,
            connections: int = CONNECTIONS, duration: float = DURATION, timeout: int = 10,
            database: str = "") -> Measure:
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration:g}s", f"--timeout={timeout}s",
               "-s", str(BENCH / script), url, "--", *args]
    with MemorySampler(master) as memory, CpuMeter(master, database) as cpu:
        done = subprocess.run(command, capture_output=True, text=True, timeout=min(duration + 60, remaining()))
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("BENCH ")), None)
    if done.returncode or line is None:
        raise RuntimeError(f"wrk failed for {name}: {done.stdout}\n{done.stderr}")
    data = json.loads(line[6:])
    requests = max(data["requests"], 1)
    measure = Measure(
        name=name,
        rps=data["requests"] / (data["duration_us"] / 1e6),
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        statuses={int(k): v for k, v in data["statuses"].items()},
        errors=sum(data["errors"].values()),
        worker_mb=memory.worker_peak,
        render_mb=memory.render_peak,
        requests=data["requests"],
        cpu_ms=cpu.workers * 1000 / requests,
        db_cpu_ms=cpu.db * 1000 / requests,
        one_worker=len(cpu.by_worker) > 1 and min(cpu.by_worker.values()) < IDLE_SHARE * cpu.workers,
    )
    print(f"  {name}: {measure.rps:.0f}/s, p99 {measure.p99_ms:.0f} ms, statuses {data['statuses']}"
          f"{' (one worker served every connection)' if measure.one_worker else ''}", flush=True)
    return measure


def on_both_workers(run: Callable[[], Measure]) -> Measure:
    """``run()`` until both workers served some of its connections (ATTEMPTS at most; the last one stands)."""
    for _ in range(ATTEMPTS - 1):
        measure = run()
        if not measure.one_worker:
            return measure
        print("    measured again: that run measured one worker, not the server", flush=True)
    return run()


@dataclass
class Target:
    """A page measured in interleaved rounds: wrk with ``script`` and the arguments ``args()`` gives at each run."""

    name: str
    path: str
    script: str = "wrk_count.lua"
    args: Callable[[], list[str]] = field(default=lambda: [""])
    threads: int = 2
    connections: int = CONNECTIONS
    queries: int | None = None

    def run(self, master: int, base: str, database: str, name: str, duration: float = DURATION) -> Measure:
        # self.args() again for each attempt: the answer saves send the versions stored after the attempt before.
        return on_both_workers(lambda: run_wrk(
            master, name, base + self.path, self.script, self.args(), threads=self.threads,
            connections=self.connections, database=database, duration=duration))


def interleaved(master: int, base: str, database: str, targets: list[Target],
                label: str = "") -> tuple[Measure, list[Measure]]:
    """ROUNDS rounds of (bare view, page) for each page in turn; returns the bare view's row and each page's."""
    for target in targets:  # templates compiled, connections open, caches filled: not measured
        target.run(master, base, database, f"{target.name} (warm-up)", duration=1)
    bares: dict[str, list[Measure]] = {t.name: [] for t in targets}
    runs: dict[str, list[Measure]] = {t.name: [] for t in targets}
    for n in range(1, ROUNDS + 1):
        for target in targets:
            bares[target.name].append(on_both_workers(lambda n=n: run_wrk(
                master, f"bare view (round {n})", base + BARE_PATH, "wrk_count.lua", [""], database=database)))
            runs[target.name].append(target.run(master, base, database, f"{target.name} (round {n})"))
    every_bare = [b for target in targets for b in bares[target.name]]
    bare = combine(f"bare Django view (baseline){label}", every_bare, every_bare)
    bare.ratios, bare.p99s, bare.cpu_ratios = [], [], []
    bare.note = (f"{len(every_bare)} runs, one before each page's: {min(b.rps for b in every_bare):.0f}-"
                 f"{max(b.rps for b in every_bare):.0f} req/s (±{100 * spread([b.rps for b in every_bare]):.0f}%)")
    rows = []
    for target in targets:
        row = combine(f"{target.name}{label}", runs[target.name], bares[target.name])
        row.queries = target.queries
        rows.append(row)
    return bare, rows


def burst(master: int, name: str, port: int, path: str, cookie: str, body: str, size: int) -> Measure:
    """``size`` POSTs at once, each waited for (a render may take a while): what the guards let through."""
    import http.client

    results: list[tuple[int, float]] = []
    lock = threading.Lock()
    gate = threading.Barrier(size)

    def post(n: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=min(180, remaining()))
        gate.wait()
        started = time.monotonic()
        try:
            conn.request("POST", path, body.replace("{n}", str(n)), {
                "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
            status = conn.getresponse().status
        except OSError:
            status = 0
        with lock:
            results.append((status, time.monotonic() - started))

    started = time.monotonic()
    with MemorySampler(master) as memory:
        threads = [threading.Thread(target=post, args=(n,)) for n in range(size)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    elapsed = time.monotonic() - started
    latencies = sorted(seconds for _, seconds in results)
    statuses: dict[int, int] = {}
    for status, _ in results:
        statuses[status] = statuses.get(status, 0) + 1
    print(f"  {name}: {len(results)} requests, statuses {statuses}", flush=True)
    return Measure(
        name=name, rps=len(results) / elapsed, p50_ms=latencies[len(latencies) // 2] * 1000,
        p99_ms=latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
        statuses={s: c for s, c in statuses.items() if s}, errors=statuses.get(0, 0),
        worker_mb=memory.worker_peak, render_mb=memory.render_peak, guarded=True,
    )
