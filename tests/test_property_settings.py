"""The property tests' settings (the Hypothesis profiles in tests/conftest.py): in CI every run tries the same
examples; no test module sets its own derandomize or example database, which would undo that."""

import os
import subprocess
import sys

from django.conf import settings as django_settings

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


# Every @given test of the suite, imported with CI set: those that would not be derandomized there.
RANDOM_IN_CI = """
import importlib
import os
from pathlib import Path
import django
django.setup()
os.environ["CI"] = "true"
import tests.conftest
found = []
for path in sorted(Path("tests").glob("test_*.py")):
    module = importlib.import_module(f"tests.{path.stem}")
    for name, value in vars(module).items():
        if name.startswith("test_") and hasattr(value, "hypothesis"):
            settings = value._hypothesis_internal_use_settings
            found.append(f"{path.stem}.{name} {settings.derandomize} {settings.database}")
print("\\n".join(found))
"""


def test_with_ci_set_every_property_test_is_derandomized_none_brings_back_its_own_randomness_or_database():
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "HYPOTHESIS_PROFILE")}
    result = subprocess.run([sys.executable, "-c", RANDOM_IN_CI], cwd=django_settings.BASE_DIR, check=True,
                            env=env | {"DJANGO_SETTINGS_MODULE": "cmmc_site.settings"},
                            capture_output=True, text=True, timeout=300)
    found = dict(line.split(" ", 1) for line in result.stdout.splitlines())
    assert len(found) >= 10, found  # the scoring, fuzz and import properties
    assert {name: value for name, value in found.items() if value != "True None"} == {}
