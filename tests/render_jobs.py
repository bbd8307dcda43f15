"""Render functions for tests/test_render_guard.py: module level and light to import, as a render process must
import them (importing a test module would pull pytest into every render process)."""

import os
import signal
import time


def child_pid() -> bytes:
    return str(os.getpid()).encode()


def sleep_forever() -> bytes:
    time.sleep(60)
    return b"never"


def allocate(megabytes: int) -> bytes:
    blob = bytearray(megabytes * 1024 * 1024)
    return bytes(blob[:1])


def fail(note: str) -> bytes:
    raise ValueError(note)


def not_bytes() -> bytes:
    return "text"  # type: ignore[return-value]


def die_by_signal() -> bytes:
    os.kill(os.getpid(), signal.SIGSEGV)
    return b""


def weasyprint_pdf(title: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=f"<h1>{title}</h1><p>{'Access control. ' * 400}</p>").write_pdf()


def two_files() -> tuple[bytes, bytes]:
    return b"first", str(os.getpid()).encode()
