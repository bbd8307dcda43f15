"""Validate and load the ISO/IEC 27001 mapping fixture (fixtures/iso27001-mapping.yaml).

Like the catalog loader: the whole file is checked before anything is written, every error names the entry,
and a second load of the same file writes nothing. The catalog must be loaded first (requirement ids are checked
against it).
"""

from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.db import transaction

from controls.models import Requirement
from controls.snapshot import catalog_changed

from .annex_a import EDITIONS, ID_PATTERN, theme_of
from .models import Confidence, IsoControl, IsoMapping

FIXTURE = settings.BASE_DIR / "fixtures" / "iso27001-mapping.yaml"
CONFIDENCES = tuple(Confidence.values)


class MappingError(Exception):
    """The fixture is not a valid mapping; the message names the entry."""


@dataclass(frozen=True)
class ControlSpec:
    edition: str
    control_id: str
    theme: str
    theme_name: str
    position: int
    title: str = ""


@dataclass(frozen=True)
class RowSpec:
    nist_id: str
    edition: str
    control_id: str
    confidence: str
    partial: bool
    note: str


@dataclass
class MappingData:
    controls: list[ControlSpec]
    rows: list[RowSpec]
    requirements: list[str]


@dataclass
class LoadReport:
    controls_created: int = 0
    controls_updated: int = 0
    controls_deleted: int = 0
    rows_created: int = 0
    rows_updated: int = 0
    rows_deleted: int = 0
    controls_unchanged: int = 0
    rows_unchanged: int = 0

    @property
    def changed(self) -> bool:
        return any((self.controls_created, self.controls_updated, self.controls_deleted, self.rows_created,
                    self.rows_updated, self.rows_deleted))


def _text(value: Any, where: str, key: str, required: bool = True) -> str:
    if value is None or value == "":
        if required:
            raise MappingError(f"{where}: missing '{key}'")
        return ""
    if not isinstance(value, str):
        raise MappingError(f"{where}: '{key}' must be text")
    return value.strip()


def _id_list(entry: dict[str, Any], key: str, where: str) -> list[str]:
    value = entry.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise MappingError(f"{where}: '{key}' must be a list of control ids")
    return [v.strip() for v in value]


def parse_mapping(data: Any, requirement_ids: Collection[str]) -> MappingData:
    """Check the whole fixture against the catalog's requirement ids; raise MappingError on the first problem."""
    if not isinstance(data, dict) or "editions" not in data or "mapping" not in data:
        raise MappingError("the fixture must be a mapping with 'editions' and 'mapping'")
    editions = data["editions"]
    if not isinstance(editions, dict):
        raise MappingError("'editions' must map an edition (2013, 2022) to its themes")
    if unknown := sorted(str(e) for e in editions if str(e) not in EDITIONS):
        raise MappingError(f"unknown edition '{unknown[0]}' (expected 2013 and 2022)")
    controls: list[ControlSpec] = []
    known: dict[str, set[str]] = {}
    for edition in EDITIONS:
        themes = editions.get(edition) or []
        if not themes:
            raise MappingError(f"edition {edition}: has no themes")
        seen: set[str] = set()
        for t, theme in enumerate(themes, start=1):
            if not isinstance(theme, dict):
                raise MappingError(f"edition {edition} theme #{t}: must be a mapping")
            code = _text(theme.get("code"), f"edition {edition} theme #{t}", "code")
            name = _text(theme.get("name"), f"edition {edition} theme {code}", "name")
            if len(name) > 100:
                raise MappingError(f"edition {edition} theme {code}: name is longer than 100 characters")
            for control_id in _id_list(theme, "controls", f"edition {edition} theme {code}"):
                where = f"edition {edition} control {control_id}"
                if not ID_PATTERN[edition].match(control_id):
                    raise MappingError(f"{where}: not an ISO/IEC 27001:{edition} Annex A id")
                if theme_of(control_id) != code:
                    raise MappingError(f"{where}: listed under theme {code}")
                if control_id in seen:
                    raise MappingError(f"{where}: duplicate control")
                seen.add(control_id)
                controls.append(ControlSpec(edition, control_id, code, name, len(seen)))
        known[edition] = seen

    raw = data["mapping"]
    if not isinstance(raw, list):
        raise MappingError("'mapping' must be a list")
    catalog = set(requirement_ids)
    rows: list[RowSpec] = []
    listed: list[str] = []
    for i, entry in enumerate(raw, start=1):
        if not isinstance(entry, dict):
            raise MappingError(f"mapping #{i}: must be a mapping")
        nist_id = _text(entry.get("id"), f"mapping #{i}", "id")
        where = f"requirement {nist_id}"
        if nist_id not in catalog:
            raise MappingError(f"{where}: unknown requirement id (not in the catalog)")
        if nist_id in listed:
            raise MappingError(f"{where}: duplicate entry")
        listed.append(nist_id)
        confidence = entry.get("confidence")
        if confidence not in CONFIDENCES:
            raise MappingError(f"{where}: confidence {confidence!r} is not one of {', '.join(CONFIDENCES)}")
        note = _text(entry.get("note"), where, "note", required=False)
        for edition in EDITIONS:
            key = f"iso27001_{edition}"
            ids = _id_list(entry, key, where)
            partial = _id_list(entry, f"{key}_partial", where)
            seen_ids: set[str] = set()
            for control_id in ids:
                if control_id not in known[edition]:
                    raise MappingError(f"{where}: unknown ISO/IEC 27001:{edition} control '{control_id}'")
                if control_id in seen_ids:
                    raise MappingError(f"{where}: duplicate ISO/IEC 27001:{edition} control {control_id}")
                seen_ids.add(control_id)
            if stray := [c for c in partial if c not in seen_ids]:
                raise MappingError(f"{where}: partial control {stray[0]} is not in its {key} list")
            rows.extend(RowSpec(nist_id, edition, c, confidence, c in partial, note) for c in ids)
    if missing := [r for r in requirement_ids if r not in set(listed)]:
        raise MappingError(f"requirement {missing[0]}: missing from the mapping (every catalog requirement "
                           "needs an entry, even one with no ISO controls)")
    return MappingData(controls=controls, rows=rows, requirements=listed)


def catalog_requirement_ids() -> list[str]:
    ids = list(Requirement.objects.order_by("position").values_list("nist_id", flat=True))
    if not ids:
        raise MappingError("the NIST catalog is not loaded; run `manage.py load_catalog` first")
    return ids


def read_mapping(path: Path | str = FIXTURE, requirement_ids: Collection[str] | None = None) -> MappingData:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise MappingError(f"cannot read {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise MappingError(f"{path} is not valid YAML: {exc}") from exc
    return parse_mapping(data, catalog_requirement_ids() if requirement_ids is None else requirement_ids)


@transaction.atomic
def load_mapping(*, mapping: MappingData) -> LoadReport:
    report = LoadReport()
    wanted = {(c.edition, c.control_id): c for c in mapping.controls}
    existing = {(c.edition, c.control_id): c for c in IsoControl.objects.all()}
    stale = [key for key in existing if key not in wanted]
    if stale:
        in_use = (IsoControl.objects.filter(pk__in=[existing[k].pk for k in stale], head_starts__isnull=False)
                  .values_list("edition", "control_id").first())
        if in_use:
            # Dropping it would silently untick it in someone's assessment.
            raise MappingError(f"edition {in_use[0]} control {in_use[1]}: no longer in the fixture but ticked "
                               "in an assessment's head start")
        report.controls_deleted = len(stale)
        IsoControl.objects.filter(pk__in=[existing[k].pk for k in stale]).delete()

    new_controls = []
    for key, spec in wanted.items():
        control = existing.get(key)
        values = {"theme": spec.theme, "theme_name": spec.theme_name, "position": spec.position, "title": spec.title}
        if control is None:
            new_controls.append(IsoControl(edition=spec.edition, control_id=spec.control_id, **values))
        elif any(getattr(control, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(control, k, v)
            control.save()
            report.controls_updated += 1
        else:
            report.controls_unchanged += 1
    IsoControl.objects.bulk_create(new_controls)
    report.controls_created = len(new_controls)

    control_pk = {(e, c): pk for pk, e, c in IsoControl.objects.values_list("pk", "edition", "control_id")}
    requirement_pk = dict(Requirement.objects.values_list("nist_id", "pk"))
    rows_wanted = {(r.nist_id, r.edition, r.control_id): r for r in mapping.rows}
    rows_existing = {
        (nist_id, edition, control_id): row
        for row, nist_id, edition, control_id in (
            (row, row.requirement.nist_id, row.control.edition, row.control.control_id)
            for row in IsoMapping.objects.select_related("requirement", "control")
        )
    }
    if stale_rows := [row.pk for key, row in rows_existing.items() if key not in rows_wanted]:
        report.rows_deleted = IsoMapping.objects.filter(pk__in=stale_rows).delete()[0]
    new_rows = []
    for key, spec in rows_wanted.items():
        row = rows_existing.get(key)
        values = {"confidence": spec.confidence, "partial": spec.partial, "note": spec.note}
        if row is None:
            new_rows.append(IsoMapping(requirement_id=requirement_pk[spec.nist_id],
                                       control_id=control_pk[(spec.edition, spec.control_id)], **values))
        elif any(getattr(row, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(row, k, v)
            row.save(update_fields=list(values))
            report.rows_updated += 1
        else:
            report.rows_unchanged += 1
    IsoMapping.objects.bulk_create(new_rows)
    report.rows_created = len(new_rows)
    if report.changed:
        catalog_changed()  # every process reads the mapping again (iso27001/hints.py keeps it with the catalog)
    return report
