"""Rate limits (check 10): counted in the shared database cache, per client IP (REMOTE_ADDR only)."""

import inspect
import time

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from cmmc_site import ratelimit, render_guard
from ssp.models import SspVersion
from tests.personas import make_user
from tests.ssp_helpers import plan_for, start_assessment

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


# --- Document renders on the real routes (cmmc_site.render_guard.guarded_render) ---

# Every route whose view is wrapped in guarded_render, with its counter's scope; each is tested below.
GUARDED_ROUTES = {"ssp:generate": "ssp", "ssp:poam_docx": "ssp-poam"}
RENDER_IP = "203.0.113.30"


def _guarded_scope(view) -> str | None:
    """The scope of the guarded_render wrapper in a view's decorator chain (functools.wraps hides it by name)."""
    while view is not None:
        code = view.__code__
        if code.co_qualname == "guarded_render.<locals>.decorator.<locals>.wrapper":
            return inspect.getclosurevars(view).nonlocals["scope"]
        view = getattr(view, "__wrapped__", None)
    return None


def _routes(patterns, namespace: str = ""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = entry.namespace or ""
            yield from _routes(entry.url_patterns, f"{namespace}:{inner}" if namespace and inner else
                               inner or namespace)
        elif isinstance(entry, URLPattern):
            yield (f"{namespace}:{entry.name}" if namespace else entry.name), entry.callback


@pytest.fixture
def render_limit(settings) -> int:
    render_guard.reset_slots()
    settings.RENDER_RATE_LIMIT = (2, 60)
    return 2


@pytest.fixture
def owner() -> Client:
    """The browser session that started the assessment (it holds the grant), at one client address."""
    return Client(REMOTE_ADDR=RENDER_IP)


@pytest.fixture
def plan(owner):
    """The smallest plan: a new assessment with nothing answered, its plan just started (renders fast)."""
    return plan_for(start_assessment(owner))


def _assert_refused_for_rate(response) -> None:
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert "no-store" in response["Cache-Control"]
    assert b"many documents" in response.content


def test_the_render_guard_wraps_exactly_the_routes_tested_here():
    # A new route that renders documents under the guard must get its own test below.
    guarded = {name: scope for name, view in _routes(get_resolver().url_patterns)
               if (scope := _guarded_scope(view)) is not None}
    assert guarded == GUARDED_ROUTES


def test_generating_an_ssp_version_over_the_render_limit_gets_429_and_writes_nothing(rate_clock, render_limit,
                                                                                       owner, plan):
    client = owner
    url = reverse("ssp:generate", args=[plan.assessment.public_id])
    valid = {"label": "1.0", "description": "First", "made_by": "Pat Doe"}
    # The guard counts each request before the view runs: these are refused by the form (no render), and count.
    for _ in range(render_limit):
        assert client.post(url, valid | {"made_by": ""}).status_code == 400
    # A valid request, even from a "different" client according to X-Forwarded-For, is over the limit.
    _assert_refused_for_rate(client.post(url, valid, HTTP_X_FORWARDED_FOR="192.0.2.99"))
    assert not SspVersion.objects.filter(ssp=plan).exists()
    # Another client address is counted on its own.
    assert client.post(url, valid | {"made_by": ""}, REMOTE_ADDR="203.0.113.31").status_code == 400

    rate_clock.now += 60  # the next window
    response = client.post(url, valid)
    assert response.status_code == 302, [line for line in response.content.decode().splitlines()
                                         if "alert" in line or "invalid" in line][:5]
    assert list(SspVersion.objects.filter(ssp=plan).values_list("label", flat=True)) == ["1.0"]


def test_the_poam_docx_download_over_the_render_limit_gets_429_until_the_window_ends(rate_clock, render_limit,
                                                                                    owner, plan):
    client = owner
    url = reverse("ssp:poam_docx", args=[plan.assessment.public_id])
    for _ in range(render_limit):
        response = client.get(url)
        assert response.status_code == 200 and response.content.startswith(b"PK")  # a real DOCX (a zip)
    refused = client.get(url, HTTP_X_FORWARDED_FOR="192.0.2.99")
    _assert_refused_for_rate(refused)
    assert "Content-Disposition" not in refused
    assert client.get(url, REMOTE_ADDR="203.0.113.31").status_code == 200  # another address counts on its own

    window_end = (rate_clock.now // 60 + 1) * 60
    rate_clock.now = window_end - 1  # the window's last second: still refused
    _assert_refused_for_rate(client.get(url))
    rate_clock.now = window_end
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")


def test_a_refused_sign_in_says_when_to_try_again():
    make_user("owner@acme.test")
    client = Client()
    for _ in range(5):
        _fail_login(client, "owner@acme.test")
    response = _fail_login(client, "owner@acme.test")
    assert response.status_code == 429
    # The longest window of the sign-in limits (5 failures per address per 5 minutes).
    assert response["Retry-After"] == "300"
    assert "Too many attempts" in response.content.decode()
