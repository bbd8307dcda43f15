import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assessments import assessment_file, scoring
from assessments.management.commands.sprs_score import Command
from assessments.models import Answer, Assessment, ObjectiveAnswer
from assessments.records import score_assessment
from controls.models import Objective, Requirement

pytestmark = pytest.mark.django_db

KEYS = {"score", "status", "conditional_eligible", "unanswered", "open", "blockers", "level"}


@pytest.fixture
def cli(monkeypatch, capsys):
    """Run the command as manage.py does (argv parsing, CommandError to stderr, exit status), in this process."""
    # run_from_argv closes every connection at the end, which would end the test's transaction.
    monkeypatch.setattr(connections, "close_all", lambda: None)

    def run(*args: str, stdin: bytes | None = None) -> tuple[int, str, str]:
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
        code = 0
        try:
            Command().run_from_argv(["manage.py", "sprs_score", *args])
        except SystemExit as exc:
            code = exc.code
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture
def write(tmp_path):
    def write(data: object, name: str = "in.json") -> str:
        path = tmp_path / name
        path.write_bytes(data if isinstance(data, bytes) else json.dumps(data).encode())
        return str(path)

    return write


def all_ids() -> list[str]:
    return list(Requirement.objects.order_by("position").values_list("nist_id", flat=True))


def minimal(overrides: dict[str, str], default: str = "met") -> dict:
    return {"requirements": {i: {"status": overrides.get(i, default)} for i in all_ids()}}


def score_file(cli, path: str) -> dict:
    code, out, err = cli(path)
    assert (code, err) == (0, "")
    printed = json.loads(out)
    assert set(printed) == KEYS
    return printed


# The expectations come straight from scoring-rules.md (Methodology §5(e); 32 CFR 170.21(a)(2)).
@pytest.mark.parametrize("overrides, default, expected", [
    ({}, "met", {"score": 110, "status": "final", "conditional_eligible": True, "open": [], "blockers": []}),
    ({"3.5.3": "partial"}, "met",
     {"score": 107, "status": "no_status", "conditional_eligible": False, "open": ["3.5.3"], "blockers": ["3.5.3"]}),
    ({"3.13.11": "partial"}, "met",
     {"score": 107, "status": "conditional", "conditional_eligible": True, "open": ["3.13.11"], "blockers": []}),
    ({"3.13.11": "not_met"}, "met",
     {"score": 105, "status": "no_status", "conditional_eligible": False, "open": ["3.13.11"],
      "blockers": ["3.13.11"]}),
    ({"3.1.3": "not_met", "3.1.12": "na"}, "met",
     {"score": 109, "status": "conditional", "conditional_eligible": True, "open": ["3.1.3"], "blockers": []}),
    ({"3.12.4": "not_met"}, "met",
     {"score": None, "status": "no_status", "conditional_eligible": False, "open": ["3.12.4"],
      "blockers": ["3.12.4"]}),
])
def test_minimal_file_scores_by_the_rules(cli, write, overrides, default, expected):
    printed = score_file(cli, write(minimal(overrides, default)))
    assert {k: printed[k] for k in expected} == expected
    assert (printed["unanswered"], printed["level"]) == (0, "l2")


def test_nothing_met_but_the_ssp_is_the_floor_of_minus_203(cli, write):
    printed = score_file(cli, write(minimal({"3.12.4": "met"}, default="not_met")))
    assert printed["score"] == -203 and len(printed["open"]) == 109


def test_missing_requirements_are_unanswered_and_never_met(cli, write):
    printed = score_file(cli, write({"requirements": {"3.1.1": {"status": "met"}, "3.5.3": {"status": "partial"},
                                                      "3.12.4": {"status": "met"}}}))
    assert printed["status"] == "incomplete" and printed["unanswered"] == 107
    assert printed["score"] == 110 - 313 + 5 + 2  # unanswered count at full value; 3.5.3 partial costs 3, not 5
    assert "3.1.2" in printed["open"] and "3.1.1" not in printed["open"]


def test_a_level1_file_scores_the_17_practices_without_a_number(cli, write):
    level1 = list(Requirement.objects.exclude(level1_id="").values_list("nist_id", flat=True))
    data = {"assessment": {"target_level": "l1"}, "requirements": {i: {"status": "met"} for i in level1}}
    printed = score_file(cli, write(data))
    assert printed | {"open": None} == {"score": None, "status": "level1_met", "conditional_eligible": False,
                                        "unanswered": 0, "open": None, "blockers": [], "level": "l1"}


def test_reads_standard_input_when_the_file_is_a_dash(cli):
    code, out, err = cli("-", stdin=json.dumps({"requirements": {"3.1.1": {"status": "met"}}}).encode())
    assert code == 0 and err == ""
    assert json.loads(out)["unanswered"] == 109


@pytest.mark.parametrize("content, fragment", [
    (b"", "the file is empty"),
    (b"{not json", "not valid JSON: Expecting property name enclosed in double quotes at line 1, column 2"),
    (b'["3.1.1"]', "the file: expected an object"),
    (b'{"requirements": {"3.1.99": {"status": "met"}}}', 'requirements: unknown requirement id "3.1.99"'),
    (b'{"requirements": {"3.1.1": {"status": "MET"}}}', 'requirements["3.1.1"].status: unknown status "MET"'),
    (b'{"requirements": {"3.1.1": {"status": "partial"}}}',
     'requirements["3.1.1"]: 3.1.1 has no partial credit'),
    (b'{"requirements": {"3.12.4": {"status": "na"}}}', 'requirements["3.12.4"]: 3.12.4 '),
    (b'{"requirements": {"3.1.1": {"status": "met", "objectives": {"3.1.1[z]": "met"}}}}',
     'requirements["3.1.1"].objectives["3.1.1[z]"]: not an objective of 3.1.1'),
    (b'{"format": "cmmc-ready.assessment", "version": 3, "requirements": {}}', "version: 3 is not supported"),
    (b'{"requirements": {"3.1.1\\n3.1.2": {"status": "met"}}}', 'unknown requirement id "3.1.1\\n3.1.2"'),
])
def test_bad_input_exits_non_zero_with_one_clear_line_on_stderr(cli, write, content, fragment):
    path = write(content)
    code, out, err = cli(path)
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and err.endswith("\n")
    assert err.startswith(f"CommandError: {path}: ") and fragment in err


@pytest.mark.parametrize("which", ["missing", "directory"])
def test_an_unreadable_file_exits_non_zero_with_one_line(cli, tmp_path, which):
    path = str(tmp_path / "nope.json") if which == "missing" else str(tmp_path)
    code, out, err = cli(path)
    assert code == 1 and out == "" and err.count("\n") == 1
    assert err.startswith(f"CommandError: {path}: cannot read the file (")


# --- The CLI's numbers are the pages' numbers ------------------------------------------------------------------

@st.composite
def assessments(draw) -> dict:
    chosen = draw(st.lists(st.sampled_from(REQUIREMENT_IDS), unique=True, min_size=80, max_size=110))
    answers = {}
    for nist_id in chosen:
        partial_ok = nist_id in ("3.5.3", "3.13.11")
        # 3.12.4 (the SSP) is met or not met: N/A there is refused by scoring, on the pages as in files.
        na = [] if nist_id == scoring.SSP_REQUIREMENT else ["na"]
        answers[nist_id] = draw(st.sampled_from(["", "met", "met", "met", "not_met", *na]
                                                + (["partial"] * 2 if partial_ok else [])))
    objectives = draw(st.dictionaries(st.sampled_from(OBJECTIVES), st.sampled_from(["", "met", "not_met", "na"]),
                                      max_size=15))
    return {"level": draw(st.sampled_from(["l1", "l2", "l2"])), "objective_mode": draw(st.booleans()),
            "answers": answers, "objectives": objectives}


# Every requirement id (family -> count; checked against the catalog below) and a handful of objectives.
FAMILY_SIZES = {1: 22, 2: 3, 3: 9, 4: 9, 5: 11, 6: 3, 7: 6, 8: 9, 9: 2, 10: 6, 11: 3, 12: 4, 13: 16, 14: 7}
REQUIREMENT_IDS = [f"3.{family}.{n}" for family, size in FAMILY_SIZES.items() for n in range(1, size + 1)]
OBJECTIVES = [f"3.1.1[{c}]" for c in "abcdef"] + ["3.13.11[a]", "3.5.3[a]", "3.5.3[b]", "3.1.20[a]", "3.12.4[a]"]


def test_the_strategy_covers_the_whole_catalog():
    assert REQUIREMENT_IDS == all_ids()
    assert set(OBJECTIVES) <= set(Objective.objects.values_list("objective_id", flat=True))


@pytest.mark.slow
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spec=assessments())
def test_the_cli_gives_the_same_numbers_as_the_pages_for_an_exported_assessment(cli, write, spec):
    assessment = Assessment.objects.create(organization_name="Acme", target_level=spec["level"],
                                           objective_mode=spec["objective_mode"])
    requirements = {r.nist_id: r for r in Requirement.objects.all()}
    Answer.objects.bulk_create([Answer(assessment=assessment, requirement=requirements[i], status=s)
                                for i, s in spec["answers"].items()])
    objectives = {o.objective_id: o for o in Objective.objects.filter(objective_id__in=list(spec["objectives"]))}
    ObjectiveAnswer.objects.bulk_create([ObjectiveAnswer(assessment=assessment, objective=objectives[o], status=s)
                                         for o, s in spec["objectives"].items()])
    printed = score_file(cli, write(assessment_file.export_json(assessment)))
    result = score_assessment(assessment)
    assert printed == {
        "score": result.score, "status": result.outcome.value, "conditional_eligible": result.conditional_eligible,
        "unanswered": len(result.unanswered), "open": list(result.open),
        "blockers": [i.rule.nist_id for i in result.blockers], "level": result.level.value,
    }


def test_an_objective_mode_export_scores_from_its_objectives(cli, write):
    assessment = Assessment.objects.create(organization_name="Acme", objective_mode=True)
    Answer.objects.bulk_create([Answer(assessment=assessment, requirement=r, status="met")
                                for r in Requirement.objects.all()])
    # In objective mode the stored "met" does not count; 3.1.1's objectives decide (one NOT MET: 5 points).
    ObjectiveAnswer.objects.bulk_create([
        ObjectiveAnswer(assessment=assessment, objective=o, status="not_met" if o.letter == "[a]" else "met")
        for o in Objective.objects.filter(requirement__nist_id="3.1.1")
    ])
    printed = score_file(cli, write(assessment_file.export_json(assessment)))
    result = score_assessment(assessment)
    assert printed["unanswered"] == len(result.unanswered) and "3.1.2" in result.unanswered
    assert printed["open"] == list(result.open) and "3.1.1" in printed["open"]
    assert printed["score"] == result.score


def test_both_file_versions_are_scored_alike_and_a_version_2_file_with_its_plan_is_read(cli, write):
    from ssp.models import create_ssp

    assessment = Assessment.objects.create(organization_name="Acme")
    Answer.objects.bulk_create([Answer(assessment=assessment, requirement=r, status="met")
                                for r in Requirement.objects.exclude(nist_id="3.1.1")])
    create_ssp(assessment=assessment)
    v2 = assessment_file.export_json(assessment)
    assert v2["version"] == 2 and "ssp" in v2
    v1 = {k: v for k, v in v2.items() if k not in ("ssp", "iso27001")} | {"version": 1}
    v1["requirements"] = {nist_id: {k: v for k, v in entry.items() if k != "poam_reference"}
                          for nist_id, entry in v2["requirements"].items()}
    assert score_file(cli, write(v1)) == score_file(cli, write(v2))
    assert score_file(cli, write(v2))["score"] == score_assessment(assessment).score


# --- The real command line ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def catalog_sqlite(tmp_path_factory) -> dict[str, str]:
    """A throwaway SQLite database with the catalog, for running manage.py in a child process."""
    path = tmp_path_factory.mktemp("cli") / "db.sqlite3"
    env = os.environ | {"DATABASE_URL": f"sqlite:///{path}"}
    for command in (["migrate", "-v0"], ["load_catalog"]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=django_settings.BASE_DIR, env=env, check=True,
                       capture_output=True, timeout=120)
    return env


@pytest.mark.slow
def test_manage_py_prints_json_and_fails_with_one_line(catalog_sqlite, tmp_path):
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"requirements": {"3.1.1": {"status": "met"}, "3.13.11": {"status": "partial"}}}))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"requirements": {"3.5.3": {"status": "partial"}, "3.1.1": {"status": "partial"}}}))

    def manage(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "manage.py", "sprs_score", *args], cwd=Path(django_settings.BASE_DIR),
                              env=catalog_sqlite, input=stdin, capture_output=True, timeout=60)

    done = manage(str(good))
    assert done.returncode == 0 and done.stderr == b""
    assert json.loads(done.stdout) | {"open": None, "blockers": None} == {
        "score": None, "status": "incomplete", "conditional_eligible": False, "unanswered": 108, "open": None,
        "blockers": None, "level": "l2"}
    assert manage("-", stdin=good.read_bytes()).stdout == done.stdout
    failed = manage(str(bad))
    assert failed.returncode == 1 and failed.stdout == b""
    assert failed.stderr.decode().splitlines() == [
        f'CommandError: {bad}: requirements["3.1.1"]: 3.1.1 has no partial credit; partially implemented is NOT MET']
    assert scoring.SSP_REQUIREMENT in json.loads(done.stdout)["open"]


def test_an_integer_of_5000_digits_exits_non_zero_with_one_clear_line(cli, write):
    path = write(b'{"requirements": {}, "employee_count": ' + b"9" * 5000 + b"}")
    code, out, err = cli(path)
    assert code == 1 and out == "" and err.count("\n") == 1
    assert err == f"CommandError: {path}: a number in it is too long (more than 4,300 digits)\n"
