import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django.db.models import Model
from hypothesis import settings as hypothesis_settings
from pytest_django.plugin import blocking_manager_key, validate_django_db

from cmmc_site import ratelimit
from controls.catalog import load_catalog, read_catalog
from controls.narratives import load_narratives, read_narratives
from controls.snapshot import current as current_catalog
from iso27001.hints import related_by_control
from iso27001.mapping import load_mapping, read_mapping

# Property tests: in CI (CI is set there, .ci/run) every run tries the same examples, so a red build always means
# the change, never a newly drawn example; and nothing is read from or written to the example database. Elsewhere
# they draw new examples each run and replay the failures they found (.hypothesis/). Loaded here, before any test
# module builds its own @settings (each inherits what it does not set; none may set derandomize=False or a
# database of its own: tests/test_property_settings.py).
hypothesis_settings.register_profile("ci", derandomize=True, database=None, deadline=None, print_blob=True)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "default"))


# The catalog, the example narratives and the ISO mapping, each read once per process (parsing the YAML is most of
# the cost). The narratives and the mapping are checked against the catalog in the database, so each is read once
# that is loaded.
_read_catalog = cache(read_catalog)
_read_narratives = cache(read_narratives)
_read_mapping = cache(read_mapping)


# What the loaders wrote, row by row, for every model whose table they filled (the catalog, its history, the
# narratives, the mapping): taken after the first load in this process, written back in one bulk insert per table.
_reference_rows: list[tuple[type[Model], list[dict]]] = []


def _row_counts() -> dict[type[Model], int]:
    return {model: model._base_manager.count() for model in apps.get_models(include_auto_created=True)}


def _load_reference_data() -> None:
    """The reference data, into tables a transactional test flushed (or that were never loaded).

    The first time the loaders run, as `make run` does; after that the rows they wrote are put back as they were,
    primary keys and the catalog's token included, so the catalog this process holds in memory stays valid:
    loading again row by row took seconds after every live-server test on PostgreSQL."""
    if _reference_rows:
        with transaction.atomic():
            for model, rows in _reference_rows:
                if not model._base_manager.exists():
                    model._base_manager.bulk_create([model(**row) for row in rows])
        return
    before = _row_counts()
    load_catalog(catalog=_read_catalog(settings.CATALOG_FIXTURE))
    load_narratives(narratives=_read_narratives())
    load_mapping(mapping=_read_mapping())
    _reference_rows[:] = [(model, list(model._base_manager.order_by("pk").values()))
                          for model, count in _row_counts().items() if count != before[model]]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    # The catalog is reference data: load it once for the whole session (per xdist worker, each has its own
    # database), as `make run` does.
    with django_db_blocker.unblock():
        _load_reference_data()
        call_command("createcachetable", verbosity=0)


@pytest.fixture
def django_assert_num_queries(django_assert_num_queries):
    """pytest-django's, counting from a catalog already in memory, as in a running server (controls/snapshot.py):
    the pinned counts never include reading it, whichever test ran before (one that edited the catalog, or flushed
    it, leaves this process's copy stale)."""

    @contextmanager
    def counted(*args, **kwargs):
        related_by_control(current_catalog())  # the ISO mapping is kept with it (iso27001/hints.py)
        with django_assert_num_queries(*args, **kwargs) as captured:
            yield captured

    return counted


@pytest.fixture
def catalog_db(transactional_db):
    """For live-server tests: a transactional test starts on whatever the last one left, so make sure the catalog
    is there (pytest_runtest_teardown below puts it back after each one)."""
    from controls.models import Requirement
    from iso27001.models import IsoMapping

    if not Requirement.objects.exists() or not IsoMapping.objects.exists():
        _load_reference_data()
    call_command("createcachetable", verbosity=0)


def _transactional(item: pytest.Item) -> bool:
    """Whether pytest-django runs ``item`` as a TransactionTestCase (it flushes every table afterwards)."""
    marker = item.get_closest_marker("django_db")
    if marker:
        transaction, reset_sequences, *_ = validate_django_db(marker)
        if transaction or reset_sequences:
            return True
    return bool({"transactional_db", "live_server"} & set(getattr(item, "fixturenames", ())))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None):
    # A transactional test ends by flushing every table, the catalog with them. pytest-django runs those tests
    # last, but under xdist a worker may get one early: put the reference data back at once, so every later test
    # on this worker finds it, in any order.
    result = yield
    if nextitem is not None and _transactional(item):
        with item.config.stash[blocking_manager_key].unblock():
            from controls.models import Requirement

            if not Requirement.objects.exists():
                _load_reference_data()
    return result


def pytest_itemcollected(item: pytest.Item) -> None:
    # Groups for `pytest -n ... --dist loadgroup` (make test): the tests of a module that shares a module-scoped
    # fixture (one collectstatic, one CLI database) stay together so it is built once. Every other test, the browser
    # tests included, goes wherever a worker is free: each worker starts its own Chromium when it first needs one.
    # Marked as each item is collected: xdist reads the marks in its own pytest_collection_modifyitems, which may
    # run before any of ours.
    # (pytest-django's own class-scoped autouse fixture, which every test has, is not one of them.)
    fixtures = getattr(item, "_fixtureinfo", None)
    if fixtures and any(defs[-1].scope in ("module", "class", "package") and not name.startswith("_django")
                        for name, defs in fixtures.name2fixturedefs.items()):
        item.add_marker(pytest.mark.xdist_group(item.path.name))


@pytest.fixture
def browser(_chromium) -> Iterator[object]:
    """One Chromium for the session, but each test starts on a blank page with an empty console log, so what one
    test leaves behind (a deliberate 404 or CSP violation) never fails the next."""
    _chromium.get("about:blank")
    _chromium.get_log("browser")  # reading the log drains it
    yield _chromium


@pytest.fixture
def browser_without_js(_chromium_without_js) -> Iterator[object]:
    """The same, in a second Chromium with JavaScript switched off, for the pages that promise to work without it."""
    _chromium_without_js.get("about:blank")
    _chromium_without_js.delete_all_cookies()
    _chromium_without_js.get_log("browser")
    yield _chromium_without_js


@pytest.fixture(scope="session")
def _chromium() -> Iterator[object]:
    driver = _start_chromium()
    yield driver
    driver.quit()


@pytest.fixture(scope="session")
def _chromium_without_js() -> Iterator[object]:
    driver = _start_chromium(javascript=False)
    yield driver
    driver.quit()


def _start_chromium(*, javascript: bool = True):
    """Debian's Chromium driven through chromedriver. Missing pieces fail the run, never skip it."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium = shutil.which("chromium")
    driver_path = shutil.which("chromedriver")
    assert chromium and driver_path, "install Debian's chromium and chromium-driver (see .ci/run)"
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--window-size=1280,1000",
    ):
        options.add_argument(arg)
    if not javascript:
        # The page's scripts never run (chromedriver's own commands still do).
        options.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.implicitly_wait(0)
    return driver


# --- Personas for accounts, organisations and the security checks (tests/personas.py). ---
@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # The production hasher (PBKDF2, 1.5M rounds) costs ~0.3 s per user; tests make many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def rate_clock(monkeypatch) -> SimpleNamespace:
    """Our rate limits' clock (cmmc_site.ratelimit), standing 30 s into a minute and an hour. They count in fixed
    windows: a test counting attempts up to a limit would fail whenever its requests straddled a window's end, as
    they do at the turn of a minute. A test of the windows moves it (``rate_clock.now += 60``)."""
    clock = SimpleNamespace(now=1_800_000_030.0)
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: clock.now))
    return clock


@pytest.fixture
def org_people(db):
    """Acme with an owner, an editor and a viewer; Globex with its own owner (the member of another org);
    plus a signed-in user in no organisation. Each has their own MFA-verified client."""
    from tests import personas

    owner = personas.make_user("owner@acme.test")
    editor = personas.make_user("editor@acme.test")
    viewer = personas.make_user("viewer@acme.test")
    other = personas.make_user("owner@globex.test")
    loner = personas.make_user("bob@example.test")
    acme = personas.make_org("Acme", owner=[owner], editor=[editor], viewer=[viewer])
    globex = personas.make_org("Globex", owner=[other])
    return {
        "acme": acme, "globex": globex,
        "owner": owner, "editor": editor, "viewer": viewer, "other_org": other, "loner": loner,
        "clients": {name: personas.signed_in(user) for name, user in
                    [("owner", owner), ("editor", editor), ("viewer", viewer), ("other_org", other),
                     ("loner", loner)]},
    }


@pytest.fixture
def world(org_people):
    """For the URL-walker and the CSRF checks (tests/test_url_walker.py): Acme's assessment (objective mode,
    answers, an SSP with one generated version), an open invitation, and an anonymous assessment held by another
    browser session; plus every stranger."""
    from datetime import date

    from django.test import Client

    from orgs.models import Membership, Role, create_invitation
    from ssp.models import create_ssp, record_version
    from tests.personas import make_assessment, start_anonymous
    from timeline.snapshots import take_snapshot

    acme = org_people["acme"]
    org_assessment = make_assessment(acme, "Acme", objective_mode=True)
    ssp = create_ssp(assessment=org_assessment)
    record_version(ssp=ssp, label="1.0", generated_on=date(2026, 1, 1), description="first", made_by="owner",
                   catalog_revision="test", draft=True, docx=b"docx", pdf=b"%PDF")
    invitation, _ = create_invitation(organization=acme, email="x@example.test", role=Role.VIEWER,
                                      invited_by=org_people["owner"])
    holder = Client()
    anonymous = start_anonymous(holder, "Anonymous Co")
    anonymous.objective_mode = True
    anonymous.save(update_fields=["objective_mode"])
    anon_ssp = create_ssp(assessment=anonymous)
    record_version(ssp=anon_ssp, label="1.0", generated_on=date(2026, 1, 1), description="first", made_by="me",
                   catalog_revision="test", draft=True, docx=b"docx", pdf=b"%PDF")
    # Snapshot 1 of each (timeline's routes take its number).
    take_snapshot(assessment=org_assessment, label="first")
    take_snapshot(assessment=anonymous, label="first")
    other_session = Client()
    start_anonymous(other_session, "Someone else")
    clients = org_people["clients"]
    org_target = {
        "public_id": org_assessment.public_id, "org_id": acme.public_id, "number": "1",
        "membership_id": str(Membership.objects.get(user=org_people["viewer"]).pk),
        "invitation_id": str(invitation.pk),
    }
    # The anonymous assessment stands in for every object kwarg it has no counterpart for with Acme's ids:
    # Acme's organisation routes are then also walked with an anonymous session holding a real grant.
    anon_target = org_target | {"public_id": anonymous.public_id}
    strangers = {
        "another user": clients["loner"],
        "a fresh anonymous session": other_session,
        "a member of another organisation": clients["other_org"],
        "a logged-out client": Client(),
    }
    return {
        "targets": {"org": (org_target, clients["owner"]), "anonymous": (anon_target, holder)},
        "strangers": strangers, "viewer": clients["viewer"], "people": org_people,
    }
