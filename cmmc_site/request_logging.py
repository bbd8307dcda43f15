"""Structured logs: one JSON line per event on stdout, each carrying the id of the request it belongs to.

- ``RequestIdMiddleware`` (first in MIDDLEWARE) sets ``request.id`` (from ``REQUEST_ID_HEADER`` when a trusted
  proxy sets one, else a fresh random id), returns it as ``X-Request-ID`` and logs one access line per request.
- ``RequestIdFilter`` adds ``request_id`` to every record logged while the request runs.
- ``JsonFormatter`` writes a fixed set of fields only. Never the request object, headers, cookies, bodies or
  form values: notes, recovery keys and session ids cannot reach the log through it. Messages and tracebacks
  are also scrubbed of anything shaped like a recovery key, an access id or a cookie value, and paths of the
  secret that routes carry (invitation tokens, email-confirmation and password-reset keys).
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime

from django.conf import settings
from django.http import HttpRequest, HttpResponse

_request_id: ContextVar[str] = ContextVar("request_id", default="")
_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

access_logger = logging.getLogger("cmmc_site.request")


def current_request_id() -> str:
    return _request_id.get()


def _incoming_id(request: HttpRequest) -> str:
    header = getattr(settings, "REQUEST_ID_HEADER", "")
    if header:
        value = request.META.get("HTTP_" + header.upper().replace("-", "_"), "")
        # Only from a proxy we trust (the setting is empty otherwise), and only if it cannot forge log lines.
        if _VALID_ID.match(value):
            return value
    return uuid.uuid4().hex


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.id = _incoming_id(request)
        token = _request_id.set(request.id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request.id
            if not (response.status_code == 200 and request.path == "/healthz"):  # load balancer noise
                access_logger.info(
                    "%s %s %s", request.method, request.path, response.status_code,
                    extra={
                        "event": "request",
                        "method": request.method,
                        "path": request.path,  # never the query string; secrets in it are redacted below
                        "status": response.status_code,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                        "client": request.META.get("REMOTE_ADDR", ""),
                    },
                )
            return response
        finally:
            _request_id.reset(token)


def _record_request_id(record: logging.LogRecord) -> str:
    # django.request logs 4xx/5xx after the middleware chain returned, with the request attached.
    return getattr(record, "request_id", "") or getattr(getattr(record, "request", None), "id", "") \
        or _request_id.get()


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _record_request_id(record)
        return True


class LibraryTextFilter(logging.Filter):
    """WeasyPrint and fontTools put document text in their messages (a missing glyph's character, one warning per
    occurrence: 70,000 lines for a large plan). Their records keep only the message template, without its
    arguments, and each template passes once per process (a render process renders one document).

    Set on the ``weasyprint`` and ``fontTools`` loggers, so no handler sees the text, and on our handler too, since a
    logger's filters do not apply to its children's records (``fontTools.subset``).
    """

    LOGGERS = ("weasyprint", "fontTools")

    def __init__(self, name: str = "") -> None:
        super().__init__(name)
        self._seen: set[tuple[str, str]] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith(self.LOGGERS) or getattr(record, "library_text_removed", False):
            return True
        template = str(record.msg)
        if (record.name, template) in self._seen:
            return False
        self._seen.add((record.name, template))
        record.msg, record.args, record.library_text_removed = template, None, True
        return True


_REDACTIONS = [
    # Secrets carried in a URL path: invitation tokens, email-confirmation keys, password-reset keys (access lines
    # and Django's "Not Found: /path" warnings). tests/test_request_logging.py reverses each route to keep this true.
    (re.compile(r"(/invitations/|/accounts/confirm-email/|/accounts/password/reset/key/)(?!done/)[^/\s\"]+"),
     r"\1[redacted]"),
    # Recovery keys: 8 groups of 4 from the recovery alphabet (assessments.models.RECOVERY_ALPHABET).
    (re.compile(r"\b[A-Z2-9]{4}(?:[- ]?[A-Z2-9]{4}){7}\b"), "[recovery-key]"),
    # Access ids and anything else shaped like a dashed UUID.
    (re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"), "[uuid]"),
    # Cookie and credential values: name=value / name: value.
    (re.compile(r"(?i)\b([\w-]*(?:session|csrf|cookie|password|passwd|secret|token|api[_-]?key)[\w-]*)"
                r"(['\"]?\s*[=:]\s*['\"]?)[^\s;,'\"&]+"), r"\1\2[redacted]"),
]


def redact(text: str) -> str:
    for pattern, replacement in _REDACTIONS:
        text = pattern.sub(replacement, text)
    return text


# The only record attributes that reach the log besides the message (set with ``extra=``).
EXTRA_FIELDS = ("event", "method", "path", "status", "status_code", "duration_ms", "client", "scope", "reason",
                "error", "error_type")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
            "request_id": _record_request_id(record),
        }
        for name in EXTRA_FIELDS:
            value = getattr(record, name, None)
            if isinstance(value, str | int | float | bool):
                entry[name] = redact(value) if isinstance(value, str) else value
        if record.exc_info:
            entry["exc_type"] = record.exc_info[0].__name__ if record.exc_info[0] else ""
            entry["traceback"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False, separators=(",", ":"))


class StdoutHandler(logging.StreamHandler):
    """A StreamHandler on whatever ``sys.stdout`` is at the time of each record (captured output included)."""

    def __init__(self) -> None:
        super().__init__(sys.stdout)

    @property  # type: ignore[override]
    def stream(self):
        return sys.stdout

    @stream.setter
    def stream(self, value) -> None:
        pass
