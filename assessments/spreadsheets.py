"""The POA&M as CSV and XLSX: every cell typed explicitly, formulas neutralised (OWASP CSV injection)."""

import csv
import io
import re
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from .poam import POAM_COLUMNS, Cell

# OWASP CSV injection: a spreadsheet treats a cell starting with these as a formula (fullwidth forms included,
# which some locales' spreadsheets accept too).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\0", "\uff1d", "\uff0b", "\uff0d", "\uff20")
# Characters XML 1.0 cannot carry: openpyxl raises on the C0 controls and would write an unreadable file
# with surrogates or U+FFFE/U+FFFF.
XML_ILLEGAL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
XLSX_CELL_MAX = 32767  # Excel's limit per cell


def neutralise(value: str) -> str:
    """Make text inert in a spreadsheet: a value a spreadsheet would read as a formula gets a leading ``'``."""
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def _csv_cell(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    return neutralise(str(value))


def to_csv(rows: Iterable[Mapping[str, Cell]]) -> bytes:
    """UTF-8 with a byte order mark, so Excel opens it as UTF-8."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([header for _, header in POAM_COLUMNS])
    for row in rows:
        writer.writerow([_csv_cell(row[key]) for key, _ in POAM_COLUMNS])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8", errors="replace")


def _put(cell: Any, value: Cell) -> None:
    # Every cell gets an explicit type: openpyxl would otherwise make any string starting with "=" a formula.
    if value is None:
        return
    if isinstance(value, date):
        cell.value = value
        cell.number_format = "yyyy-mm-dd"
        cell.data_type = "d"
    elif isinstance(value, int) and not isinstance(value, bool):
        cell.value = value
        cell.data_type = "n"
    else:
        text = XML_ILLEGAL_RE.sub("\ufffd", neutralise(str(value)))[:XLSX_CELL_MAX]
        cell.value = text
        cell.data_type = "s"


def to_xlsx(rows: Iterable[Mapping[str, Cell]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "POA&M"
    bold = Font(bold=True)
    for column, (_, header) in enumerate(POAM_COLUMNS, start=1):
        cell = sheet.cell(row=1, column=column)
        _put(cell, header)
        cell.font = bold
    count = 0
    for count, row in enumerate(rows, start=1):
        for column, (key, _) in enumerate(POAM_COLUMNS, start=1):
            _put(sheet.cell(row=count + 1, column=column), row[key])
    widths = {"requirement": 12, "cmmc_id": 14, "title": 40, "state": 18, "why_not": 50, "note": 50,
              "evidence": 30, "responsible": 20, "planned_date": 14, "poam_reference": 16}
    for column, (key, _) in enumerate(POAM_COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = widths.get(key, 12)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(POAM_COLUMNS))}{count + 1}"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
