"""Validate and load the example narratives (fixtures/example-narratives.yaml): for every requirement, an example
implementation description per environment, which the SSP offers as starting text.

Like the catalog loader: the whole file is checked before anything is written (every requirement of the loaded
catalog, each with every variant, nothing else), a second load of the same file writes nothing, and a text staff
edited in the admin is kept: the loader stores a hash of the text it last wrote (``fixture_hash``), so a differing
current text is a staff edit. If the fixture changed that text too, the staff text stays and the conflict is
reported; ``overwrite=True`` takes the fixture's text.
"""

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.db import transaction

from .catalog import id_key
from .models import ExampleNarrative, NarrativeVariant, Requirement

FIXTURE = settings.BASE_DIR / "fixtures" / "example-narratives.yaml"
VARIANTS = tuple(NarrativeVariant.values)


class NarrativesError(Exception):
    """The fixture is not a valid set of example narratives; the message names the entry."""


@dataclass(frozen=True)
class NarrativeSpec:
    nist_id: str
    variant: str
    text: str


@dataclass
class LoadReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    kept: list[str] = field(default_factory=list)  # staff edits the fixture did not change: they stand
    conflicts: list[str] = field(default_factory=list)  # staff edits the fixture changed too: kept, reported

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _tidy(text: str) -> str:
    # Folded YAML may leave a trailing newline or doubled spaces; a narrative is stored as one clean paragraph
    # per line.
    return "\n".join(" ".join(line.split()) for line in text.strip().splitlines())


def parse_narratives(data: Any, nist_ids: list[str]) -> list[NarrativeSpec]:
    """Check the whole fixture against the catalog's ``nist_ids``; raise NarrativesError on the first problem."""
    if not isinstance(data, dict):
        raise NarrativesError("the fixture must map each requirement's NIST id to its narratives")
    known = set(nist_ids)
    for key in data:
        if not isinstance(key, str) or key not in known:
            raise NarrativesError(f"{key!r}: not a requirement of the catalog")
    specs: list[NarrativeSpec] = []
    seen: dict[str, str] = {}
    for nist_id in sorted(known, key=id_key):
        entry = data.get(nist_id)
        where = f"requirement {nist_id}"
        if entry is None:
            raise NarrativesError(f"{where}: no narratives")
        if not isinstance(entry, dict):
            raise NarrativesError(f"{where}: must map each variant to its text")
        if unknown := set(entry) - set(VARIANTS):
            raise NarrativesError(f"{where}: unknown variant {sorted(map(str, unknown))[0]!r} "
                                  f"(expected {', '.join(VARIANTS)})")
        for variant in VARIANTS:
            text = entry.get(variant)
            if not isinstance(text, str) or not text.strip():
                raise NarrativesError(f"{where}: no {variant} text")
            text = _tidy(text)
            if text in seen:
                raise NarrativesError(f"{where}: the {variant} text is the same as {seen[text]}'s")
            seen[text] = f"{nist_id} {variant}"
            specs.append(NarrativeSpec(nist_id, variant, text))
    return specs


def read_narratives(path: Path = FIXTURE) -> list[NarrativeSpec]:
    """Read and check the fixture against the catalog in the database (load the catalog first)."""
    nist_ids = list(Requirement.objects.values_list("nist_id", flat=True))
    if not nist_ids:
        raise NarrativesError("the NIST catalog is not loaded; run `manage.py load_catalog` first")
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise NarrativesError(f"cannot read {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise NarrativesError(f"{path} is not valid YAML: {exc}") from exc
    return parse_narratives(data, nist_ids)


@transaction.atomic
def load_narratives(*, narratives: list[NarrativeSpec], overwrite: bool = False) -> LoadReport:
    report = LoadReport()
    requirements = dict(Requirement.objects.values_list("nist_id", "pk"))
    existing = {(row.requirement_id, row.variant): row for row in ExampleNarrative.objects.all()}
    for spec in narratives:
        name = f"{spec.nist_id} {spec.variant}"
        new_hash = text_hash(spec.text)
        row = existing.get((requirements[spec.nist_id], spec.variant))
        if row is None:
            row = ExampleNarrative(requirement_id=requirements[spec.nist_id], variant=spec.variant, text=spec.text,
                                   fixture_hash=new_hash)
            row._change_reason = "load_example_narratives: created"
            row.save()
            report.created.append(name)
            continue
        current = text_hash(row.text)
        if current == new_hash and row.fixture_hash == new_hash:
            report.unchanged += 1
            continue
        staff_edited = bool(row.fixture_hash) and current != row.fixture_hash
        fixture_changed = new_hash != row.fixture_hash
        if current != new_hash and staff_edited and not overwrite:
            # The admin's text stands; say so when the fixture moved on meanwhile.
            (report.conflicts if fixture_changed else report.kept).append(name)
            report.unchanged += 1
            continue
        # New fixture text over an untouched one, --overwrite-edits, or only the marker out of date (the text
        # already is the fixture's).
        row.text, row.fixture_hash = spec.text, new_hash
        row._change_reason = "load_example_narratives: updated"
        row.save()
        report.updated.append(name)
    return report
