"""audit/check_patches.py (check 27): its version logic on sample ``pip index versions`` outputs; no network."""

import importlib.util
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("check_patches", BASE_DIR / "audit" / "check_patches.py")
check_patches = importlib.util.module_from_spec(_spec)
sys.modules["check_patches"] = check_patches  # dataclasses look their module up
_spec.loader.exec_module(check_patches)

DJANGO_OUTPUT = """\
Django (6.1.3)
Available versions: 6.1.3, 6.1.2, 6.1.1, 6.1, 6.0.10, 6.0.9, 5.2.19, 1.1.3
  INSTALLED: 6.1.2
  LATEST:    6.1.3
"""
ALLAUTH_OUTPUT = """\
django-allauth (65.23.0)
Available versions: 65.23.0, 65.22.2, 65.22.1, 65.22.0, 65.21.0
"""
WEASYPRINT_OUTPUT = "weasyprint (67.0)\nAvailable versions: 67.0, 66.1, 66.0, 65.1, 65.0\n"


def test_the_available_versions_line_is_read_in_order():
    assert check_patches.parse_index_versions(DJANGO_OUTPUT) == ["6.1.3", "6.1.2", "6.1.1", "6.1", "6.0.10", "6.0.9",
                                                                  "5.2.19", "1.1.3"]


@pytest.mark.parametrize("output", ["", "ERROR: No matching distribution found for Django\n",
                                    "Django (6.1.3)\nAvailable versions:\n"])
def test_an_answer_without_versions_is_an_index_failure_never_an_empty_list(output):
    with pytest.raises(check_patches.IndexUnavailable):
        check_patches.parse_index_versions(output)


@pytest.mark.parametrize("installed, output, depth, expected", [
    ("6.1.2", DJANGO_OUTPUT, 2, ["6.1.3"]),
    ("6.1.3", DJANGO_OUTPUT, 2, []),
    ("6.1", DJANGO_OUTPUT, 2, ["6.1.3", "6.1.2", "6.1.1"]),  # "6.1" is 6.1.0
    ("6.0.9", DJANGO_OUTPUT, 2, ["6.0.10"]),  # 10 > 9: numbers, not text
    ("5.2.19", DJANGO_OUTPUT, 2, []),  # 6.x is a new series, not a patch
    ("65.22.1", ALLAUTH_OUTPUT, 2, ["65.22.2"]),
    ("66.0", WEASYPRINT_OUTPUT, 1, ["66.1"]),  # WeasyPrint: MAJOR.FIX
    ("67.0", WEASYPRINT_OUTPUT, 1, []),
])
def test_only_newer_final_releases_of_the_same_series_count(installed, output, depth, expected):
    available = check_patches.parse_index_versions(output)
    assert check_patches.newer_in_series(installed, available, depth) == expected


def test_pre_releases_dev_releases_and_unparsable_versions_never_count():
    available = ["6.1.4rc1", "6.1.4a1", "6.1.4.dev3", "not-a-version", "6.1.3"]
    assert check_patches.newer_in_series("6.1.3", available) == []
    assert check_patches.newer_in_series("6.1.2", available) == ["6.1.3"]
    assert check_patches.newest(available) == "6.1.3"


def test_a_post_release_of_the_installed_patch_counts_as_newer():
    assert check_patches.newer_in_series("3.3.9", ["3.3.9.post1", "3.3.9"]) == ["3.3.9.post1"]


def test_the_verdicts():
    available = check_patches.parse_index_versions(DJANGO_OUTPUT)
    assert check_patches.check("Django", "6.1.2", available, 2).verdict == "OUTDATED: 6.1.3 is out"
    assert check_patches.check("Django", "6.1.3", available, 2).verdict == "ok"
    row = check_patches.check("Django", "6.0.10", available, 2)
    assert row.verdict == "ok (newer series 6.1.3 exists; not a patch)" and row.latest_patch == "6.0.10"


INSTALLED = {"Django": "6.1.3", "WeasyPrint": "67.0", "django-allauth": "65.22.2", "lxml": "6.1.3",
             "Pillow": "13.0.0", "cryptography": "50.0.2", "psycopg": "3.3.9"}  # psycopg-binary: not installed
INDEX = {"Django": DJANGO_OUTPUT, "WeasyPrint": WEASYPRINT_OUTPUT, "django-allauth": ALLAUTH_OUTPUT,
         "lxml": "Available versions: 6.1.3, 6.1.2", "Pillow": "Available versions: 13.0.0",
         "cryptography": "Available versions: 50.0.2", "psycopg": "Available versions: 3.3.9, 3.3.8"}


@pytest.fixture
def offline(monkeypatch):
    """Installed versions and index answers from the samples above; pip is never run."""
    def version(name: str) -> str:
        if name not in INSTALLED:
            raise metadata.PackageNotFoundError(name)
        return INSTALLED[name]

    monkeypatch.setattr(check_patches.metadata, "version", version)
    monkeypatch.setattr(check_patches, "ask_index",
                        lambda package, index_url: check_patches.parse_index_versions(INDEX[package]))


def test_everything_current_exits_0_with_a_table(offline, capsys):
    assert check_patches.main([]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["package", "installed", "latest", "patch", "latest", "release", "verdict"]
    assert "django-allauth  65.22.2" in out and "ok (newer series 65.23.0 exists; not a patch)" in out
    assert "psycopg-binary" in out and "not installed (skipped)" in out
    assert "Every checked package is on the latest patch" in out


def test_a_newer_patch_exits_1_and_names_it(offline, capsys, monkeypatch):
    monkeypatch.setitem(INSTALLED, "lxml", "6.1.2")
    assert check_patches.main([]) == 1
    out = capsys.readouterr().out
    assert "OUTDATED: 6.1.3 is out" in out and "1 package(s) have a newer patch release" in out


def test_an_unreachable_index_exits_2_and_says_so_even_when_the_rest_is_current(offline, capsys, monkeypatch):
    def unreachable(package, index_url):
        if package == "Pillow":
            raise check_patches.IndexUnavailable("pip exited 1: ERROR: No matching distribution found for Pillow")
        return check_patches.parse_index_versions(INDEX[package])

    monkeypatch.setattr(check_patches, "ask_index", unreachable)
    assert check_patches.main([]) == 2
    captured = capsys.readouterr()
    assert "INDEX UNREACHABLE" in captured.out and "latest patch of its series" not in captured.out
    assert "could not be asked" in captured.err and "No matching distribution found for Pillow" in captured.err


def test_ask_index_turns_a_pip_failure_or_a_hang_into_an_index_failure(monkeypatch):
    calls = []

    def failing_pip(command, **kwargs):
        calls.append(command)
        return subprocess.CompletedProcess(command, 1, "", "WARNING: Retrying...\nERROR: No matching distribution\n")

    monkeypatch.setattr(check_patches.subprocess, "run", failing_pip)
    with pytest.raises(check_patches.IndexUnavailable, match="pip exited 1: .*No matching distribution"):
        check_patches.ask_index("Django", None)
    # Never a local mirror or wheel folder from pip's configuration: those could hide a newer release.
    assert "--isolated" in calls[0] and calls[0][calls[0].index("versions") + 1] == "Django"

    def hanging_pip(command, **kwargs):
        raise subprocess.TimeoutExpired(command, kwargs["timeout"])

    monkeypatch.setattr(check_patches.subprocess, "run", hanging_pip)
    with pytest.raises(check_patches.IndexUnavailable, match="did not answer"):
        check_patches.ask_index("Django", "http://127.0.0.1:9/simple")
