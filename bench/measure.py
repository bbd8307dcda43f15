"""Measures of bench/load.py (a wrk run or a burst of POSTs), their medians over interleaved rounds, and the table
printed at the end."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field


@dataclass
class Measure:
    name: str
    rps: float
    p50_ms: float
    p99_ms: float
    statuses: dict[int, int]
    errors: int
    worker_mb: float
    render_mb: float = 0.0
    queries: int | None = None
    note: str = ""
    baseline: float = 0.0  # the bare view's requests/s in the same phase
    guarded: bool = False  # a 503 here is the render guard's answer (busy), not a crash
    requests: int = 0
    cpu_ms: float = 0.0  # CPU of gunicorn's workers per request
    db_cpu_ms: float = 0.0  # CPU of the database's backends per request
    one_worker: bool = False  # a gunicorn worker did (almost) nothing: every connection went to the other one
    # Interleaved rounds: this measure's ratio to the bare view measured just before it, round by round.
    ratios: list[float] = field(default_factory=list)
    p99s: list[float] = field(default_factory=list)
    # The same rounds' ratio of server CPU per request (gunicorn workers + PostgreSQL): the bare view's over this
    # measure's. It does not move with the share of the machine the server got, only with what a request costs.
    cpu_ratios: list[float] = field(default_factory=list)

    def crashed(self, status: int) -> bool:
        return status >= 500 and not (self.guarded and status == 503)

    @property
    def server_errors(self) -> int:
        return sum(c for s, c in self.statuses.items() if self.crashed(s))

    @property
    def ratio(self) -> float | None:
        if self.ratios:
            return statistics.median(self.ratios)
        return self.rps / self.baseline if self.baseline else None


def spread(values: list[float]) -> float:
    """Half the range of ``values`` relative to their median: 0.10 is ±10 %."""
    if len(values) < 2 or not statistics.median(values):
        return 0.0
    return (max(values) - min(values)) / 2 / statistics.median(values)


def combine(name: str, runs: list[Measure], bares: list[Measure]) -> Measure:
    """Rounds of one page into one row: medians of its figures, and its ratio to the bare view run just before it
    in each round (run i against bare i), so that the machine's speed at that moment divides out."""
    median = statistics.median
    statuses: dict[int, int] = {}
    for run in runs:
        for status, count in run.statuses.items():
            statuses[status] = statuses.get(status, 0) + count
    return Measure(
        name=name, rps=median(r.rps for r in runs), p50_ms=median(r.p50_ms for r in runs),
        p99_ms=median(r.p99_ms for r in runs), statuses=statuses, errors=sum(r.errors for r in runs),
        worker_mb=max(r.worker_mb for r in runs), requests=sum(r.requests for r in runs),
        cpu_ms=median(r.cpu_ms for r in runs), db_cpu_ms=median(r.db_cpu_ms for r in runs),
        ratios=[r.rps / b.rps for r, b in zip(runs, bares, strict=True)], p99s=[r.p99_ms for r in runs],
        cpu_ratios=[(b.cpu_ms + b.db_cpu_ms) / (r.cpu_ms + r.db_cpu_ms) for r, b in zip(runs, bares, strict=True)
                    if r.cpu_ms + r.db_cpu_ms > 0],
    )


def ratio(rps: float, baseline: float) -> str:
    return f"{rps / baseline:.2f}" if baseline else "n/a"


def print_table(rows: list[Measure]) -> None:
    header = (f"{'measure':<38} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'ratio':>6} {'spread':>7} "
              f"{'CPU ms':>6} {'DB ms':>5} {'CPU ratio':>10} {'5xx':>4} {'other non-2xx':<20} {'queries':>7} "
              f"{'worker MB':>9}")
    print(header)
    print("-" * len(header))
    for m in rows:
        other = {s: c for s, c in sorted(m.statuses.items()) if s >= 300 and not m.crashed(s)}
        text = " ".join(f"{s}x{c}" for s, c in other.items()) + (f" socket-errors x{m.errors}" if m.errors else "")
        value = m.ratio
        spread_text = f"±{100 * spread(m.ratios):.0f}%" if len(m.ratios) > 1 else ""
        cpu_text = (f"{statistics.median(m.cpu_ratios):.3f} ±{100 * spread(m.cpu_ratios):.0f}%"
                    if m.cpu_ratios else "")
        print(f"{m.name:<38} {m.rps:>7.1f} {m.p50_ms:>7.1f} {m.p99_ms:>7.1f} "
              f"{f'{value:.3f}' if value is not None else 'n/a':>6} {spread_text:>7} "
              f"{m.cpu_ms:>6.1f} {m.db_cpu_ms:>5.1f} {cpu_text:>10} {m.server_errors:>4} {text:<20} "
              f"{m.queries if m.queries is not None else '':>7} {m.worker_mb:>9.0f}")
        if m.ratios and len(m.ratios) > 1:
            print(f"    ratio by round: {' '.join(f'{r:.3f}' for r in m.ratios)}; "
                  f"CPU ratio by round: {' '.join(f'{r:.3f}' for r in m.cpu_ratios)}; "
                  f"p99 by round: {' '.join(f'{p:.0f}' for p in m.p99s)} ms")
        if m.note:
            print(f"    {m.note}")
