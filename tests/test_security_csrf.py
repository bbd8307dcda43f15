"""CSRF and redirects (check 6): every route refuses a POST without a CSRF token, no GET changes data, and
``next=`` never leads off-site."""

import pytest
from django.apps import apps
from django.db.models import Max, Sum
from django.test import Client
from django.urls import reverse

from tests.personas import PASSWORD, make_user, signed_in, totp_now
from tests.test_url_walker import _routes_for, _values, all_routes, fill

pytestmark = pytest.mark.django_db
DATA_APPS = ("assessments", "orgs", "ssp", "iso27001", "account", "mfa", "auth")


def _non_admin_routes():
    return [r for r in all_routes() if not r.is_admin]


def test_every_route_refuses_a_post_without_a_csrf_token(world):
    target, _ = world["targets"]["org"]
    owner = signed_in(world["people"]["owner"], Client(enforce_csrf_checks=True))
    anonymous = Client(enforce_csrf_checks=True)
    failures = []
    for route in _non_admin_routes():
        url = fill(route.pattern, _values(route, target))
        for who, client in (("the owner", owner), ("an anonymous client", anonymous)):
            status = client.post(url, {"confirm": "on", "organization_name": "x"}).status_code
            if status != 403:
                failures.append(f"POST {url} ({route.name}) without a token as {who}: {status}")
    assert not failures, "\n".join(failures)


def _data_state() -> dict:
    """Row counts of every data model, the sum of every version column and the latest updated_at."""
    state = {}
    for model in apps.get_models():
        if model._meta.app_label not in DATA_APPS:
            continue
        label = model._meta.label
        state[label] = model.objects.count()
        fields = {f.name: f for f in model._meta.concrete_fields}
        if "version" in fields and fields["version"].get_internal_type().endswith("IntegerField"):
            state[label + ".version"] = model.objects.aggregate(v=Sum("version"))["v"]
        if "updated_at" in fields:
            state[label + ".updated_at"] = model.objects.aggregate(v=Max("updated_at"))["v"]
    return state


@pytest.mark.parametrize("target_name", ["org", "anonymous"])
def test_no_get_changes_any_data(world, target_name):
    target, owner = world["targets"][target_name]
    routes = _routes_for(target_name) + [r for r in _non_admin_routes() if not r.kwargs]
    # The one deliberate exception: right after start (or a POST asking for a new key) the show-once page makes
    # the recovery key it shows, so the plain key is stored nowhere. Let it do that before measuring.
    owner.get(fill("a/<public_id:public_id>/key/", target))
    before = _data_state()
    for route in routes:
        if route.name in ("account_logout",):
            continue  # a GET shows the sign-out button only, but is skipped to keep the owner signed in
        url = fill(route.pattern, _values(route, target))
        owner.get(url)
        after = _data_state()
        changed = {k: (before[k], after[k]) for k in before if before[k] != after.get(k)}
        assert not changed, f"GET {url} ({route.name}) changed {changed}"


@pytest.mark.parametrize("evil", ["https://evil.example/", "//evil.example/", "https:evil.example",
                                  "/\\evil.example", "javascript:alert(1)"])
def test_next_after_sign_in_stays_on_site(evil):
    user = make_user("owner@acme.test")
    client = Client()
    client.post(reverse("account_login") + "?next=" + evil, {"login": user.email, "password": PASSWORD,
                                                             "next": evil})
    response = client.post(reverse("mfa_authenticate"), {"code": totp_now(user)})
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith("/") and not location.startswith("//") and "evil" not in location


def test_a_safe_next_is_followed():
    user = make_user("owner@acme.test")
    client = Client()
    client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD, "next": "/dashboard/"})
    response = client.post(reverse("mfa_authenticate"), {"code": totp_now(user)})
    assert response["Location"] == "/dashboard/"
