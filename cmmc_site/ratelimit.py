"""Fixed-window rate limits in the shared cache (the database cache by default, so all app servers agree)."""

import hashlib
import time

from django.core.cache import cache
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    # REMOTE_ADDR only: a client-supplied X-Forwarded-For must not reset its own limit. Behind a trusted
    # proxy, the proxy sets REMOTE_ADDR (see README, Deploying).
    return request.META.get("REMOTE_ADDR", "unknown")


def hit(scope: str, identity: str, *, limit: int, window: int) -> bool:
    """Count one attempt; return False once more than ``limit`` attempts fell in the current window."""
    bucket = int(time.time() // window)
    digest = hashlib.sha256(identity.encode()).hexdigest()[:32]
    key = f"rl:{scope}:{digest}:{bucket}"
    if cache.add(key, 1, timeout=window + 1):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add() and incr()
            cache.add(key, 1, timeout=window + 1)
            count = 1
    return count <= limit
