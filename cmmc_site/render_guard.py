"""Keep document generation (DOCX/PDF) from taking the site down.

Every render is bounded three ways:

- a rate limit per client, counted in the database (cmmc_site/ratelimit.py) so all app servers count together
  (429);
- a cap on concurrent renders in this process (``RENDER_CONCURRENCY``), so the worker's other threads keep
  serving pages while documents render (503 + Retry-After when full);
- the render itself runs in a child process with a wall-clock timeout (``RENDER_TIMEOUT``) and an address-space
  limit (``RENDER_MEMORY_MB``): a pathological document is killed instead of eating the worker.

The child comes from a multiprocessing *fork server* started on first use: a clean process (no inherited
database connections or threads) that has already imported Django and WeasyPrint, so each render forks in
milliseconds. The render function therefore runs without the request, the session or the database: read
everything in the view, then pass plain picklable data (for example the SSP document model) to a module-level
function that returns bytes.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import resource
import signal
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from multiprocessing.connection import Connection
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from cmmc_site import ratelimit

logger = logging.getLogger(__name__)

BUSY_RETRY_AFTER = 5  # seconds: a render slot frees up when a render finishes


class RenderError(Exception):
    """A document could not be rendered within its limits."""


class RenderBusy(RenderError):
    """Every render slot of this process is in use."""


class RenderTimeout(RenderError):
    """The render ran past its time limit and was killed."""


class RenderMemoryExceeded(RenderError):
    """The render ran out of its memory allowance."""


class RenderCrashed(RenderError):
    """The render raised an exception or its process died; ``error_type`` names what it raised."""

    def __init__(self, message: str, *, error_type: str = "", child_traceback: str = ""):
        super().__init__(message)
        self.error_type = error_type
        self.child_traceback = child_traceback


# --- Concurrency cap (per process) ---

_slots_lock = threading.Lock()
_slots: threading.BoundedSemaphore | None = None


def _semaphore() -> threading.BoundedSemaphore:
    global _slots
    with _slots_lock:
        if _slots is None:
            _slots = threading.BoundedSemaphore(max(1, settings.RENDER_CONCURRENCY))
        return _slots


def reset_slots(size: int | None = None) -> None:
    """Recreate the slots (tests; ``size`` defaults to ``RENDER_CONCURRENCY``)."""
    global _slots
    with _slots_lock:
        _slots = threading.BoundedSemaphore(max(1, size if size is not None else settings.RENDER_CONCURRENCY))


@contextmanager
def render_slot() -> Iterator[None]:
    """Hold one of this process's render slots, or raise RenderBusy at once (never queue: the client retries)."""
    slots = _semaphore()
    if not slots.acquire(blocking=False):
        raise RenderBusy("all render slots are busy")
    try:
        yield
    finally:
        slots.release()


# --- Time and memory limits (child process) ---

_context_lock = threading.Lock()
_context: multiprocessing.context.BaseContext | None = None
# Modules the fork server imports once, so that every render process starts with them loaded.
_preload = ["cmmc_site.render_child"]


def register_preload(module: str) -> None:
    """Have the fork server import ``module`` as well (an app's AppConfig.ready(), before any render): what it loads
    or reads at import is inherited by every render process. It must never raise (the fork server would die)."""
    if module not in _preload:
        _preload.append(module)


def _mp_context() -> multiprocessing.context.BaseContext:
    global _context
    with _context_lock:
        if _context is None:
            ctx = multiprocessing.get_context("forkserver")
            # Imported once by the fork server; every render process is forked from it with these loaded.
            ctx.set_forkserver_preload(list(_preload))
            _context = ctx
        return _context


def _child_main(conn: Connection, func: Callable[..., bytes], args: tuple, kwargs: dict, memory_bytes: int,
                cpu_seconds: int) -> None:
    try:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
        # A CPU backstop in case the parent cannot kill us (SIGXCPU at the soft limit, SIGKILL at the hard one).
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
        from cmmc_site.render_child import ensure_django

        ensure_django()
        # A render allocates millions of short-lived objects: with the default thresholds the collector ran some
        # 200 times per SSP, each pass over everything the fork server loaded too. What the process inherited is
        # frozen (never scanned), and collections are rarer; the process lives for one render, within its limits.
        gc.freeze()
        gc.set_threshold(100_000, 50, 100)
        result = func(*args, **kwargs)
        # Bytes, or a tuple of bytes: several files from one render (ssp.jobs.both).
        parts = result if isinstance(result, tuple) else (result,)
        if not parts or not all(isinstance(part, bytes | bytearray) for part in parts):
            raise TypeError(f"render function returned {type(result).__name__}, not bytes")
        conn.send_bytes(b"ok" if parts is not result else f"ok:{len(parts)}".encode())
        for part in parts:
            conn.send_bytes(part)
    except MemoryError:
        _send_error(conn, "memory", "MemoryError", "")
    except BaseException as exc:  # noqa: B036 - report everything to the parent, which decides
        # The stack without the exception's message: a message may quote document text (notes).
        stack = "".join(traceback.format_tb(exc.__traceback__, limit=20))
        _send_error(conn, "error", type(exc).__name__, stack)
    finally:
        conn.close()


def _send_error(conn: Connection, kind: str, error_type: str, tb: str) -> None:
    try:
        conn.send_bytes(kind.encode())
        conn.send((error_type, tb))
    except (OSError, MemoryError):
        pass  # the parent sees EOF and reports a crash


def run_limited(func: Callable[..., Any], /, *args: Any, timeout: float | None = None,
                memory_mb: int | None = None, **kwargs: Any) -> Any:
    """Run ``func(*args, **kwargs)`` in a child process with a time and memory limit; return its bytes (or its tuple
    of bytes, for a function that makes several files).

    ``func`` must be a module-level function and its arguments picklable; it must not use the database.
    Raises RenderTimeout, RenderMemoryExceeded or RenderCrashed (whatever ``func`` raised, by type name).
    """
    timeout = float(timeout if timeout is not None else settings.RENDER_TIMEOUT)
    memory_bytes = int(memory_mb if memory_mb is not None else settings.RENDER_MEMORY_MB) * 1024 * 1024
    ctx = _mp_context()
    reader, writer = ctx.Pipe(duplex=False)
    process = ctx.Process(
        target=_child_main,
        args=(writer, func, args, kwargs, memory_bytes, max(1, int(timeout) + 1)),
        daemon=True,
        name=f"render:{getattr(func, '__qualname__', 'func')}",
    )
    started = time.monotonic()
    try:
        process.start()
    except (OSError, EOFError) as exc:  # no fork server, no process left (ulimit -u), ...
        reader.close()
        raise RenderCrashed("could not start a render process", error_type=type(exc).__name__) from exc
    finally:
        writer.close()
    try:
        if not reader.poll(timeout):
            raise RenderTimeout(f"render took longer than {timeout:g} s and was stopped")
        try:
            kind = reader.recv_bytes()
            if kind == b"ok" or kind.startswith(b"ok:"):
                parts = []
                for _ in range(int(kind[3:]) if kind != b"ok" else 1):
                    remaining = max(0.1, timeout - (time.monotonic() - started))
                    if not reader.poll(remaining):
                        raise RenderTimeout(f"render took longer than {timeout:g} s and was stopped")
                    parts.append(reader.recv_bytes())
                return parts[0] if kind == b"ok" else tuple(parts)
            error_type, child_tb = reader.recv()
        except EOFError:
            process.join(1)
            raise _died(process.exitcode) from None
        if kind == b"memory":
            raise RenderMemoryExceeded(f"render needed more than {memory_bytes // 2**20} MB")
        raise RenderCrashed(f"render failed: {error_type}", error_type=error_type, child_traceback=child_tb)
    finally:
        reader.close()
        _reap(process)


def _died(exitcode: int | None) -> RenderError:
    if exitcode == -signal.SIGXCPU:
        return RenderTimeout("render ran out of CPU time and was stopped")
    if exitcode == -signal.SIGKILL:  # the CPU hard limit, or the kernel's OOM killer
        return RenderCrashed("render process was killed (CPU time or memory)", error_type="SIGKILL")
    if exitcode is not None and exitcode < 0:
        # Native code (cairo, pango) that cannot allocate under RLIMIT_AS usually dies by signal.
        return RenderCrashed(f"render process died by signal {-exitcode} (memory limit?)",
                             error_type=f"signal {-exitcode}")
    return RenderCrashed(f"render process exited with status {exitcode}", error_type=f"exit {exitcode}")


def _reap(process: multiprocessing.process.BaseProcess) -> None:
    process.join(0.5)
    if process.is_alive():
        process.kill()
        process.join(5)
    if not process.is_alive():
        process.close()


def warm_up() -> None:
    """Start this process's fork server now (optional; otherwise the first render starts it)."""
    _mp_context()
    from multiprocessing import forkserver

    forkserver.ensure_running()


# --- The view decorator ---


def guarded_render(scope: str) -> Callable:
    """Wrap a view that renders a document: rate limit (429), a free render slot (503), render limits (503).

    Inside the view, call ``run_limited(render_function, data)`` for the render itself.
    """

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            limit, window = settings.RENDER_RATE_LIMIT
            if not ratelimit.hit(f"render:{scope}", ratelimit.client_ip(request), limit=limit, window=window):
                return _refused(request, scope, 429, window - int(time.time()) % window, "rate_limited")
            try:
                with render_slot():
                    return view(request, *args, **kwargs)
            except RenderBusy:
                return _refused(request, scope, 503, BUSY_RETRY_AFTER, "busy")
            except RenderError as exc:
                return _refused(request, scope, 503, BUSY_RETRY_AFTER, "failed", exc)

        return wrapper

    return decorator


def _refused(request: HttpRequest, scope: str, status: int, retry_after: int, reason: str,
             error: RenderError | None = None) -> HttpResponse:
    logger.warning("document render refused: %s", reason, extra={
        "event": "render_refused", "scope": scope, "reason": reason, "status": status,
        "error": type(error).__name__ if error else "", "error_type": getattr(error, "error_type", ""),
    })
    response = render(request, "render_busy.html", {"reason": reason, "retry_after": retry_after}, status=status)
    response["Retry-After"] = str(max(1, retry_after))
    response["Cache-Control"] = "no-store"
    # Logged once above, as a warning: a refusal is the guard doing its job, not a server error for
    # django.request to log at ERROR for every request of a burst.
    response._has_been_logged = True
    return response
