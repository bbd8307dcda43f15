"""Migrations (check 22): the linter finds nothing we have not accepted, and every app migrates back to zero.

- ``makemigrations --check --dry-run`` runs here (and in .ci/run): a model change without its migration fails
  ``make test``. The forward path from zero is what creating the test database does, and the round trip below
  repeats it on a database of its own.
- ``lintmigrations`` (django-migration-linter, a test dependency, so not in INSTALLED_APPS: production does not
  install it) runs over every migration of our apps, against the backend under test: SQLite and PostgreSQL produce
  different SQL, and CI runs this file on both. Each accepted finding is listed below with its reason; any other
  finding, or an accepted one that no longer occurs, fails.
- Data migrations (RunPython or RunSQL) are listed in DATA_MIGRATIONS with the test of their forward and backward
  steps on real rows; the last test keeps the list complete.
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

WIDENED = ("Widening responsible from 200 to 500 characters (varchar(200) -> varchar(500)): PostgreSQL changes o"
           "nly the type's limit, without rewriting the table, and old code writes shorter values.")
DROPPED = ("The SSP's requirement rows and their history, merged into the answers by ssp/0003: no code of this r"
           "elease reads them. Dropping the columns first is Django removing the foreign keys before the tables.")
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
        ("assessments", "0003_one_record_per_requirement"): {
            "NOT NULL constraint on columns": (
                "SQLite alters a column (here: the longer responsible, the new poam_reference with its default '') "
                "by rebuilding the whole table, and the linter flags every NOT NULL column of the rebuilt table. "
                "The new column has a default, so old code inserting without it still works."
            ),
        },
        ("ssp", "0005_versions_restored_from_a_file"): {
            "NOT NULL constraint on columns": (
                "SQLite adds the new imported flag (NOT NULL, default false) by rebuilding ssp_sspversion and its "
                "history table; the linter flags the rebuilt tables' NOT NULL columns. Old code inserting without "
                "the column still works: it has a default."
            ),
        },
        ("assessments", "0004_plan_for_an_assessor"): {
            "NOT NULL constraint on columns": (
                "SQLite adds the answer's new text columns (provider responsibility, N/A approval, the POA&M row: "
                "NOT NULL with the default '', the dates nullable) by rebuilding assessments_answer and its history "
                "table; the linter flags the rebuilt tables' NOT NULL columns. Old code inserting without the "
                "columns still works: each has a default."
            ),
        },
        ("ssp", "0006_plan_for_an_assessor"): {
            "NOT NULL constraint on columns": (
                "SQLite adds the plan's new columns (CUI designation, approval date, reason for no diagram, example "
                "variant: NOT NULL with the default '', the date nullable) by rebuilding ssp_systemsecurityplan and "
                "its history table; the linter flags the rebuilt tables' NOT NULL columns. Old code inserting "
                "without them still works: each has a default. The two new tables are created, not altered."
            ),
        },
        ("ssp", "0004_requirement_records_live_on_the_answers"): {
            "NOT NULL constraint on columns": (
                "Deleting the SSP's requirement rows: SQLite drops their constraints and foreign keys by rebuilding "
                "the tables first, and the linter flags the rebuilt tables' NOT NULL columns. The tables are then "
                "dropped; no code of this release reads them (their rows were merged into the answers by 0003)."
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
        ("assessments", "0003_one_record_per_requirement"): {
            "ALTERING columns (Could be backward compatible. You may ignore this migration.) (table: "
            "assessments_answer, column: responsible)": WIDENED,
            "ALTERING columns (Could be backward compatible. You may ignore this migration.) (table: "
            "assessments_historicalanswer, column: responsible)": WIDENED,
            "NOT NULL constraint on columns": (
                "The new poam_reference column is NOT NULL with a default (''): PostgreSQL fills existing rows "
                "from the default, and old code inserting without it still works."
            ),
        },
        ("ssp", "0005_versions_restored_from_a_file"): {
            "NOT NULL constraint on columns": (
                "The new imported flag is NOT NULL with a default (false): PostgreSQL fills existing rows from the "
                "default, and old code inserting without it still works."
            ),
        },
        ("assessments", "0004_plan_for_an_assessor"): {
            "NOT NULL constraint on columns": (
                "The answer's new text columns (provider responsibility, N/A approval, the POA&M row) are NOT NULL "
                "with a default (''): PostgreSQL fills existing rows from the default, and old code inserting "
                "without them still works."
            ),
        },
        ("ssp", "0004_requirement_records_live_on_the_answers"): {
            **{f"DROPPING columns (table: ssp_historicalrequirementimplementation, column: {column})": DROPPED
               for column in ("history_user_id", "requirement_id", "ssp_id")},
            "DROPPING table (table: ssp_historicalrequirementimplementation)": DROPPED,
            "DROPPING table (table: ssp_requirementimplementation)": DROPPED,
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


def run_on_fresh_database(script: str, *args: str, name: str) -> subprocess.CompletedProcess:
    """Run ``script`` (Django set up by it) against a database of its own: SQLite in memory, or on PostgreSQL a
    scratch database named after the test database and ``name``, dropped afterwards."""
    settings_dict = connection.settings_dict
    env = os.environ | {"DJANGO_SETTINGS_MODULE": "cmmc_site.settings"}
    if connection.vendor == "sqlite":
        env["DATABASE_URL"] = "sqlite://:memory:"
        scratch = None
    else:
        assert connection.vendor == "postgresql"
        import psycopg

        scratch = f"{settings_dict['NAME']}_{name}"  # test_<yourname>_<name>: parallel runs never meet
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
        return subprocess.run([sys.executable, "-c", script, *args], cwd=BASE_DIR, env=env, capture_output=True,
                              text=True, timeout=180)
    finally:
        if scratch:
            admin.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
            admin.close()


@pytest.mark.slow
def test_every_app_migrates_back_to_zero_and_forward_again_on_an_empty_database():
    """On a database of its own (the test database keeps its catalog): a few seconds on SQLite or PostgreSQL."""
    result = run_on_fresh_database(ROUND_TRIP, *our_apps(), name="round_trip")
    assert result.returncode == 0 and "round trip ok" in result.stdout, result.stdout + result.stderr[-3000:]


# Each data migration of ours, with the test of its forward and backward steps on real rows.
DATA_MIGRATIONS = {
    "ssp/0003_merge_requirement_records": "tests/test_migration_merge_requirement_records.py",
}


def test_every_data_migration_of_ours_has_its_test():
    """If this fails, add a test of the new data migration's forward and backward steps on real rows (check 22),
    then list it in DATA_MIGRATIONS."""
    data_migrations = [
        f"{label}/{name}" for label in our_apps() for name in migration_files(label)
        if re.search(r"\b(RunPython|RunSQL)\b",
                     (Path(apps.get_app_config(label).path) / "migrations" / f"{name}.py").read_text())
    ]
    assert data_migrations == sorted(DATA_MIGRATIONS)
    assert all((BASE_DIR / test).exists() for test in DATA_MIGRATIONS.values())
