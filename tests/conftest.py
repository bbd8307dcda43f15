import shutil
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.core.management import call_command

from controls.catalog import load_catalog, read_catalog


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    # The catalog is reference data: load it once for the whole session, as `make run` does.
    with django_db_blocker.unblock():
        load_catalog(catalog=read_catalog(settings.CATALOG_FIXTURE))
        call_command("createcachetable", verbosity=0)


@pytest.fixture
def catalog_db(transactional_db):
    """For live-server tests: a transactional test flushes the tables, so reload the catalog first."""
    from controls.models import Requirement

    if not Requirement.objects.exists():
        load_catalog(catalog=read_catalog(settings.CATALOG_FIXTURE))
    call_command("createcachetable", verbosity=0)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
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
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.implicitly_wait(0)
    yield driver
    driver.quit()
