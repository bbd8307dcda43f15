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
