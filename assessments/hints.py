"""Hints shown on a question by apps above this one (the ISO 27001 head start: the user's ISO controls related to
the requirement). A hint is never an answer.

Each app registers a source in its ready() (iso27001/apps.py), so this app never imports it. A source reads the
hints of many requirements at once (given the catalog the page read) and names the template that shows one
requirement's hints (given as ``hints``, with the block's ``assessment``: its public id and whether it may be
edited, assessments/blocks.py).
"""

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from controls.snapshot import CatalogSnapshot

from .models import Assessment


@dataclass(frozen=True)
class HintSource:
    template: str
    # (assessment, NIST ids, catalog) -> NIST id -> that requirement's hints; one without any may be left out.
    read: Callable[[Assessment, list[str], CatalogSnapshot], Mapping[str, Sequence[object]]]


SOURCES: list[HintSource] = []


def register_hint_source(source: HintSource) -> None:
    if source not in SOURCES:
        SOURCES.append(source)


def hints_for(assessment: Assessment, requirement_ids: Iterable[str], catalog: CatalogSnapshot
              ) -> dict[str, list[tuple[str, Sequence]]]:
    """NIST id -> (template, hints) of each source with hints for it (each source's queries: the head start's one,
    its ticked controls)."""
    ids = list(requirement_ids)
    found: dict[str, list[tuple[str, Sequence]]] = {}
    for source in SOURCES:
        for nist_id, hints in source.read(assessment, ids, catalog).items():
            if hints:
                found.setdefault(nist_id, []).append((source.template, hints))
    return found
