"""Migrations (check 22): the linter finds nothing we have not accepted, and every app migrates back to zero.

- ``makemigrations --check --dry-run`` runs here (and in .ci/run): a model change without its migration fails
  ``make test``. The forward path from zero is what creating the test database does, and the round trip below
  repeats it on a database of its own.
- ``lintmigrations`` (django-migration-linter, a test dependency, so not in INSTALLED_APPS: production does not
  install it) runs over every migration of our apps, against the backend under test: SQLite and PostgreSQL produce
  different SQL, and CI runs this file on both. Each accepted finding is listed below with its reason; any other
  finding, or an accepted one that no longer occurs, fails.
- No data migrations: no migration of ours has RunPython or RunSQL (the last test keeps it so), so there is no
  django-test-migrations test. The first data migration needs one (its forward and backward step on real rows).
"""

import contextlib
import io
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django_migration_linter.management.commands.lintmigrations import Command as LintMigrations

BASE_DIR = Path(__file__).resolve().parent.parent

# (app, migration) -> {linter message: why it is accepted}, per database backend.
ACCEPTED: dict[str, dict[tuple[str, str], dict[str, str]]] = {
    "sqlite": {
        ("controls", "0001_initial"): {
            "NOT NULL constraint on columns": (
                "SQLite adds a constraint by rebuilding the table (CREATE TABLE new__... then RENAME), and the "
                "linter's SQLite check flags every NOT NULL column of a rebuilt table. The rebuilt tables "
                "(controls_requirement, controls_objective) are created earlier in this same initial migration: "
                "no old code and no row can meet them. On PostgreSQL the same migration is clean."
            ),
        },
    },
    "postgresql": {
        ("assessments", "0002_organization"): {
            "CREATE INDEX locks table": (
                "The index on the new, nullable organization_id of assessments_assessment and of its history "
                "table. A plain CREATE INDEX blocks writes to those tables while it builds; they hold one row "
                "per assessment (and per change), so it takes milliseconds. CONCURRENTLY would need a "
                "non-atomic migration for no gain at this size."
            ),
            "CREATE INDEX prolongs transaction, delaying lock release": "The same two indexes, as above.",
        },
    },
}


def our_apps() -> list[str]:
    """The labels of our apps that have migrations (third-party apps are their authors' business)."""
    return sorted(
        config.label for config in apps.get_app_configs()
        # Ours are top-level packages of the repo (the virtualenv inside it holds the third-party ones).
        if Path(config.path).parent == BASE_DIR and (Path(config.path) / "migrations" / "__init__.py").exists()
    )


def migration_files(label: str) -> list[str]:
    folder = Path(apps.get_app_config(label).path) / "migrations"
    return sorted(p.stem for p in folder.glob("[0-9]*.py"))


def parse_linter_output(text: str) -> dict[tuple[str, str], tuple[str, list[str]]]:
    """``(app, migration)... STATUS`` lines, each followed by its tab-indented messages."""
    results: dict[tuple[str, str], tuple[str, list[str]]] = {}
    current = None
    for line in text.splitlines():
        if match := re.fullmatch(r"\((\w+), (\w+)\)\.\.\. (\w+)", line):
            current = (match[1], match[2])
            results[current] = (match[3], [])
        elif line.startswith("\t") and current:
            results[current][1].append(line.strip())
    return results


# makemigrations reads the applied migrations from the database (its consistency check): hence the mark.
@pytest.mark.django_db
def test_every_model_change_has_its_migration():
    out = io.StringIO()
    try:
        # Every app, third-party ones too, as `manage.py makemigrations --check --dry-run` in .ci/run.
        call_command("makemigrations", check=True, dry_run=True, verbosity=1, stdout=out, stderr=out)
    except SystemExit as exc:  # --check exits non-zero when a migration is missing
        pytest.fail(f"makemigrations --check exited with {exc.code}; run makemigrations:\n{out.getvalue()}")
    assert out.getvalue().strip() == "No changes detected"


def test_the_parser_reads_statuses_and_their_messages():
    sample = "(a, 0001_x)... OK\n(b, 0002_y)... ERR\n\tfirst\n\tsecond\n*** Summary ***\n"
    assert parse_linter_output(sample) == {("a", "0001_x"): ("OK", []), ("b", "0002_y"): ("ERR", ["first", "second"])}


# Outside a transaction: on SQLite sqlmigrate cannot run inside one. The linter only reads; the flush afterwards
# is what every transactional test costs (pytest-django runs these after the others, catalog_db reloads).
@pytest.mark.django_db(transaction=True)
def test_lintmigrations_finds_nothing_but_the_accepted_findings_in_our_migrations():
    labels = our_apps()
    assert {"accounts", "assessments", "controls", "iso27001", "orgs", "ssp"} <= set(labels)
    out = io.StringIO()
    exit_code = 0
    with contextlib.redirect_stdout(out):  # the linter print()s
        try:
            # Warnings count as errors: an index build or a lock is a finding to fix or accept here.
            call_command(LintMigrations(), "--no-cache", "--warnings-as-errors", "--include-apps", *labels)
        except SystemExit as exc:  # the command exits 1 when it finds an error
            exit_code = exc.code
    results = parse_linter_output(out.getvalue())
    ours = {key: value for key, value in results.items() if key[0] in labels}
    # Every migration file of ours was linted, none skipped.
    assert sorted(ours) == sorted((label, name) for label in labels for name in migration_files(label)), out.getvalue()
    assert not [key for key, (status, _) in ours.items() if status == "IGNORE"]
    accepted = ACCEPTED.get(connection.vendor, {})
    found = {key: set(messages) for key, (status, messages) in ours.items() if status != "OK"}
    unexpected = {key: messages - set(accepted.get(key, {})) for key, messages in found.items()}
    assert not {key: m for key, m in unexpected.items() if m}, out.getvalue()
    stale = {key: set(reasons) - found.get(key, set()) for key, reasons in accepted.items()}
    assert not {key: m for key, m in stale.items() if m}, f"accepted findings that no longer occur: {stale}"
    assert exit_code == (1 if accepted else 0)


ROUND_TRIP = """
import sys
import django
django.setup()
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

def tables(label):
    return {m._meta.db_table for m in apps.get_app_config(label).get_models() if m._meta.managed}

def plan(targets):
    executor = MigrationExecutor(connection)
    return [migration for migration, _ in executor.migration_plan(targets or executor.loader.graph.leaf_nodes())]

labels = sys.argv[1:]
call_command("migrate", verbosity=0)
assert not plan(None)
call_command("load_catalog", verbosity=0)  # go back over tables with rows in them
from assessments.models import Assessment
Assessment.objects.create(organization_name="Round trip")
ours = {key for key in MigrationExecutor(connection).loader.disk_migrations if key[0] in labels}
reversed_ = set()
# `migrate controls zero` also reverses everything that depends on controls: start with the widest reversal and
# skip an app whose migrations have all been reversed already (each backward step still runs at least once).
for label in sorted(labels, key=lambda label: -len(plan([(label, None)]))):
    backward = {(m.app_label, m.name) for m in plan([(label, None)])}
    if backward <= reversed_:
        continue
    call_command("migrate", label, "zero", verbosity=0)
    left = tables(label) & set(connection.introspection.table_names())
    assert not left, f"{label} zero left {left}"
    reversed_ |= backward
    call_command("migrate", verbosity=0)
    assert not plan(None) and tables(label) <= set(connection.introspection.table_names())
    print("reversed", label)
assert reversed_ >= ours, ours - reversed_
print("round trip ok")
"""


@pytest.mark.slow
def test_every_app_migrates_back_to_zero_and_forward_again_on_an_empty_database():
    """On a database of its own (the test database keeps its catalog): a few seconds on SQLite or PostgreSQL."""
    settings_dict = connection.settings_dict
    env = os.environ | {"DJANGO_SETTINGS_MODULE": "cmmc_site.settings"}
    if connection.vendor == "sqlite":
        env["DATABASE_URL"] = "sqlite://:memory:"
        scratch = None
    else:
        assert connection.vendor == "postgresql"
        import psycopg

        scratch = f"{settings_dict['NAME']}_round_trip"  # test_<yourname>_round_trip: parallel runs never meet
        params = {"host": settings_dict["HOST"] or None, "port": settings_dict["PORT"] or None,
                  "user": settings_dict["USER"] or None, "password": settings_dict["PASSWORD"] or None}
        admin = psycopg.connect(dbname="postgres", autocommit=True, **params)
        admin.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{scratch}"')
        credentials = quote(settings_dict["USER"] or "", safe="")
        if settings_dict["PASSWORD"]:
            credentials += ":" + quote(settings_dict["PASSWORD"], safe="")
        env["DATABASE_URL"] = (f"postgres://{credentials}@{settings_dict['HOST']}:{settings_dict['PORT'] or 5432}"
                               f"/{scratch}")
    try:
        result = subprocess.run([sys.executable, "-c", ROUND_TRIP, *our_apps()], cwd=BASE_DIR, env=env,
                                capture_output=True, text=True, timeout=120)
    finally:
        if scratch:
            admin.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
            admin.close()
    assert result.returncode == 0 and "round trip ok" in result.stdout, result.stdout + result.stderr[-3000:]


def test_no_migration_of_ours_is_a_data_migration():
    """If this fails, add a django-test-migrations test for the new data migration (check 22), then update it."""
    data_migrations = [
        f"{label}/{name}" for label in our_apps() for name in migration_files(label)
        if re.search(r"\b(RunPython|RunSQL)\b",
                     (Path(apps.get_app_config(label).path) / "migrations" / f"{name}.py").read_text())
    ]
    assert data_migrations == []
