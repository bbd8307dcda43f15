"""Fixed-window rate limits counted in the database, so all app servers agree and simultaneous requests count."""

import hashlib
import random
import time
from datetime import UTC, datetime

from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control


def client_ip(request: HttpRequest) -> str:
    # REMOTE_ADDR only: a client-supplied X-Forwarded-For must not reset its own limit. Behind a trusted
    # proxy, the proxy sets REMOTE_ADDR (see README, Deploying).
    return request.META.get("REMOTE_ADDR", "unknown")


def hit(scope: str, identity: str, *, limit: int, window: int) -> bool:
    """Count one attempt; return False once more than ``limit`` attempts fell in the current window."""
    from .models import RateCounter  # imported when first used: importing this module never needs the app registry

    now = time.time()
    bucket = int(now // window)
    digest = hashlib.sha256(identity.encode()).hexdigest()[:32]
    key = f"{scope[:60]}:{digest}:{bucket}"
    expires_at = datetime.fromtimestamp((bucket + 1) * window, tz=UTC)
    with transaction.atomic():
        # UPDATE ... SET count = count + 1 takes the row lock until commit: concurrent hits queue here and each
        # reads back a distinct count (the cache's read-then-write incr let a burst through uncounted).
        if not RateCounter.objects.filter(key=key).update(count=F("count") + 1):
            try:
                with transaction.atomic():
                    RateCounter.objects.create(key=key, count=1, expires_at=expires_at)
            except IntegrityError:  # another request created it first
                RateCounter.objects.filter(key=key).update(count=F("count") + 1)
        count = RateCounter.objects.filter(key=key).values_list("count", flat=True).get()
    if random.random() < 0.01:  # nosec B311: housekeeping sample, not security
        RateCounter.objects.filter(expires_at__lt=datetime.fromtimestamp(now, tz=UTC)).delete()
    return count <= limit


def retry_after(window: int) -> int:
    """Seconds until the current fixed window ends, when a refused client may try again."""
    return max(1, window - int(time.time()) % window)


def too_many(response: HttpResponse, window: int) -> HttpResponse:
    """A 429 response, with the Retry-After its window allows (RFC 6585)."""
    response.status_code = 429
    response["Retry-After"] = str(retry_after(window))
    patch_cache_control(response, no_store=True)
    return response
