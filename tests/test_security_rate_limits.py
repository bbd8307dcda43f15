"""Rate limits (check 10): counted in the shared database cache, per client IP (REMOTE_ADDR only)."""

import time

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from cmmc_site import ratelimit
from tests.personas import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clean_cache():
    cache.clear()
    yield
    cache.clear()


def test_the_cache_is_the_shared_database_cache(settings):
    # LocMem would give each worker process its own counts; the DB cache is one table for all of them.
    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"


def _fail_login(client: Client, email: str, ip: str = "203.0.113.7", **headers):
    return client.post(reverse("account_login"), {"login": email, "password": "a wrong password 123"},
                       REMOTE_ADDR=ip, **headers)


def test_the_sixth_failed_sign_in_for_one_address_gets_429():
    make_user("owner@acme.test")
    client = Client()
    statuses = [_fail_login(client, "owner@acme.test").status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]


def test_the_eleventh_failed_sign_in_from_one_ip_gets_429_across_addresses():
    statuses = [_fail_login(Client(), f"user{i}@example.test").status_code for i in range(11)]
    assert statuses == [200] * 10 + [429]


def test_a_spoofed_x_forwarded_for_does_not_reset_the_count():
    for i in range(10):
        _fail_login(Client(), f"user{i}@example.test", HTTP_X_FORWARDED_FOR=f"198.51.100.{i}")
    response = _fail_login(Client(), "next@example.test", HTTP_X_FORWARDED_FOR="192.0.2.99")
    assert response.status_code == 429


def test_another_ip_is_counted_separately():
    for i in range(10):
        _fail_login(Client(), f"user{i}@example.test")
    assert _fail_login(Client(), "x@example.test", ip="203.0.113.8").status_code == 200


def test_the_limit_resets_after_its_window(monkeypatch):
    for i in range(11):
        _fail_login(Client(), f"user{i}@example.test")
    assert _fail_login(Client(), "y@example.test").status_code == 429
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 61)  # allauth's counters are timestamps in the cache
    assert _fail_login(Client(), "z@example.test").status_code == 200


def test_the_eleventh_recovery_key_attempt_in_a_minute_gets_429():
    client = Client()
    statuses = [client.post(reverse("assessments:resume"), {"recovery_key": "ABCD-" * 7 + "ABCD"},
                            REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR=f"10.0.0.{i}").status_code
                for i in range(11)]
    assert statuses[:10] == [400] * 10 and statuses[10] == 429


def test_the_twenty_first_assessment_in_an_hour_gets_429():
    data = {"target_level": "l2", "scope": "enterprise", "has_ssp": "yes"}
    statuses = [Client().post(reverse("assessments:start"), data | {"organization_name": f"Org {i}"},
                              REMOTE_ADDR="203.0.113.10").status_code for i in range(21)]
    assert statuses[:20] == [302] * 20 and statuses[20] == 429


def test_the_fixed_window_helper_counts_in_the_cache_and_starts_again_in_the_next_window(monkeypatch):
    start = (time.time() // 60 + 1) * 60  # the start of the next real window: the cache's expiry stays realistic
    now = [start]
    monkeypatch.setattr(ratelimit.time, "time", lambda: now[0])
    assert all(ratelimit.hit("t", "ip", limit=3, window=60) for _ in range(3))
    assert not ratelimit.hit("t", "ip", limit=3, window=60)
    now[0] += 60
    assert ratelimit.hit("t", "ip", limit=3, window=60)
