"""Peak memory of gunicorn's workers and of their render processes, read from /proc (Linux), for bench/load.py."""

from __future__ import annotations

import os
import threading
from pathlib import Path


def _parents() -> dict[int, int]:
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    return parents


def worker_pids(master: int) -> list[int]:
    return [pid for pid, parent in _parents().items() if parent == master]


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class MemorySampler(threading.Thread):
    """Peak RSS of any one gunicorn worker, and of any render process (a worker's descendant), every 100 ms."""

    def __init__(self, master: int):
        super().__init__(daemon=True)
        self.master = master
        self.worker_peak = 0.0
        self.render_peak = 0.0
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.wait(0.1):
            parents = _parents()
            workers = [pid for pid, parent in parents.items() if parent == self.master]
            for pid in workers:
                self.worker_peak = max(self.worker_peak, rss_mb(pid))
            below = set(workers)
            for _ in range(3):  # worker -> fork server -> render process
                below |= {pid for pid, parent in parents.items() if parent in below}
            for pid in below - set(workers):
                self.render_peak = max(self.render_peak, rss_mb(pid))

    def __enter__(self) -> MemorySampler:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopping.set()
        self.join()


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads) so far; 0 if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime: fields 14 and 15 of stat


def database_backends(name: str) -> list[int]:
    """PostgreSQL's backend processes connected to database ``name``: their title is "postgres: [cluster:] user
    database host(port) state"."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                title = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").split()
            except OSError:
                continue
            if title[:1] == [b"postgres:"] and name.encode() in title[2:4]:
                found.append(int(entry))
    return found


class CpuMeter:
    """CPU seconds spent by gunicorn's workers and by the database's backends while the block runs.

    Backends are looked up at both ends (a persistent connection is replaced after CONN_MAX_AGE); one that exits in
    between loses its last seconds, so the database figure may be a little low."""

    def __init__(self, master: int, database: str):
        self.master, self.database = master, database
        self.workers = self.db = 0.0
        self.by_worker: dict[int, float] = {}

    def _read(self) -> tuple[dict[int, float], dict[int, float]]:
        return ({pid: cpu_seconds(pid) for pid in worker_pids(self.master)},
                {pid: cpu_seconds(pid) for pid in database_backends(self.database)})

    def __enter__(self) -> CpuMeter:
        self._workers, self._db = self._read()
        return self

    def __exit__(self, *exc) -> None:
        workers, db = self._read()
        self.by_worker = {pid: t - self._workers.get(pid, 0.0) for pid, t in workers.items()}
        self.workers = sum(self.by_worker.values())
        self.db = sum(t - self._db.get(pid, 0.0) for pid, t in db.items())
