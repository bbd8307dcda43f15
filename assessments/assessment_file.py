"""The whole assessment as one JSON file: the export, the one parser (import and ``manage.py sprs_score``), and the
import. The format is documented in docs/assessment-json.md; scores always come from ``scoring`` through
``records.scoring_answers``.
"""

import json
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date

from django.db import models, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from controls.models import Objective, Requirement, catalog_revision
from orgs.models import Organization

from . import scoring
from .models import ANSWER_DATE_FIELDS, ANSWER_FIELDS, Answer, Assessment, ObjectiveAnswer, ObjectiveAnswerStatus
from .records import catalog_rules, scoring_answers

FORMAT = "cmmc-ready.assessment"
VERSION = 2
READABLE_VERSIONS = (1, 2)  # version 1: the answers only; version 2 adds poam_reference and the sections below
# The largest export the site can produce (110 answers and the whole plan at their maximum lengths, every
# character one that JSON escapes as \uXXXX, plus a 5 MB diagram as base64) is about 23 MB; anything we wrote
# must import back (tests/test_assessment_file.py).
MAX_FILE_BYTES = 32 * 1024 * 1024
DEFAULT_NAME = "Imported assessment"
ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")  # a local file header, an empty archive, a split one

TOP_KEYS = ("format", "version", "exported_at", "catalog_revision", "assessment", "requirements")
ASSESSMENT_FIELDS = (
    "organization_name", "target_level", "scope", "cage_codes", "employee_count", "objective_mode",
    "assessment_date", "affirming_official", "ssp_name", "ssp_version", "ssp_date", "conditional_status_date",
)
REQUIREMENT_KEYS = (*ANSWER_FIELDS, "objectives")
V1_ANSWER_FIELDS = tuple(name for name in ANSWER_FIELDS if name != "poam_reference")
BLANK_ANSWER: dict[str, object] = {name: None if name in ANSWER_DATE_FIELDS else "" for name in ANSWER_FIELDS}
DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")


class AssessmentFileError(ValueError):
    """The file cannot be imported or scored. The message names the bad entry and is one line."""


@dataclass(frozen=True)
class Section:
    """A part of the file that an app above this one owns (the SSP, the ISO 27001 head start), under its own
    top-level key. The apps register theirs in their ``ready()``, so this module never imports them.

    ``export(assessment)`` returns the section's JSON value, or None to leave the key out. ``parse(value)`` checks
    a value read from a file and returns what ``write`` takes, raising AssessmentFileError (its message starts with
    the key). ``write(assessment=..., value=...)`` saves it, inside the import's transaction.
    """

    key: str
    export: Callable[[Assessment], object | None]
    parse: Callable[[object], object]
    write: Callable[..., None]


SECTIONS: dict[str, Section] = {}


def register_section(section: Section) -> None:
    SECTIONS[section.key] = section


# --- The JSON document ------------------------------------------------------------------------------------------

def _json_value(value: object) -> object:
    return value.isoformat() if isinstance(value, date) else value


def export_json(assessment: Assessment) -> dict:
    """The whole assessment (4 queries, and each section's). Never contains the access id or the recovery key."""
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
    } | {key: value for key, section in SECTIONS.items() if (value := section.export(assessment)) is not None}


def dumps(document: dict) -> bytes:
    """The file as downloaded: UTF-8 JSON, indented so that a diff of two exports is readable."""
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")


def show(value: object) -> str:
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
            raise AssessmentFileError(f"the key {show(key)} appears twice in one object")
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
    sections: dict[str, object] = field(default_factory=dict)  # key -> the registered section's parsed value

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


def expect_object(value: object, where: str) -> dict:
    if not isinstance(value, dict):
        raise AssessmentFileError(f"{where}: expected an object {{...}}, got {show(value)}")
    return value


def only_keys(value: dict, allowed: Iterable[str], where: str) -> None:
    extra = [k for k in value if k not in allowed]
    if extra:
        raise AssessmentFileError(f"{where}: unknown key {show(extra[0])} (allowed: {', '.join(allowed)})")


def field_value(model: type[models.Model], name: str, value: object, where: str) -> object:
    """One JSON value checked against the model field it fills, converted to the value to save."""
    field = model._meta.get_field(name)
    if value is None and (field.null or name == "status"):
        return "" if name == "status" else None
    if isinstance(field, models.DateField):
        if not isinstance(value, str) or not DATE_RE.fullmatch(value):
            raise AssessmentFileError(f"{where}: expected a date as YYYY-MM-DD or null, got {show(value)}")
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise AssessmentFileError(f"{where}: {show(value)} is not a real date") from None
    if isinstance(field, models.BooleanField):
        if not isinstance(value, bool):
            raise AssessmentFileError(f"{where}: expected true or false, got {show(value)}")
        return value
    if isinstance(field, models.IntegerField):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0 or value > 1_000_000:
            raise AssessmentFileError(f"{where}: expected a whole number from 0 to 1000000 or null, got {show(value)}")
        return value
    if not isinstance(value, str):
        raise AssessmentFileError(f"{where}: expected text, got {show(value)}")
    if field.choices and value == "" and field.blank and name != "status":
        return value  # a choice not made yet (the status's blank is null)
    if field.choices:
        allowed = [c for c in field.choices if c[0]]
        if value not in [c[0] for c in allowed]:
            raise AssessmentFileError(
                f"{where}: unknown {'status' if name == 'status' else 'value'} {show(value)}; "
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
    data = expect_object(raw, "assessment")
    only_keys(data, ASSESSMENT_FIELDS, "assessment")
    values = {name: field_value(Assessment, name, data[name], f"assessment.{name}")
              for name in ASSESSMENT_FIELDS if name in data}
    if "organization_name" in values and not str(values["organization_name"]).strip():
        raise AssessmentFileError("assessment.organization_name: must not be empty")
    return values


def _parse_requirement(nist_id: str, raw: object, rule: scoring.Rule, version: int) -> RequirementEntry:
    where = f"requirements[{show(nist_id)}]"
    data = expect_object(raw, where)
    only_keys(data, (*(ANSWER_FIELDS if version >= 2 else V1_ANSWER_FIELDS), "objectives"), where)
    # A missing key is blank, as it is for a requirement that was never answered.
    values = {name: field_value(Answer, name, data[name], f"{where}.{name}") if name in data else BLANK_ANSWER[name]
              for name in ANSWER_FIELDS}
    objectives: dict[str, str] = {}
    for objective_id, status in expect_object(data.get("objectives", {}), f"{where}.objectives").items():
        spot = f"{where}.objectives[{show(objective_id)}]"
        if objective_id not in rule.objectives:
            raise AssessmentFileError(f"{spot}: not an objective of {nist_id}")
        if status is not None and status not in ObjectiveAnswerStatus.values:
            raise AssessmentFileError(
                f"{spot}: unknown status {show(status)}; use one of {', '.join(ObjectiveAnswerStatus.values)} or null"
            )
        objectives[objective_id] = status or ""
    return RequirementEntry(nist_id=nist_id, values=values, objectives=objectives)


def parse_document(data: object, rules: list[scoring.Rule] | None = None) -> Document:
    """Check a whole assessment file (the export format, or just ``{"requirements": {...}}``).

    Raises AssessmentFileError naming the first bad entry. ``rules`` defaults to the catalog (2 queries).
    """
    top = expect_object(data, "the file")
    if "format" in top and top["format"] != FORMAT:
        raise AssessmentFileError(f"format: expected {show(FORMAT)}, got {show(top['format'])}")
    if "format" in top and "version" not in top:
        raise AssessmentFileError("version: missing (this site reads versions 1 and 2)")
    if "version" in top and (type(top["version"]) is not int or top["version"] not in READABLE_VERSIONS):
        raise AssessmentFileError(f"version: {show(top['version'])} is not supported (this site reads versions 1 and "
                                  "2)")
    version = top.get("version", VERSION)
    only_keys(top, (*TOP_KEYS, *(SECTIONS if version >= 2 else ())), "the file")
    for name in ("exported_at", "catalog_revision"):
        if name in top and not isinstance(top[name], str):
            raise AssessmentFileError(f"{name}: expected text, got {show(top[name])}")
    if "requirements" not in top:
        raise AssessmentFileError('requirements: missing (the file needs at least {"requirements": {...}})')
    assessment = _parse_assessment(top["assessment"]) if "assessment" in top else {}
    by_id = {r.nist_id: r for r in (rules if rules is not None else catalog_rules())}
    requirements: dict[str, RequirementEntry] = {}
    for nist_id, raw in expect_object(top["requirements"], "requirements").items():
        if nist_id not in by_id:
            raise AssessmentFileError(f"requirements: unknown requirement id {show(nist_id)}")
        requirements[nist_id] = _parse_requirement(nist_id, raw, by_id[nist_id], version)
    sections = {key: section.parse(top[key]) for key, section in SECTIONS.items() if key in top}
    document = Document(assessment=assessment, requirements=requirements, sections=sections)
    # The rules on answers (no partial state without partial credit, the SSP answered met or not met, ...) are
    # scoring's own: a file is refused for exactly what the pages could not score, whatever its level.
    for nist_id, answer in document.scoring_answers().items():
        try:
            scoring.requirement_status(by_id[nist_id], answer)
        except scoring.InvalidAnswer as exc:
            raise AssessmentFileError(f"requirements[{show(nist_id)}]: {exc}") from None
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
    for key, value in document.sections.items():
        SECTIONS[key].write(assessment=assessment, value=value)
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
