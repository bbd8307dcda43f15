"""gunicorn started by a test, as `make serve` starts it: a free loopback port, and stopping it whatever happened."""

import socket
import subprocess
import sys
from pathlib import Path

from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(env: dict[str, str], log: Path) -> subprocess.Popen:
    """`gunicorn -c cmmc_site/gunicorn.conf.py cmmc_site.wsgi` in the checkout, its output in ``log``."""
    return subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "cmmc_site/gunicorn.conf.py", "cmmc_site.wsgi"],
        cwd=BASE_DIR, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
    )


def stop(processes: list[subprocess.Popen]) -> None:
    """Stop them all gracefully (SIGTERM), and kill any still running after 30 s."""
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
