"""Per-requirement hints from an assessment's ISO head start: shown on the question, never an answer."""

from collections.abc import Iterable
from typing import NamedTuple

from assessments.models import Assessment

from .models import Confidence, IsoMapping


class Hint(NamedTuple):
    iso_id: str
    low_confidence: bool
    confidence: str
    partial: bool


def hints_for(assessment: Assessment, requirement_ids: Iterable[str]) -> dict[str, list[Hint]]:
    """NIST id -> the assessment's ticked ISO controls related to it, in Annex A order (1 query)."""
    hints: dict[str, list[Hint]] = {}
    rows = (
        IsoMapping.objects.filter(requirement__nist_id__in=list(requirement_ids),
                                  control__head_starts__assessment=assessment)
        .order_by("requirement__position", "control__position")
        .values_list("requirement__nist_id", "control__control_id", "confidence", "partial")
    )
    for nist_id, control_id, confidence, partial in rows:
        hints.setdefault(nist_id, []).append(Hint(control_id, confidence != Confidence.HIGH, confidence, partial))
    return hints
