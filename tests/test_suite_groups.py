"""`make test` runs the suite with `--dist loadgroup`: the tests of a module that share a module-scoped fixture must
run on one worker, or each worker builds the fixture again (a collectstatic, a migrated database). That broke once
without a sound: pytest 9.2 keeps node ids where pytest-xdist cannot add the group to them."""

import subprocess
import sys
import textwrap

import pytest
from django.conf import settings

MODULE = r'''
import os
import pytest

@pytest.fixture(scope="module")
def shared():
    return os.environ["PYTEST_XDIST_WORKER"]

@pytest.mark.parametrize("n", range(8))
def test_shared(shared, n):
    with open(os.path.join(os.path.dirname(__file__), "ran.txt"), "a") as ran:
        ran.write(f"{n} {shared} {os.environ['PYTEST_XDIST_WORKER']}\n")

@pytest.mark.parametrize("n", range(8))
def test_alone(n):
    pass
'''


@pytest.mark.slow
def test_tests_sharing_a_module_fixture_run_on_one_worker(tmp_path):
    (tmp_path / "test_grouped.py").write_text(MODULE)
    # Our conftest's marking, applied to a module of its own, with two workers as `make test` has on this machine.
    (tmp_path / "conftest.py").write_text(textwrap.dedent('''
        import importlib.util
        spec = importlib.util.spec_from_file_location("suite_conftest", {path!r})
        suite = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(suite)
        pytest_itemcollected = suite.pytest_itemcollected
    ''').format(path=str(settings.BASE_DIR / "tests" / "conftest.py")))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:randomly", "-n", "2", "--dist",
         "loadgroup", "-q", "-c", "/dev/null", "--rootdir", str(tmp_path), str(tmp_path)],
        cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=120,
        env={"DJANGO_SETTINGS_MODULE": "cmmc_site.settings", "PATH": "/usr/bin:/bin",
             "PYTHONPATH": str(settings.BASE_DIR)},
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    ran = [line.split() for line in (tmp_path / "ran.txt").read_text().splitlines()]
    assert len(ran) == 8
    # The fixture was built once, on the worker that ran all eight.
    assert {(built, worker) for _, built, worker in ran} == {(ran[0][1], ran[0][1])}
