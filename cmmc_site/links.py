"""Absolute links for emails (invitations, password resets, email confirmations): always on ``SITE_URL``.

Never built from the request's Host header: ALLOWED_HOSTS ignores ports, so a request for
``cmmc.example.com:6666`` would otherwise mail a victim a reset link to a port the attacker listens on.
"""

from urllib.parse import urlsplit, urlunsplit

from django.conf import settings


def absolute_url(path: str) -> str:
    """``path`` (from reverse(), starting with /) on the configured site."""
    return settings.SITE_URL.rstrip("/") + path


def on_site(url: str) -> str:
    """An absolute URL built from a request, moved onto the configured site (path, query and fragment kept)."""
    parts = urlsplit(url)
    return absolute_url(urlunsplit(("", "", parts.path or "/", parts.query, parts.fragment)))


def is_absolute(value: object) -> bool:
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def site_domain() -> str:
    """The configured site's host (and port, if any), as emails show it."""
    return urlsplit(settings.SITE_URL).netloc
