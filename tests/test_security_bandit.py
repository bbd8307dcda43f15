"""Static security lint (check 14, the bandit half): zero findings on our code. A finding is fixed, or justified
in place with ``# nosec <id> - reason``."""

import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
EXCLUDED = {"tests", "node_modules", "static", "templates", "fixtures", "docs", "bench", "staticfiles", "media"}


def our_packages() -> list[str]:
    return sorted(p.name for p in BASE_DIR.iterdir()
                  if p.is_dir() and (p / "__init__.py").exists() and p.name not in EXCLUDED)


@pytest.mark.slow
def test_bandit_finds_nothing_in_our_code():
    packages = our_packages()
    assert {"accounts", "orgs", "assessments", "cmmc_site"} <= set(packages)
    result = subprocess.run(
        [sys.executable, "-m", "bandit", "-q", "-r", *packages, "-x", "*/migrations/*,tests,.venv",
         "-f", "custom", "--msg-template", "{relpath}:{line} {test_id} {msg}"],
        cwd=BASE_DIR, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
