"""One measure of bench/load.py (a wrk run or a burst of POSTs) and the table printed at the end."""

from __future__ import annotations

from dataclasses import dataclass


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

    def crashed(self, status: int) -> bool:
        return status >= 500 and not (self.guarded and status == 503)

    @property
    def server_errors(self) -> int:
        return sum(c for s, c in self.statuses.items() if self.crashed(s))


def ratio(rps: float, baseline: float) -> str:
    return f"{rps / baseline:.2f}" if baseline else "n/a"


def print_table(rows: list[Measure]) -> None:
    header = (f"{'measure':<38} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'ratio':>6} {'5xx':>4} "
              f"{'other non-2xx':<24} {'queries':>7} {'worker MB':>9}")
    print(header)
    print("-" * len(header))
    for m in rows:
        other = {s: c for s, c in sorted(m.statuses.items()) if s >= 300 and not m.crashed(s)}
        text = " ".join(f"{s}x{c}" for s, c in other.items()) + (f" socket-errors x{m.errors}" if m.errors else "")
        print(f"{m.name:<38} {m.rps:>8.1f} {m.p50_ms:>8.1f} {m.p99_ms:>8.1f} {ratio(m.rps, m.baseline):>6} "
              f"{m.server_errors:>4} {text:<24} {m.queries if m.queries is not None else '':>7} "
              f"{m.worker_mb:>9.0f}")
        if m.note:
            print(f"    {m.note}")
