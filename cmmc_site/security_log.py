"""Security events, one line each on the ``security`` logger (ASVS 16.2, 16.3): the site layer's, so middleware here
(csp_report.py) logs without importing an app; the apps call it as ``accounts.security.event``.

Each line has the event, its outcome, keyed hashes of the user id and session key (``user``, ``sid``) and the
client IP; the UTC time and request id come from the JSON formatter (cmmc_site/request_logging.py). Nothing
secret is ever passed here: no password, code, recovery key, session key or note text.
"""

import hashlib
import hmac
import logging

from django.conf import settings
from django.http import HttpRequest

from .ratelimit import client_ip

logger = logging.getLogger("security")


def pseudonym(value: object) -> str:
    """A stable, keyed hash: lines about the same user or session can be joined without exposing the id."""
    digest = hmac.new(settings.SECRET_KEY.encode(), str(value).encode(), hashlib.sha256).hexdigest()
    return digest[:16]


def _escape(value: object) -> str:
    # Newlines and other control characters in user input must not forge log lines.
    text = str(value)
    return text.encode("unicode_escape").decode("ascii").replace(" ", "_")[:200]


def event(request: HttpRequest | None, name: str, outcome: str, **fields: object) -> None:
    user_id = None
    session_key = None
    ip = "-"
    if request is not None:
        user = getattr(request, "user", None)
        if user is not None and getattr(user, "is_authenticated", False):
            user_id = user.pk
        session = getattr(request, "session", None)
        session_key = getattr(session, "session_key", None)
        ip = client_ip(request)
    if user_id is None and "user_id" in fields:
        user_id = fields.pop("user_id")
    fields.pop("user_id", None)
    parts = {
        "event": name,
        "outcome": outcome,
        "user": pseudonym(f"user:{user_id}") if user_id is not None else "-",
        "sid": pseudonym(f"session:{session_key}") if session_key else "-",
        "ip": ip,
    } | fields
    line = " ".join(f"{key}={_escape(value)}" for key, value in parts.items())
    logger.info(line, extra={"event": f"security.{name}"})
