"""Gap list / POA&M as CSV and XLSX, and the whole assessment as JSON (export, import, and the CLI's input).

The JSON format is documented in docs/assessment-json.md. One parser (``parse_document``) reads it for both the
import and ``manage.py sprs_score``; scores always come from ``scoring`` through ``models.scoring_answers``.
"""

import csv
import io
import json
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import models, transaction
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from simple_history.utils import bulk_create_with_history

from controls.models import Objective, Requirement, catalog_revision
from orgs.models import Organization

from . import scoring
from .models import (
    ANSWER_FIELDS,
    Answer,
    AnswerStatus,
    Assessment,
    ObjectiveAnswer,
    ObjectiveAnswerStatus,
    catalog_rules,
    score_assessment,
    scoring_answers,
)

FORMAT = "cmmc-ready.assessment"
VERSION = 1
# The largest export the site can produce (110 answers at their maximum lengths, every character a control
# character that JSON escapes as \uXXXX) is about 7.1 MB; anything we wrote must import back.
MAX_FILE_BYTES = 8 * 1024 * 1024
DEFAULT_NAME = "Imported assessment"
ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")  # a local file header, an empty archive, a split one

TOP_KEYS = ("format", "version", "exported_at", "catalog_revision", "assessment", "requirements")
ASSESSMENT_FIELDS = (
    "organization_name", "target_level", "scope", "cage_codes", "employee_count", "objective_mode",
    "assessment_date", "affirming_official", "ssp_name", "ssp_version", "ssp_date", "conditional_status_date",
)
REQUIREMENT_KEYS = (*ANSWER_FIELDS, "objectives")
BLANK_ANSWER: dict[str, object] = {name: None if name == "planned_date" else "" for name in ANSWER_FIELDS}
DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")

# OWASP CSV injection: a spreadsheet treats a cell starting with these as a formula (fullwidth forms included,
# which some locales' spreadsheets accept too).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\0", "\uff1d", "\uff0b", "\uff0d", "\uff20")
# Characters XML 1.0 cannot carry: openpyxl raises on the C0 controls and would write an unreadable file
# with surrogates or U+FFFE/U+FFFF.
XML_ILLEGAL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
XLSX_CELL_MAX = 32767  # Excel's limit per cell


class AssessmentFileError(ValueError):
    """The file cannot be imported or scored. The message names the bad entry and is one line."""


# --- POA&M / gap list -------------------------------------------------------------------------------------------

POAM_COLUMNS: tuple[tuple[str, str], ...] = (
    ("requirement", "Requirement"),
    ("cmmc_id", "CMMC id"),
    ("title", "Title"),
    ("state", "State"),
    ("points", "Points recoverable"),
    ("poam_eligible", "POA&M eligible"),
    ("why_not", "Why not eligible"),
    ("responsible", "Responsible"),
    ("planned_date", "Planned completion date"),
    ("note", "Note"),
    ("evidence", "Evidence"),
)
UNANSWERED_LABEL = "Unanswered (counted as not met)"
LEVEL1_NO_POAM = "Level 1 allows no POA&M: every practice must be met (32 CFR 170.15)."

Cell = str | int | date | None


def poam_rows(assessment: Assessment) -> list[dict[str, Cell]]:
    """The gap list (blockers first, then by points recoverable) with each item's answer details.

    Level 1 has no points and no POA&M: its open practices come in catalog order, none of them eligible.

    Queries: the scoring ones (catalog 2, answers 1 or 2), then answer details 1 and requirement titles 1.
    """
    result = score_assessment(assessment)
    details = {
        row["requirement__nist_id"]: row
        for row in Answer.objects.filter(assessment=assessment).values(
            "requirement__nist_id", "responsible", "planned_date", "note", "evidence"
        )
    }
    titles = {nist_id: (cmmc_id, title) for nist_id, cmmc_id, title in
              Requirement.objects.values_list("nist_id", "cmmc_id", "cmmc_title")}
    labels = dict(AnswerStatus.choices)
    level1 = result.level is scoring.Level.L1
    rows: list[dict[str, Cell]] = []
    for item in [i for i in result.items if i.is_open] if level1 else result.gap_list:
        nist_id = item.rule.nist_id
        answer = details.get(nist_id, {})
        cmmc_id, title = titles.get(nist_id, ("", ""))
        rows.append({
            "requirement": nist_id,
            "cmmc_id": cmmc_id,
            "title": title,
            "state": labels[item.status] if item.status else UNANSWERED_LABEL,
            "points": None if level1 else item.deduction,
            "poam_eligible": "yes" if item.poam_eligible and not level1 else "no",
            "why_not": LEVEL1_NO_POAM if level1 else item.blocker_reason,
            "responsible": answer.get("responsible", ""),
            "planned_date": answer.get("planned_date"),
            "note": answer.get("note", ""),
            "evidence": answer.get("evidence", ""),
        })
    return rows


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
              "evidence": 30, "responsible": 20, "planned_date": 14}
    for column, (key, _) in enumerate(POAM_COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = widths.get(key, 12)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(POAM_COLUMNS))}{count + 1}"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- The JSON document ------------------------------------------------------------------------------------------

def _json_value(value: object) -> object:
    return value.isoformat() if isinstance(value, date) else value


def export_json(assessment: Assessment) -> dict:
    """The whole assessment (4 queries). Never contains the access id or the recovery key."""
    entries: dict[str, tuple[int, dict]] = {}

    def entry(nist_id: str, position: int) -> dict:
        if nist_id not in entries:
            blank = BLANK_ANSWER | {"status": None}
            entries[nist_id] = (position, blank | {"objectives": {}})
        return entries[nist_id][1]

    for nist_id, position, *values in Answer.objects.filter(assessment=assessment).values_list(
        "requirement__nist_id", "requirement__position", *ANSWER_FIELDS
    ):
        answer = dict(zip(ANSWER_FIELDS, values, strict=True))
        answer["status"] = answer["status"] or None
        entry(nist_id, position).update({k: _json_value(v) for k, v in answer.items()})
    for nist_id, position, objective_id, status in (
        ObjectiveAnswer.objects.filter(assessment=assessment)
        .order_by("objective__requirement__position", "objective__position")
        .values_list("objective__requirement__nist_id", "objective__requirement__position",
                     "objective__objective_id", "status")
    ):
        entry(nist_id, position)["objectives"][objective_id] = status or None
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": timezone.now().replace(microsecond=0).isoformat(),
        "catalog_revision": catalog_revision(),
        "assessment": {name: _json_value(getattr(assessment, name)) for name in ASSESSMENT_FIELDS},
        "requirements": {nist_id: data for nist_id, (_, data) in sorted(entries.items(), key=lambda e: e[1][0])},
    }


def dumps(document: dict) -> bytes:
    """The file as downloaded: UTF-8 JSON, indented so that a diff of two exports is readable."""
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")


def _show(value: object) -> str:
    """A value as it may appear in a one-line message: JSON-escaped (no newlines) and short."""
    try:
        text = json.dumps(value, ensure_ascii=True)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _reject_duplicates(pairs: list[tuple[str, object]]) -> dict:
    result: dict = {}
    for key, value in pairs:
        if key in result:
            raise AssessmentFileError(f"the key {_show(key)} appears twice in one object")
        result[key] = value
    return result


def read_document(raw: bytes) -> object:
    """Bytes of a JSON file (UTF-8, a byte order mark allowed) as Python data."""
    # Our XLSX export (or any DOCX/zip) uploaded by mistake: say so from the signature alone. Nothing here ever
    # opens an archive, so a zip bomb costs no more than its own bytes.
    if raw.startswith(ZIP_SIGNATURES):
        raise AssessmentFileError('not a JSON export but a zip archive (such as an XLSX or DOCX file); use the file '
                                  'from "Whole assessment (JSON)"')
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise AssessmentFileError(f"not a UTF-8 text file (bad byte at position {exc.start})") from None
    if not text.strip():
        raise AssessmentFileError("the file is empty")
    try:
        return json.loads(text, object_pairs_hook=_reject_duplicates)
    except json.JSONDecodeError as exc:
        raise AssessmentFileError(f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from None
    except RecursionError:
        raise AssessmentFileError("not valid JSON: nested too deeply") from None
    except AssessmentFileError:  # from _reject_duplicates: already says what is wrong
        raise
    except ValueError:  # neither of the above: an integer past Python's digit limit
        raise AssessmentFileError(f"a number in it is too long (more than {sys.get_int_max_str_digits():,} "
                                  "digits)") from None


@dataclass(frozen=True)
class RequirementEntry:
    nist_id: str
    values: dict[str, object]  # ANSWER_FIELDS as model values ("" for a blank status)
    objectives: dict[str, str]  # objective id -> "met" | "not_met" | "na" | "" (blank)


@dataclass(frozen=True)
class Document:
    """A validated assessment file: model values ready to save, and answers ready to score."""

    assessment: dict[str, object]  # the Assessment fields the file gives
    requirements: dict[str, RequirementEntry]

    @property
    def level(self) -> scoring.Level:
        return scoring.Level(self.assessment.get("target_level", scoring.Level.L2))

    @property
    def objective_mode(self) -> bool:
        # Without an explicit setting, listing objective answers means answering by objective.
        if "objective_mode" in self.assessment:
            return bool(self.assessment["objective_mode"])
        return any(e.objectives for e in self.requirements.values())

    def scoring_answers(self) -> dict[str, scoring.Answer]:
        return scoring_answers(
            {nist_id: str(e.values["status"]) for nist_id, e in self.requirements.items()},
            {nist_id: e.objectives for nist_id, e in self.requirements.items()},
            objective_mode=self.objective_mode,
        )


def _object(value: object, where: str) -> dict:
    if not isinstance(value, dict):
        raise AssessmentFileError(f"{where}: expected an object {{...}}, got {_show(value)}")
    return value


def _only_keys(value: dict, allowed: Iterable[str], where: str) -> None:
    extra = [k for k in value if k not in allowed]
    if extra:
        raise AssessmentFileError(f"{where}: unknown key {_show(extra[0])} (allowed: {', '.join(allowed)})")


def _field_value(model: type[models.Model], name: str, value: object, where: str) -> object:
    """One JSON value checked against the model field it fills, converted to the value to save."""
    field = model._meta.get_field(name)
    if value is None and (field.null or name == "status"):
        return "" if name == "status" else None
    if isinstance(field, models.DateField):
        if not isinstance(value, str) or not DATE_RE.fullmatch(value):
            raise AssessmentFileError(f"{where}: expected a date as YYYY-MM-DD or null, got {_show(value)}")
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise AssessmentFileError(f"{where}: {_show(value)} is not a real date") from None
    if isinstance(field, models.BooleanField):
        if not isinstance(value, bool):
            raise AssessmentFileError(f"{where}: expected true or false, got {_show(value)}")
        return value
    if isinstance(field, models.IntegerField):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0 or value > 1_000_000:
            raise AssessmentFileError(f"{where}: expected a whole number from 0 to 1000000 or null, got {_show(value)}")
        return value
    if not isinstance(value, str):
        raise AssessmentFileError(f"{where}: expected text, got {_show(value)}")
    if field.choices:
        allowed = [c for c in field.choices if c[0]]
        if value not in [c[0] for c in allowed]:
            raise AssessmentFileError(
                f"{where}: unknown {'status' if name == 'status' else 'value'} {_show(value)}; "
                f"use one of {', '.join(c[0] for c in allowed)}"
                + (" or null" if name == "status" else "")
            )
        return value
    if field.max_length and len(value) > field.max_length:
        raise AssessmentFileError(f"{where}: at most {field.max_length} characters allowed, this has {len(value)}")
    if "\x00" in value:
        raise AssessmentFileError(f"{where}: contains a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise AssessmentFileError(f"{where}: contains invalid Unicode (an unpaired surrogate)") from None
    return value


def _parse_assessment(raw: object) -> dict[str, object]:
    data = _object(raw, "assessment")
    _only_keys(data, ASSESSMENT_FIELDS, "assessment")
    values = {name: _field_value(Assessment, name, data[name], f"assessment.{name}")
              for name in ASSESSMENT_FIELDS if name in data}
    if "organization_name" in values and not str(values["organization_name"]).strip():
        raise AssessmentFileError("assessment.organization_name: must not be empty")
    return values


def _parse_requirement(nist_id: str, raw: object, rule: scoring.Rule) -> RequirementEntry:
    where = f"requirements[{_show(nist_id)}]"
    data = _object(raw, where)
    _only_keys(data, REQUIREMENT_KEYS, where)
    # A missing key is blank, as it is for a requirement that was never answered.
    values = {name: _field_value(Answer, name, data[name], f"{where}.{name}") if name in data else BLANK_ANSWER[name]
              for name in ANSWER_FIELDS}
    objectives: dict[str, str] = {}
    for objective_id, status in _object(data.get("objectives", {}), f"{where}.objectives").items():
        spot = f"{where}.objectives[{_show(objective_id)}]"
        if objective_id not in rule.objectives:
            raise AssessmentFileError(f"{spot}: not an objective of {nist_id}")
        if status is not None and status not in ObjectiveAnswerStatus.values:
            raise AssessmentFileError(
                f"{spot}: unknown status {_show(status)}; use one of {', '.join(ObjectiveAnswerStatus.values)} or null"
            )
        objectives[objective_id] = status or ""
    return RequirementEntry(nist_id=nist_id, values=values, objectives=objectives)


def parse_document(data: object, rules: list[scoring.Rule] | None = None) -> Document:
    """Check a whole assessment file (the export format, or just ``{"requirements": {...}}``).

    Raises AssessmentFileError naming the first bad entry. ``rules`` defaults to the catalog (2 queries).
    """
    top = _object(data, "the file")
    _only_keys(top, TOP_KEYS, "the file")
    if "format" in top and top["format"] != FORMAT:
        raise AssessmentFileError(f"format: expected {_show(FORMAT)}, got {_show(top['format'])}")
    if "format" in top and "version" not in top:
        raise AssessmentFileError("version: missing (this site reads version 1)")
    if "version" in top and (type(top["version"]) is not int or top["version"] != VERSION):
        raise AssessmentFileError(f"version: {_show(top['version'])} is not supported (this site reads version 1)")
    for name in ("exported_at", "catalog_revision"):
        if name in top and not isinstance(top[name], str):
            raise AssessmentFileError(f"{name}: expected text, got {_show(top[name])}")
    if "requirements" not in top:
        raise AssessmentFileError('requirements: missing (the file needs at least {"requirements": {...}})')
    assessment = _parse_assessment(top["assessment"]) if "assessment" in top else {}
    by_id = {r.nist_id: r for r in (rules if rules is not None else catalog_rules())}
    requirements: dict[str, RequirementEntry] = {}
    for nist_id, raw in _object(top["requirements"], "requirements").items():
        if nist_id not in by_id:
            raise AssessmentFileError(f"requirements: unknown requirement id {_show(nist_id)}")
        requirements[nist_id] = _parse_requirement(nist_id, raw, by_id[nist_id])
    document = Document(assessment=assessment, requirements=requirements)
    # The rules on answers (no partial state without partial credit, the SSP answered met or not met, ...) are
    # scoring's own: a file is refused for exactly what the pages could not score, whatever its level.
    for nist_id, answer in document.scoring_answers().items():
        try:
            scoring.requirement_status(by_id[nist_id], answer)
        except scoring.InvalidAnswer as exc:
            raise AssessmentFileError(f"requirements[{_show(nist_id)}]: {exc}") from None
    return document


@transaction.atomic
def import_json(*, data: object, organization: Organization | None = None) -> Assessment:
    """Create a NEW assessment (new public and access ids) from an assessment file, in ``organization`` or
    anonymous.

    Everything is validated before anything is written; a failure writes nothing. Like a started assessment it
    has no recovery key yet: the key page makes one when it shows it (views.recovery_key).
    """
    document = parse_document(data)
    fields = {"organization_name": DEFAULT_NAME} | document.assessment | {"objective_mode": document.objective_mode}
    assessment = Assessment(**fields, organization=organization)
    if organization is not None:
        assessment._change_reason = f"imported into {organization.name}"[:100]  # the activity log's first line
    assessment.save()
    requirement_pks = dict(Requirement.objects.filter(nist_id__in=list(document.requirements))
                           .values_list("nist_id", "pk"))
    bulk_create_with_history([
        Answer(assessment=assessment, requirement_id=requirement_pks[e.nist_id], version=1, **e.values)
        for e in document.requirements.values()
    ], Answer)
    objective_ids = [o for e in document.requirements.values() for o in e.objectives]
    if objective_ids:
        objective_pks = dict(Objective.objects.filter(objective_id__in=objective_ids)
                             .values_list("objective_id", "pk"))
        bulk_create_with_history([
            ObjectiveAnswer(assessment=assessment, objective_id=objective_pks[o], status=status, version=1)
            for e in document.requirements.values() for o, status in e.objectives.items()
        ], ObjectiveAnswer)
    return assessment


def score_summary(result: scoring.Result) -> dict:
    """What ``manage.py sprs_score`` prints."""
    return {
        "score": result.score,
        "status": str(result.outcome),
        "conditional_eligible": result.conditional_eligible,
        "unanswered": len(result.unanswered),
        "open": list(result.open),
        "blockers": [i.rule.nist_id for i in result.blockers],
        "level": str(result.level),
    }
