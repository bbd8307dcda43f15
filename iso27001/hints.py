"""Per-requirement hints from an assessment's ISO head start: shown on the question, never an answer."""

from collections.abc import Iterable
from typing import NamedTuple

from assessments.models import Assessment
from controls.snapshot import CatalogSnapshot

from .models import Confidence, HeadStart, IsoMapping


class Hint(NamedTuple):
    iso_id: str
    low_confidence: bool
    confidence: str
    partial: bool


def related_by_control(catalog: CatalogSnapshot) -> dict[int, list[tuple[int, int, str, Hint]]]:
    """ISO control pk -> what it relates to: (requirement position, control position, NIST id, hint) per mapping row.

    The mapping is reference data that only ``load_mapping`` writes, and it renews the catalog's token when it does,
    so the mapping is kept with the catalog (one query per catalog revision and process)."""

    def read() -> dict[int, list[tuple[int, int, str, Hint]]]:
        related: dict[int, list[tuple[int, int, str, Hint]]] = {}
        rows = IsoMapping.objects.values_list("control_id", "requirement__position", "control__position",
                                              "requirement__nist_id", "control__control_id", "confidence", "partial")
        for control_pk, req_position, control_position, nist_id, control_id, confidence, partial in rows:
            hint = Hint(control_id, confidence != Confidence.HIGH, confidence, partial)
            related.setdefault(control_pk, []).append((req_position, control_position, nist_id, hint))
        return related

    return catalog.memo("iso27001.related_by_control", read)


def hints_for(assessment: Assessment, requirement_ids: Iterable[str], catalog: CatalogSnapshot
              ) -> dict[str, list[Hint]]:
    """NIST id -> the assessment's ticked ISO controls related to it, in Annex A order (``catalog``: the one the
    page read). One query, the ticked controls."""
    related = related_by_control(catalog)
    wanted = set(requirement_ids)
    ticked = HeadStart.controls.through.objects.filter(headstart__assessment=assessment).values_list(
        "isocontrol_id", flat=True)
    found = sorted(line for control_pk in ticked for line in related.get(control_pk, ()) if line[2] in wanted)
    hints: dict[str, list[Hint]] = {}
    for _, _, nist_id, hint in found:
        hints.setdefault(nist_id, []).append(hint)
    return hints
