"""cmmc_site/gunicorn.conf.py's WEB_REUSE_PORT: with it, each worker listens on a socket of its own and connections
opened at once are spread over the workers; without it, the workers share the master's one socket.

Starts gunicorn (2 workers) on a free loopback port and reads who holds which socket from /proc (Linux), as `ss -p`
does. No request is made: nothing here needs a database.
"""

import os
import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .server_helpers import free_port, start_gunicorn, stop

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads Linux /proc")]
LISTEN, ESTABLISHED = "0A", "01"


def sockets_on(port: int, state: str) -> set[str]:
    """Inodes of the IPv4 sockets whose local port is ``port``, in ``state``."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == state:
            inodes.add(fields[9])
    return inodes


def socket_inodes(pid: int) -> set[str]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            match = re.fullmatch(r"socket:\[(\d+)\]", os.readlink(fd))
        except OSError:
            continue
        if match:
            inodes.add(match.group(1))
    return inodes


def worker_pids(master: int) -> list[int]:
    """The master's child processes (its parent pid is the fourth field of /proc/<pid>/stat)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if parent == master:
                found.append(int(entry.name))
    return found


def wait_for(condition, what: str, log: Path, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        assert time.monotonic() < deadline, f"{what}:\n{log.read_text()[-3000:]}"
        time.sleep(0.2)
    return result


@pytest.fixture
def gunicorn(tmp_path: Path) -> Iterator:
    processes = []

    def start(reuse_port: str) -> tuple[int, list[int], Path]:
        port, log = free_port(), tmp_path / f"gunicorn-{len(processes)}.log"
        env = os.environ | {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}",
            "SECRET_KEY": "gunicorn-conf-test-secret-key-0123456789abcdefghijklmnop",
            "DJANGO_SETTINGS_MODULE": "cmmc_site.settings",
            "BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "2", "WEB_THREADS": "2", "WEB_REUSE_PORT": reuse_port,
            "LOG_LEVEL": "INFO",
        }
        process = start_gunicorn(env, log)
        processes.append(process)
        # Both workers booted (the log's "Booting worker" lines) and past their start-up (they listen then).
        wait_for(lambda: log.read_text().count("Booting worker") == 2 and len(worker_pids(process.pid)) == 2,
                 "gunicorn did not start two workers", log)
        wait_for(lambda: sockets_on(port, LISTEN), "nothing listens", log)
        return port, worker_pids(process.pid), log

    yield start
    stop(processes)


def test_with_reuse_port_connections_opened_at_once_are_spread_over_both_workers(gunicorn):
    port, workers, log = gunicorn("true")
    listening = wait_for(lambda: len(found := sockets_on(port, LISTEN)) == 2 and found,
                         "two workers should listen on sockets of their own", log)
    assert all(len(socket_inodes(pid) & listening) == 1 for pid in workers)

    clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(32)]
    try:
        def accepted() -> dict[int, int] | None:
            established = sockets_on(port, ESTABLISHED)
            held = {pid: len(socket_inodes(pid) & established) for pid in workers}
            return held if sum(held.values()) == len(clients) else None

        held = wait_for(accepted, "the workers did not accept every connection", log)
        # The kernel hashes each connection to one of the two sockets: all 32 on one worker has odds of 2 in 2^32.
        assert all(count > 0 for count in held.values()), held
    finally:
        for client in clients:
            client.close()


def test_without_reuse_port_the_workers_share_one_listening_socket(gunicorn):
    port, workers, _ = gunicorn("false")
    listening = sockets_on(port, LISTEN)
    assert len(listening) == 1
    assert all(listening <= socket_inodes(pid) for pid in workers)
