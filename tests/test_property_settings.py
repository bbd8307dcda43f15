"""The property tests' settings (the Hypothesis profiles in tests/conftest.py): in CI every run tries the same
examples; no test module sets its own derandomize or example database, which would undo that."""

import importlib
import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings as django_settings
from hypothesis import settings

TESTS = Path(__file__).resolve().parent

# The profile conftest.py loads with CI set, then without (the same process, conftest.py imported again).
PROFILES = """
import importlib
import os
import django
django.setup()
from hypothesis import settings
os.environ["CI"] = "true"
import tests.conftest
print(settings.get_current_profile_name(), settings.default.derandomize, settings.default.database)
del os.environ["CI"]
importlib.reload(tests.conftest)
print(settings.get_current_profile_name(), settings.default.derandomize, repr(settings.default.database).split("(")[0])
"""


def test_with_ci_set_property_tests_are_derandomized_and_keep_no_example_database_and_without_they_are_not():
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "HYPOTHESIS_PROFILE")}
    result = subprocess.run([sys.executable, "-c", PROFILES], cwd=django_settings.BASE_DIR, check=True,
                            env=env | {"DJANGO_SETTINGS_MODULE": "cmmc_site.settings"},
                            capture_output=True, text=True, timeout=120)
    # Without CI: new examples each run, and the failures found are replayed from the example database.
    assert result.stdout.splitlines() == ["ci True None", "default False DirectoryBasedExampleDatabase"]


def property_tests() -> dict[str, settings]:
    """Every @given test of the suite with the settings it runs with."""
    found = {}
    for path in sorted(TESTS.glob("test_*.py")):
        module = importlib.import_module(f"tests.{path.stem}")
        for name, value in vars(module).items():
            if name.startswith("test_") and hasattr(value, "hypothesis"):
                found[f"{path.stem}.{name}"] = value._hypothesis_internal_use_settings
    return found


def test_no_property_test_sets_its_own_derandomize_or_example_database():
    found = property_tests()
    assert len(found) >= 10, sorted(found)  # the scoring, fuzz and import properties
    loaded = settings.default
    assert {name: (s.derandomize, s.database) for name, s in found.items()
            if (s.derandomize, s.database) != (loaded.derandomize, loaded.database)} == {}
