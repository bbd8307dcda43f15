"""``manage.py render_ssp``: the plan in an assessment file rendered to DOCX and PDF as Generate renders it, with the
database left as it was; and the example plan in docs/examples, which must render final."""

import io
import json
import os
import re
import subprocess
import sys
import zipfile
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.db import transaction
from docx import Document

from assessments import scoring
from assessments.assessment_file import MAX_FILE_BYTES, import_json
from assessments.models import today
from assessments.records import score_assessment
from ssp.blocks import MAX_PLAN_CHARS
from ssp.document import build_document
from ssp.models import SystemSecurityPlan

from .ssp_helpers import pdf_text

# The module-scoped database of the subprocess test keeps the whole module on one xdist worker (as conftest would).
pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("test_render_ssp_command.py")]

EXAMPLE = Path(django_settings.BASE_DIR) / "docs" / "examples" / "acme-ssp.json"
SYSTEM_NAME = "Acme Precision Machining Engineering CUI Enclave"
ON = "2026-11-16"


def example() -> dict:
    return json.loads(EXAMPLE.read_text(encoding="utf-8"))


def row_counts() -> dict[str, int]:
    """Every table of ours and Django's, by model (history tables included)."""
    return {model._meta.label: model.objects.count() for model in apps.get_models()}


def docx_text(body: bytes) -> str:
    """Every paragraph of the body, its tables, headers and footers, as python-docx reads them."""
    document = Document(io.BytesIO(body))
    parts = [p.text for p in document.paragraphs]
    parts += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    for section in document.sections:
        for part in (section.header, section.first_page_header, section.footer, section.first_page_footer):
            parts += [p.text for p in part.paragraphs]
    return "\n".join(parts)


def versions_table(body: bytes) -> list[list[str]]:
    """The record of changes' rows (section 4.1), header first."""
    for table in Document(io.BytesIO(body)).tables:
        rows = [[cell.text for cell in row.cells] for row in table.rows]
        if rows and rows[0] == ["Version", "Date", "Description", "Made by"]:
            return rows
    raise AssertionError("no record of changes in the DOCX")


def render(*args: str) -> str:
    out = io.StringIO()
    call_command("render_ssp", *args, stdout=out)
    return out.getvalue()


def refused(*args: str) -> str:
    """The one-line message of a refusal."""
    with pytest.raises(CommandError) as caught:
        render(*args)
    message = str(caught.value)
    assert "\n" not in message
    return message


@pytest.fixture
def write(tmp_path):
    def write(data: object, name: str = "plan.json") -> str:
        path = tmp_path / name
        path.write_bytes(data if isinstance(data, bytes) else json.dumps(data).encode())
        return str(path)

    return write


# --- The example plan ---------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_the_example_is_a_final_plan_scored_107_and_conditional_with_only_one_point_items_open():
    with transaction.atomic():
        assessment = import_json(data=example())
        ssp = SystemSecurityPlan.objects.select_related("assessment").get(assessment=assessment)
        doc = build_document(ssp)
        result = score_assessment(assessment)
        transaction.set_rollback(True)
    assert [issue.message for issue in doc.issues] == [] and not doc.draft
    assert (result.score, result.outcome) == (107, scoring.Outcome.CONDITIONAL)
    assert result.open == ("3.3.4", "3.4.4", "3.6.3") and result.blockers == ()
    assert {i.rule.points for i in result.items if i.is_open} == {1}
    deadline = scoring.poam_deadline(assessment.conditional_status_date)
    entries = {e.nist_id: e for e in doc.requirements}
    for nist_id in result.open:
        assert date(2027, 1, 1) <= entries[nist_id].planned_date <= deadline
    assert [e.nist_id for e in doc.requirements if e.is_na] == ["3.13.5"]
    descriptions = [e.description for e in doc.requirements]
    assert len(set(descriptions)) == 110 and not any("<<" in d for d in descriptions)
    assert doc.size < MAX_PLAN_CHARS  # it renders: the example is within the plan limit


def test_the_example_keeps_its_poam_inside_the_180_day_closeout():
    data = example()
    status_date = date.fromisoformat(data["assessment"]["conditional_status_date"])
    for nist_id in ("3.3.4", "3.4.4", "3.6.3"):
        entry = data["requirements"][nist_id]
        milestones = [line.split(" ", 1) for line in entry["milestones"].splitlines()]
        assert len(milestones) >= 2 and all(len(text.split()) >= 4 for _, text in milestones)
        dates = [date.fromisoformat(day) for day, _ in milestones]
        assert dates == sorted(dates) and dates[-1] == date.fromisoformat(entry["planned_date"])
        assert dates[-1] <= status_date + timedelta(days=scoring.POAM_CLOSEOUT_DAYS)
        assert all(entry[name] for name in ("weakness", "identified_by", "identified_on", "responsible",
                                            "resources", "poam_reference"))


@pytest.mark.slow
def test_the_example_renders_final_through_the_command_and_the_database_is_unchanged(tmp_path):
    docx_path, pdf_path = tmp_path / "acme.docx", tmp_path / "acme.pdf"
    before = row_counts()
    printed = render(str(EXAMPLE), "--docx", str(docx_path), "--pdf", str(pdf_path), "--date", ON)
    assert row_counts() == before
    docx, pdf = docx_path.read_bytes(), pdf_path.read_bytes()
    assert printed == (f"Wrote {docx_path} ({len(docx):,} bytes), {pdf_path} ({len(pdf):,} bytes): final\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["acme.docx", "acme.pdf"]  # no temporary file left
    assert {path.stat().st_mode & 0o777 for path in (docx_path, pdf_path)} == {0o600}  # a plan is CUI

    package = zipfile.ZipFile(io.BytesIO(docx))
    xml = " ".join(package.read(name).decode() for name in package.namelist() if name.endswith(".xml"))
    assert "DRAFT" not in xml
    text = docx_text(docx)
    for expected in (SYSTEM_NAME, "107 of 110", "Level 2 Conditional, status date November 20, 2026",
                     "November 16, 2026"):
        assert expected in text
    # The version rendered is the record of changes' last row, as Generate adds it.
    assert versions_table(docx)[-1] == ["1.0", ON, "Initial version", "Margaret Kowalski"]

    printed_pdf = " ".join(pdf_text(pdf).split())
    assert "DRAFT" not in printed_pdf
    for expected in (SYSTEM_NAME, "107 of 110", "Level 2 Conditional", f"1.0 {ON} Initial version"):
        assert expected in printed_pdf


# --- Drafts, versions and options ---------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_plan_with_something_missing_is_written_as_a_draft_and_says_what_is_open(write, tmp_path):
    plan = example()
    plan["ssp"]["approval_date"] = None
    out = tmp_path / "draft.docx"
    printed = render(write(plan), "--docx", str(out), "--verbosity", "2")
    assert printed.splitlines() == [f"Wrote {out} ({out.stat().st_size:,} bytes): DRAFT, 1 open item",
                                    "  No approval date (plan approval)."]
    text = docx_text(out.read_bytes())
    assert "DRAFT" in text
    on = today()
    assert f"{on:%B} {on.day}, {on.year}" in text  # --date defaults to today


@pytest.mark.slow
def test_a_plan_with_earlier_versions_gets_the_new_one_as_its_last_row_and_refuses_a_label_it_has(write, tmp_path):
    plan = example()
    plan["ssp"]["versions"] = [{
        "number": 1, "label": "1.0", "generated_on": "2026-01-12", "description": "Initial version",
        "made_by": "Priya Natarajan", "catalog_revision": "0123456789ab", "draft": False,
        "docx_sha256": "a" * 64, "pdf_sha256": "b" * 64,
    }]
    path = write(plan)
    before = row_counts()
    assert refused(path, "--docx", str(tmp_path / "x.docx")) == (
        "--version: Version 1.0 was already generated; give this one a new number.")
    out = tmp_path / "v11.docx"
    render(path, "--docx", str(out), "--version", "1.1", "--date", ON, "--description", "Annual review",
           "--made-by", "Priya Natarajan")
    assert versions_table(out.read_bytes())[1:] == [
        ["1.0", "2026-01-12", "Initial version", "Priya Natarajan"],
        ["1.1", ON, "Annual review", "Priya Natarajan"],
    ]
    assert row_counts() == before


# --- Bad input: one line, non-zero, nothing written ---------------------------------------------------------------


def _without_ssp() -> dict:
    plan = example()
    del plan["ssp"]
    return plan


def _bad_status() -> dict:
    plan = example()
    plan["requirements"]["3.1.1"]["status"] = "partial"
    return plan


def _damaged_diagram() -> dict:
    plan = example()
    plan["ssp"]["diagram"]["sha256"] = "0" * 64
    return plan


def _too_large() -> dict:
    plan = example()
    for nist_id, entry in plan["requirements"].items():
        entry["note"] = f"{nist_id} " + "The engineering workstations are managed by Intune. " * 190
    return plan


@pytest.mark.parametrize("content, expected", [
    (b"{not json", "{path}: not valid JSON: Expecting property name enclosed in double quotes at line 1, column 2"),
    (b"", "{path}: the file is empty"),
    (b"PK\x03\x04rest-of-a-zip", "{path}: not a JSON export but a zip archive"),
    (_bad_status, '{path}: requirements["3.1.1"]: 3.1.1 has no partial credit; partially implemented is NOT MET'),
    ({"requirements": {"3.1.99": {"status": "met"}}, "ssp": {}},
     '{path}: requirements: unknown requirement id "3.1.99"'),
    (_without_ssp, '{path}: no "ssp" section: the file holds no System Security Plan'),
    ({"format": "cmmc-ready.assessment", "version": 1, "requirements": {}},
     '{path}: no "ssp" section: the file holds no System Security Plan'),
    (_damaged_diagram, "{path}: ssp.diagram.sha256: does not match the image"),
    (_too_large, "{path}: this plan has "),
], ids=["not-json", "empty", "zip", "refused-status", "unknown-id", "no-ssp", "version-1", "diagram", "too-large"])
def test_a_file_that_cannot_be_rendered_is_refused_in_one_line_and_nothing_is_written(write, tmp_path, content,
                                                                                      expected):
    path = write(content() if callable(content) else content)
    before = row_counts()
    message = refused(path, "--docx", str(tmp_path / "out.docx"), "--pdf", str(tmp_path / "out.pdf"))
    assert message.startswith(expected.format(path=path))
    if expected.endswith("this plan has "):
        assert re.fullmatch(rf"{re.escape(path)}: this plan has [\d,]+ characters of text; one document holds at "
                            rf"most {MAX_PLAN_CHARS:,} \(about 85 pages\)", message)
    assert row_counts() == before
    assert [p.name for p in tmp_path.iterdir()] == ["plan.json"]


def test_a_missing_file_or_a_directory_cannot_be_read(tmp_path):
    missing = tmp_path / "nope.json"
    assert refused(str(missing), "--docx", str(tmp_path / "a.docx")) == (
        f"{missing}: cannot read the file (No such file or directory)")
    assert refused(str(tmp_path), "--docx", str(tmp_path / "a.docx")) == (
        f"{tmp_path}: cannot read the file (Is a directory)")
    assert list(tmp_path.iterdir()) == []


def test_a_file_larger_than_the_import_takes_is_refused_unparsed(tmp_path):
    big = tmp_path / "big.json"
    with open(big, "wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)  # sparse: costs no disk
    assert refused(str(big), "--pdf", str(tmp_path / "a.pdf")) == f"{big}: the file is larger than 32 MB"


def test_outputs_that_cannot_be_written_are_refused_before_any_work(tmp_path):
    source = str(EXAMPLE)
    assert refused(source) == "nothing to write: give --docx FILE, --pdf FILE or both"
    no_folder = tmp_path / "missing" / "out.docx"
    assert refused(source, "--docx", str(no_folder)) == (
        f"{no_folder}: cannot write the file (no directory {no_folder.parent})")
    assert refused(source, "--pdf", str(tmp_path)) == f"{tmp_path}: cannot write the file (it is a directory)"
    same = tmp_path / "both"
    assert refused(source, "--docx", str(same), "--pdf", str(same)) == (
        f"{same}: --docx and --pdf name the same file")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("option, value, expected", [
    ("--date", "2026-02-30", "--date: expected a real date as YYYY-MM-DD, got '2026-02-30'"),
    ("--date", "16/11/2026", "--date: expected a real date as YYYY-MM-DD, got '16/11/2026'"),
    ("--version", "1.0 final", "--version: Use letters, digits, dots and dashes only, e.g. 1.0 or 2.1-draft."),
    ("--made-by", "x" * 201, "--made-by: Keep this to 200 characters or fewer (it has 201)."),
])
def test_bad_options_are_refused_in_one_line(tmp_path, option, value, expected):
    message = refused(str(EXAMPLE), "--docx", str(tmp_path / "a.docx"), option, value)
    assert message.startswith(expected)
    assert list(tmp_path.iterdir()) == []


def test_a_render_over_its_time_limit_is_refused_and_writes_nothing(settings, write, tmp_path):
    plan = example()
    plan["ssp"]["diagram"] = None  # its re-encoding runs under the same limit
    path = write(plan)
    settings.RENDER_TIMEOUT = 0.05
    out = tmp_path / "slow.pdf"
    assert refused(path, "--pdf", str(out)) == (
        "the PDF could not be rendered: render took longer than 0.05 s and was stopped")
    assert [p.name for p in tmp_path.iterdir()] == ["plan.json"]


@pytest.mark.slow
def test_when_the_second_file_cannot_be_moved_into_place_the_first_is_removed_too(monkeypatch, tmp_path):
    from ssp import cli

    real_replace = os.replace

    def replace(source, target):
        if str(target).endswith(".pdf"):
            raise OSError(28, "No space left on device")
        real_replace(source, target)

    monkeypatch.setattr(cli.os, "replace", replace)
    docx_path, pdf_path = tmp_path / "a.docx", tmp_path / "a.pdf"
    assert refused(str(EXAMPLE), "--docx", str(docx_path), "--pdf", str(pdf_path)) == (
        f"{pdf_path}: cannot write the file (No space left on device)")
    assert list(tmp_path.iterdir()) == []


# --- The real command line ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def catalog_sqlite(tmp_path_factory) -> dict[str, str]:
    """A throwaway SQLite database with the catalog, for running manage.py in a child process (which cannot see
    the test's transaction)."""
    path = tmp_path_factory.mktemp("cli") / "db.sqlite3"
    env = os.environ | {"DATABASE_URL": f"sqlite:///{path}"}
    for command in (["migrate", "-v0"], ["load_catalog"]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=django_settings.BASE_DIR, env=env, check=True,
                       capture_output=True, timeout=180)
    return env


@pytest.mark.slow
def test_manage_py_exits_non_zero_with_one_line_on_stderr_and_writes_nothing(catalog_sqlite, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(_bad_status()))
    out = tmp_path / "out.docx"
    done = subprocess.run([sys.executable, "manage.py", "render_ssp", str(bad), "--docx", str(out)],
                          cwd=django_settings.BASE_DIR, env=catalog_sqlite, capture_output=True, timeout=120)
    assert (done.returncode, done.stdout) == (1, b"")
    assert done.stderr.decode().splitlines() == [
        f'CommandError: {bad}: requirements["3.1.1"]: 3.1.1 has no partial credit; partially implemented is NOT MET']
    assert not out.exists()
