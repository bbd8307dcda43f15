"""The URL-walker (Tier A check 1, with checks 11 and 12): every route that takes an object id answers every
stranger with 404 (or 405, or 403 for a member whose role is too low), and the owner with a page.

Routes come from ``get_resolver().url_patterns``, walked recursively; URLs are filled from each route's own
pattern, kwarg by kwarg. A kwarg the walker does not know FAILS the test, and so does a route without a name
(outside Django's admin): a new view must be taught to the walker, and without the access helper it then
fails the stranger checks below.

Documented answers: strangers get 404 (405 where the method is not allowed at all); a viewer attempting an
edit gets 403 (it may know the assessment exists); owners get 200 (302 where the page redirects on-site,
405 for POST-only actions).
"""

import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve

from assessments.models import new_public_id
from tests.personas import signed_in

pytestmark = pytest.mark.django_db

METHODS = ("get", "post", "put", "delete")
STRANGER = {404, 405}
# Kwargs naming an object someone owns: a route with any of them gets the full stranger matrix.
OBJECT_KWARGS = {"public_id", "org_id", "membership_id", "invitation_id", "number"}
# Kwargs that are bearer secrets themselves: filled with an unknown secret, which must open nothing.
CAPABILITY_KWARGS = {"token", "key", "uidb36"}
# Kwargs that only pick reference data (the public catalog).
REFERENCE_KWARGS = {"nist_id": "3.1.1", "code": "AC", "objective_id": "3.1.1[a]"}
# Django's admin (staff only, behind the same allauth login and MFA): its own kwargs and unnamed redirects.
ADMIN_KWARGS = {"object_id": "1", "content_type_id": "1", "id": "1", "app_label": "controls", "url": "x"}
# Owner GETs with a documented non-200 answer.
OWNER_EXCEPTIONS = {
    ("org", "assessments:recovery_key"): 404,  # an organisation's assessment has no recovery key (members sign in)
    ("anonymous", "orgs:duplicate"): 405,  # POST-only (and an account feature)
    ("org", "ssp:diagram"): 404,  # no network diagram uploaded in this world
    ("anonymous", "ssp:diagram"): 404,
}


@dataclass(frozen=True)
class Route:
    name: str | None
    pattern: str  # the full pattern, concatenated from every resolver on the way
    kwargs: frozenset[str]
    namespace: str

    @property
    def is_admin(self) -> bool:
        return self.namespace.split(":")[0] == "admin"


def _walk(patterns, prefix: str = "", namespace: str = "") -> Iterator[Route]:
    for entry in patterns:
        part = str(entry.pattern)
        if isinstance(entry, URLResolver):
            ns = entry.namespace or ""
            child_ns = f"{namespace}:{ns}" if namespace and ns else (ns or namespace)
            yield from _walk(entry.url_patterns, prefix + part, child_ns)
        elif isinstance(entry, URLPattern):
            full = prefix + part
            kwargs = set(re.findall(r"<(?:\w+:)?(\w+)>", full)) | set(re.findall(r"\(\?P<(\w+)>", full))
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
            yield Route(name, full, frozenset(kwargs), namespace)


def all_routes() -> list[Route]:
    return list(_walk(get_resolver().url_patterns))


def fill(pattern: str, values: dict[str, str]) -> str:
    """The URL of a route pattern (path() converters, regex groups, or both) with every group filled in."""
    url = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), pattern)
    url = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: str(values[m.group(1)]), url)
    url = re.sub(r"\([^)]*\)", "1", url)  # unnamed groups (simple_history's admin views)
    url = url.replace("^", "").replace("$", "")
    return "/" + url


def _values(route: Route, target: dict) -> dict[str, str]:
    unknown = route.kwargs - OBJECT_KWARGS - CAPABILITY_KWARGS - set(REFERENCE_KWARGS) - (
        set(ADMIN_KWARGS) if route.is_admin else set())
    assert not unknown, (
        f"{route.name or route.pattern}: the URL-walker does not know how to fill {sorted(unknown)}. Teach it "
        "(tests/test_url_walker.py) what the kwarg names and make sure the view checks access with the helper."
    )
    values = dict(REFERENCE_KWARGS) | ADMIN_KWARGS
    values |= {"token": secrets.token_urlsafe(32), "key": "not-a-key", "uidb36": "1"}
    values |= {k: v for k, v in target.items() if k in OBJECT_KWARGS}
    return values


def _object_routes() -> list[Route]:
    return [r for r in all_routes() if r.kwargs & OBJECT_KWARGS and not r.is_admin]


def _routes_for(target_name: str) -> list[Route]:
    # The anonymous target is an assessment: it has no organisation routes of its own.
    routes = _object_routes()
    if target_name == "anonymous":
        routes = [r for r in routes if "public_id" in r.kwargs]
    return routes


def object_urls(target_name: str, target: dict) -> list[tuple[str, str]]:
    """(route name, URL) of every object route of a ``world`` target, as the walks below fill them (the browser
    walk in test_browser_every_page.py opens the same list)."""
    return [(route.name, fill(route.pattern, _values(route, target))) for route in _routes_for(target_name)]


def public_urls() -> list[tuple[str, str]]:
    """(route name, URL) of every route outside the admin that names no object and holds no bearer secret."""
    return [(route.name, fill(route.pattern, _values(route, {}))) for route in all_routes()
            if not route.is_admin and not route.kwargs & (OBJECT_KWARGS | CAPABILITY_KWARGS)]


def test_every_route_outside_the_admin_has_a_name_and_only_known_kwargs():
    for route in all_routes():
        if route.is_admin:
            continue
        assert route.name, f"unnamed view at {route.pattern}: name it so the walker and reverse() can find it"
        _values(route, {})


def test_the_walker_sees_the_object_routes_of_every_app():
    names = {r.name for r in _object_routes()}
    # A walker that silently lost an app would pass everything; these must all be there.
    for expected in ("assessments:overview", "assessments:answer", "assessments:objective", "orgs:members",
                     "orgs:member_update", "orgs:delete", "ssp:version_pdf", "iso27001:head_start"):
        assert expected in names, expected
    assert len(names) >= 30


@pytest.mark.parametrize("target_name", ["org", "anonymous"])
def test_every_stranger_gets_404_or_405_on_every_object_route(world, target_name):
    target, _owner = world["targets"][target_name]
    failures = []
    for route in _routes_for(target_name):
        url = fill(route.pattern, _values(route, target))
        assert resolve(url).view_name == route.name, url
        for who, client in world["strangers"].items():
            for method in METHODS:
                status = getattr(client, method)(url).status_code
                if status not in STRANGER:
                    failures.append(f"{method.upper()} {url} ({route.name}) as {who}: {status}")
    assert not failures, "\n".join(failures)


def test_a_viewer_attempting_an_edit_gets_403_or_404_or_405(world):
    target, _owner = world["targets"]["org"]
    failures = []
    for route in _routes_for("org"):
        url = fill(route.pattern, _values(route, target))
        for method in ("post", "put", "delete"):
            status = getattr(world["viewer"], method)(url).status_code
            if status not in {403, 404, 405}:
                failures.append(f"{method.upper()} {url} ({route.name}) as a viewer: {status}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("target_name", ["org", "anonymous"])
def test_the_owner_gets_every_object_page(world, target_name):
    target, owner = world["targets"][target_name]
    failures = []
    for route in _routes_for(target_name):
        url = fill(route.pattern, _values(route, target))
        response = owner.get(url)
        expected = OWNER_EXCEPTIONS.get((target_name, route.name))
        if expected is not None:
            ok = response.status_code == expected
        elif response.status_code == 302:
            ok = response["Location"].startswith("/")  # on-site
        else:
            ok = response.status_code in {200, 405}
        if not ok:
            failures.append(f"GET {url} ({route.name}) as the owner: {response.status_code}")
    assert not failures, "\n".join(failures)


def test_a_password_only_session_reaches_no_object_route(world):
    """Check 11: a session signed in without its MFA step is signed out, never let in."""
    target, _owner = world["targets"]["org"]
    failures = []
    for route in _routes_for("org"):
        url = fill(route.pattern, _values(route, target))
        client = signed_in(world["people"]["owner"], mfa=False)
        status = client.get(url).status_code
        if status not in {302, 404, 405} or "_auth_user_id" in client.session:
            failures.append(f"GET {url} ({route.name}) with a password-only session: {status}")
    assert not failures, "\n".join(failures)


def test_an_unknown_bearer_token_opens_nothing(world):
    failures = []
    for route in all_routes():
        if route.is_admin or not route.kwargs & CAPABILITY_KWARGS or route.kwargs & OBJECT_KWARGS:
            continue
        url = fill(route.pattern, _values(route, {}))
        for who, client in world["strangers"].items():
            for method in METHODS:
                status = getattr(client, method)(url).status_code
                # allauth answers a bad email/reset key with its "link expired or invalid" page (200, no form).
                allowed = {404, 405} if route.name == "orgs:invitation" else {200, 302, 403, 404, 405}
                if status not in allowed:
                    failures.append(f"{method.upper()} {url} ({route.name}) as {who}: {status}")
    assert not failures, "\n".join(failures)


def test_the_admin_is_closed_to_everyone_but_staff(world):
    failures = []
    for route in all_routes():
        if not route.is_admin or route.name == "admin:logout":  # signing out opens nothing (and would end a persona)
            continue
        url = fill(route.pattern, _values(route, {}))
        for who, client in world["strangers"].items():
            for method in ("get", "post"):
                response = getattr(client, method)(url)
                to_login = response.status_code == 302 and "login" in response["Location"]
                if not (to_login or response.status_code in {403, 404, 405}):
                    failures.append(f"{method.upper()} {url} ({route.name}) as {who}: {response.status_code}")
    assert not failures, "\n".join(failures)


# What differs between two responses to the very same request, and so may differ here too: the CSP nonce (in the
# header and on the htmx script tag) and the CSRF token of the sign-out form, which Django masks afresh each time.
NONCE_ATTR = re.compile(rb'nonce="[\w-]+"')
NONCE_SOURCE = re.compile(r"'nonce-[\w-]+'")
CSRF_FIELD = re.compile(rb'name="csrfmiddlewaretoken" value="\w+"')
PER_REQUEST_HEADERS = {"X-Request-ID", "Expires"}  # a fresh id; the current time


def _comparable(response) -> tuple:
    body, nonces = NONCE_ATTR.subn(b'nonce=""', response.content)
    body, tokens = CSRF_FIELD.subn(b'name="csrfmiddlewaretoken" value=""', body)
    assert nonces <= 1 and tokens <= 1  # only those: a wider mask could hide a real difference
    headers = {name: NONCE_SOURCE.sub("'nonce-'", value) for name, value in response.headers.items()
               if name not in PER_REQUEST_HEADERS}
    return response.status_code, headers, sorted(response.cookies), body


@pytest.mark.parametrize("target_name", ["org", "anonymous"])
def test_a_strangers_404_for_an_existing_object_is_the_same_as_for_one_that_does_not_exist(world, target_name):
    """Nothing in the answer (status, headers, page) tells a stranger that the object exists."""
    target, _owner = world["targets"][target_name]
    missing = target | {"public_id": new_public_id(), "org_id": new_public_id()}
    failures, compared = [], 0
    for route in _routes_for(target_name):
        existing_url = fill(route.pattern, _values(route, target))
        missing_url = fill(route.pattern, _values(route, missing))
        for who, client in world["strangers"].items():
            for method in ("get", "post"):
                existing = getattr(client, method)(existing_url)
                if _comparable(existing) != _comparable(getattr(client, method)(missing_url)):
                    failures.append(f"{method.upper()} {existing_url} ({route.name}) as {who}")
                if existing.status_code == 404:
                    assert b"you don't have access to it" in existing.content  # templates/404.html
                    compared += 1
    assert not failures, "\n".join(failures)
    assert compared >= 100  # the walk did reach the 404s it compares
