"""Validate and load the NIST SP 800-171 catalog fixture.

Validation runs over the whole file before anything is written, so a bad fixture leaves the
database untouched. Text that staff edited in the admin is never overwritten silently: the loader
keeps a hash of what it last wrote and reports a conflict when both sides changed.
"""

import hashlib
import re
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction

from .models import Family, Objective, Requirement
from .snapshot import catalog_changed

EXPECTED_REQUIREMENTS = 110
EXPECTED_OBJECTIVES = 320
ALLOWED_POINTS = {1, 3, 5}
POAM_VALUES = {"yes", "no", "only_partial"}
_ID = re.compile(r"^3\.(\d{1,2})\.(\d{1,2})$")


class CatalogError(Exception):
    """The fixture is not a valid catalog; the message names the entry."""


@dataclass(frozen=True)
class ObjectiveSpec:
    objective_id: str
    text: str


@dataclass(frozen=True)
class RequirementSpec:
    nist_id: str
    family: str
    cmmc_id: str
    cmmc_title: str
    level1_id: str
    level1_legacy_id: str
    far_reference: str
    requirement_type: str
    text: str
    points: int | None
    partial_points: int | None
    partial_condition: str
    not_met_condition: str
    poam_eligibility: str
    poam_rule: str
    methodology_comment: str
    objectives: tuple[ObjectiveSpec, ...]

    def fingerprint(self) -> str:
        return fingerprint(self.text, self.cmmc_title, [(o.objective_id, o.text) for o in self.objectives])


@dataclass
class Catalog:
    families: list[tuple[str, str]]
    requirements: list[RequirementSpec]


@dataclass
class LoadReport:
    families_created: int = 0
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    conflicts: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.families_created or self.created or self.updated)


def fingerprint(text: str, title: str, objectives: list[tuple[str, str]]) -> str:
    parts = [text, title] + [f"{oid}={otext}" for oid, otext in objectives]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def id_key(nist_id: str) -> tuple[int, int]:
    match = _ID.match(nist_id)
    if match is None:  # not an assert: it must hold under python -O too
        raise ValueError(f"not a NIST SP 800-171 id: {nist_id!r}")
    return int(match.group(1)), int(match.group(2))


def _str(entry: dict[str, Any], key: str, where: str, required: bool = True) -> str:
    value = entry.get(key)
    if value is None or value == "":
        if required:
            raise CatalogError(f"{where}: missing '{key}'")
        return ""
    if not isinstance(value, str):
        raise CatalogError(f"{where}: '{key}' must be text")
    return value.strip()


def parse_catalog(data: Any) -> Catalog:
    """Check the whole fixture and return it as specs; raise CatalogError on the first problem."""
    if not isinstance(data, dict) or "requirements" not in data or "families" not in data:
        raise CatalogError("the fixture must be a mapping with 'families' and 'requirements'")
    families: list[tuple[str, str]] = []
    for i, fam in enumerate(data["families"] or [], start=1):
        if not isinstance(fam, dict):
            raise CatalogError(f"family #{i}: must be a mapping")
        code, name = _str(fam, "code", f"family #{i}"), _str(fam, "name", f"family #{i}")
        if code in {c for c, _ in families}:
            raise CatalogError(f"family {code}: duplicate family code")
        families.append((code, name))
    family_codes = {c for c, _ in families}

    raw = data["requirements"]
    if not isinstance(raw, list):
        raise CatalogError("'requirements' must be a list")
    if len(raw) != EXPECTED_REQUIREMENTS:
        raise CatalogError(f"expected {EXPECTED_REQUIREMENTS} requirements, found {len(raw)}")

    specs: list[RequirementSpec] = []
    seen: set[str] = set()
    seen_cmmc: set[str] = set()
    previous: tuple[int, int] | None = None
    for i, entry in enumerate(raw, start=1):
        if not isinstance(entry, dict):
            raise CatalogError(f"requirement #{i}: must be a mapping")
        nist_id = _str(entry, "id", f"requirement #{i}")
        where = f"requirement {nist_id}"
        if not _ID.match(nist_id):
            raise CatalogError(f"{where}: id is not of the form 3.F.N")
        if nist_id in seen:
            raise CatalogError(f"{where}: duplicate id")
        seen.add(nist_id)
        if previous is not None and id_key(nist_id) <= previous:
            raise CatalogError(f"{where}: out of NIST order (after 3.{previous[0]}.{previous[1]})")
        previous = id_key(nist_id)
        family = _str(entry, "family", where)
        if family not in family_codes:
            raise CatalogError(f"{where}: unknown family '{family}'")
        cmmc_id = _str(entry, "cmmc_id", where)
        if cmmc_id in seen_cmmc:
            raise CatalogError(f"{where}: duplicate CMMC id {cmmc_id}")
        seen_cmmc.add(cmmc_id)
        points = entry.get("points")
        if points is not None and (isinstance(points, bool) or points not in ALLOWED_POINTS):
            raise CatalogError(f"{where}: point value {points!r} is not one of 1, 3, 5")
        if points is None and nist_id != "3.12.4":
            raise CatalogError(f"{where}: only 3.12.4 may have no point value")
        partial = entry.get("partial_points")
        if partial is not None and (points is None or isinstance(partial, bool) or partial not in ALLOWED_POINTS
                                    or partial >= points):
            raise CatalogError(f"{where}: partial point value {partial!r} must be 1 or 3 and below {points}")
        poam = _str(entry, "poam_eligibility", where)
        if poam not in POAM_VALUES:
            raise CatalogError(f"{where}: POA&M eligibility '{poam}' is not one of yes, no, only_partial")
        rtype = _str(entry, "type", where)
        if rtype not in {"basic", "derived"}:
            raise CatalogError(f"{where}: type '{rtype}' is not basic or derived")

        objectives: list[ObjectiveSpec] = []
        raw_objs = entry.get("objectives") or []
        if not raw_objs:
            raise CatalogError(f"{where}: has no objectives")
        for position, obj in enumerate(raw_objs):
            letter = string.ascii_lowercase[position] if position < 26 else "?"
            expected = f"{nist_id}[{letter}]"
            if not isinstance(obj, dict):
                raise CatalogError(f"{where}: objective #{position + 1} must be a mapping")
            oid = _str(obj, "id", f"{where} objective #{position + 1}")
            if oid != expected:
                raise CatalogError(f"{where}: objective {oid} out of order (expected {expected})")
            objectives.append(ObjectiveSpec(oid, _str(obj, "text", f"objective {oid}")))

        specs.append(
            RequirementSpec(
                nist_id=nist_id,
                family=family,
                cmmc_id=cmmc_id,
                cmmc_title=_str(entry, "cmmc_title", where),
                level1_id=_str(entry, "level1_id", where, required=False),
                level1_legacy_id=_str(entry, "level1_legacy_id", where, required=False),
                far_reference=_str(entry, "far_reference", where, required=False),
                requirement_type=rtype,
                text=_str(entry, "text", where),
                points=points,
                partial_points=partial,
                partial_condition=_str(entry, "partial_condition", where, required=False),
                not_met_condition=_str(entry, "not_met_condition", where, required=False),
                poam_eligibility=poam,
                poam_rule=_str(entry, "poam_rule", where, required=False),
                methodology_comment=_str(entry, "methodology_comment", where, required=False),
                objectives=tuple(objectives),
            )
        )
    _check_lengths(specs)
    total_objectives = sum(len(s.objectives) for s in specs)
    if total_objectives != EXPECTED_OBJECTIVES:
        raise CatalogError(f"expected {EXPECTED_OBJECTIVES} objectives, found {total_objectives}")
    used = {s.family for s in specs}
    if unused := family_codes - used:
        raise CatalogError(f"family {sorted(unused)[0]}: has no requirements")
    return Catalog(families=families, requirements=specs)


def _check_lengths(specs: list[RequirementSpec]) -> None:
    # PostgreSQL enforces column lengths that SQLite ignores: check them here, before any write.
    limits = {
        f.name: f.max_length
        for f in Requirement._meta.get_fields()
        if getattr(f, "max_length", None) and f.name in RequirementSpec.__dataclass_fields__
    }
    for spec in specs:
        for name, limit in limits.items():
            value = getattr(spec, name)
            if isinstance(value, str) and len(value) > limit:
                raise CatalogError(f"requirement {spec.nist_id}: '{name}' is longer than {limit} characters")


def read_catalog(path: Path) -> Catalog:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise CatalogError(f"cannot read {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise CatalogError(f"{path} is not valid YAML: {exc}") from exc
    return parse_catalog(data)


_NUMBER_FIELDS = (
    "cmmc_id", "level1_id", "level1_legacy_id", "far_reference", "requirement_type", "points", "partial_points",
    "partial_condition", "not_met_condition", "poam_eligibility", "poam_rule", "methodology_comment",
)


@transaction.atomic
def load_catalog(*, catalog: Catalog, overwrite: bool = False) -> LoadReport:
    report = LoadReport()
    families: dict[str, Family] = {}
    for position, (code, name) in enumerate(catalog.families, start=1):
        fam, created = Family.objects.get_or_create(code=code, defaults={"name": name, "position": position})
        if not created and (fam.name, fam.position) != (name, position):
            fam.name, fam.position = name, position
            fam.save()
        report.families_created += created
        families[code] = fam

    existing = {r.nist_id: r for r in Requirement.objects.prefetch_related("objectives")}
    for position, spec in enumerate(catalog.requirements, start=1):
        req = existing.get(spec.nist_id)
        new_fp = spec.fingerprint()
        if req is None:
            req = Requirement(nist_id=spec.nist_id)
            _apply(req, spec, families, position, new_fp)
            req._change_reason = "load_catalog: created"
            req.save()
            Objective.objects.bulk_create(
                Objective(requirement=req, objective_id=o.objective_id, position=n, text=o.text)
                for n, o in enumerate(spec.objectives)
            )
            report.created.append(spec.nist_id)
            continue

        current_objs = list(req.objectives.all())
        current_fp = req.text_fingerprint(current_objs)
        write_text = False
        if current_fp != new_fp:
            fixture_changed = new_fp != req.fixture_hash
            staff_edited = bool(req.fixture_hash) and current_fp != req.fixture_hash
            if overwrite or (fixture_changed and not staff_edited):
                write_text = True
            elif fixture_changed:
                report.conflicts.append(spec.nist_id)
            # else: the fixture is as last loaded and staff edited the text; their edit stands.
        marker_only = current_fp == new_fp and req.fixture_hash != new_fp
        numbers_differ = any(getattr(req, f) != getattr(spec, f) for f in _NUMBER_FIELDS) or (
            req.family_id != families[spec.family].pk or req.position != position
        )
        if not (write_text or marker_only or numbers_differ):
            report.unchanged += 1
            continue
        _apply(req, spec, families, position, new_fp, text=write_text or marker_only)
        req._change_reason = "load_catalog: updated"
        req.save()
        if write_text:
            _sync_objectives(req, current_objs, spec)
        report.updated.append(spec.nist_id)
    # bulk_create sends no signal; and a database loaded before the stamp existed gets its row here.
    catalog_changed()
    return report


def _apply(req: Requirement, spec: RequirementSpec, families: dict[str, Family], position: int, fp: str,
           text: bool = True) -> None:
    req.family = families[spec.family]
    req.position = position
    for name in _NUMBER_FIELDS:
        setattr(req, name, getattr(spec, name))
    if text:
        req.text = spec.text
        req.cmmc_title = spec.cmmc_title
        req.fixture_hash = fp


def _sync_objectives(req: Requirement, current: list[Objective], spec: RequirementSpec) -> None:
    by_id = {o.objective_id: o for o in current}
    wanted = {o.objective_id for o in spec.objectives}
    for obj in current:
        if obj.objective_id not in wanted:
            obj.delete()
    for n, o in enumerate(spec.objectives):
        obj = by_id.get(o.objective_id)
        if obj is None:
            Objective.objects.create(requirement=req, objective_id=o.objective_id, position=n, text=o.text)
        elif (obj.text, obj.position) != (o.text, n):
            obj.text, obj.position = o.text, n
            obj._change_reason = "load_catalog"
            obj.save()
