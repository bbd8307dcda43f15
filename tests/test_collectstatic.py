"""collectstatic with the production storage (WhiteNoise's compressed manifest), Bootstrap from npm included."""

import json
import re

import pytest
from django.core.management import call_command
from django.test import Client

MANIFEST_STORAGE = "whitenoise.storage.CompressedManifestStaticFilesStorage"


@pytest.fixture(scope="module")
def static_root(tmp_path_factory):
    """One collectstatic run for the module (it compresses a few MB of Bootstrap)."""
    from django.test import override_settings

    root = tmp_path_factory.mktemp("staticfiles")
    storages = {"default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
                "staticfiles": {"BACKEND": MANIFEST_STORAGE}}
    with override_settings(STATIC_ROOT=root, STORAGES=storages):
        call_command("collectstatic", "--noinput", verbosity=0)
    return root


@pytest.fixture
def production_static(settings, static_root):
    settings.STATIC_ROOT = static_root
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": MANIFEST_STORAGE}}
    settings.DEBUG = False
    return static_root


@pytest.mark.slow
def test_collectstatic_hashes_and_compresses_bootstrap_and_our_files(static_root):
    paths = json.loads((static_root / "staticfiles.json").read_text())["paths"]
    for name in ("vendor/bootstrap/css/bootstrap.min.css", "vendor/bootstrap/js/bootstrap.bundle.min.js",
                 "css/app.css", "js/app.js", "img/favicon.svg"):
        hashed = static_root / paths[name]
        assert hashed.is_file() and hashed.name != name.rsplit("/", 1)[-1]
    css = static_root / paths["vendor/bootstrap/css/bootstrap.min.css"]
    assert css.with_name(css.name + ".gz").is_file()
    assert css.with_name(css.name + ".br").is_file()


@pytest.mark.slow
def test_bootstrap_builds_no_page_uses_are_not_collected(static_root):
    paths = json.loads((static_root / "staticfiles.json").read_text())["paths"]
    bootstrap = sorted(name.rsplit("/", 1)[-1] for name in paths if name.startswith("vendor/bootstrap/"))
    assert bootstrap == ["bootstrap.bundle.min.js", "bootstrap.bundle.min.js.map", "bootstrap.min.css",
                         "bootstrap.min.css.map"]


@pytest.mark.slow
def test_bootstraps_source_map_reference_points_at_a_collected_file(static_root):
    paths = json.loads((static_root / "staticfiles.json").read_text())["paths"]
    css = (static_root / paths["vendor/bootstrap/css/bootstrap.min.css"]).read_text()
    referenced = re.search(r"sourceMappingURL=(\S+?)\s*\*/", css).group(1)
    assert referenced != "bootstrap.min.css.map"  # rewritten to the hashed name
    assert (static_root / "vendor/bootstrap/css" / referenced).is_file()


@pytest.mark.slow
@pytest.mark.django_db
def test_pages_link_only_collected_hashed_files(production_static):
    html = Client().get("/").content.decode()
    links = re.findall(r'(?:href|src)="/static/([^"]+)"', html)
    assert any(link.startswith("vendor/bootstrap/css/bootstrap.min.") for link in links)
    for link in links:
        assert (production_static / link).is_file(), link
    assert 'href="/static/css/app.css"' not in html  # the unhashed name would not be cached for a year
