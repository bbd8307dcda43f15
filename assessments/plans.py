"""Which SSP versions an assessment has, read without this app importing the SSP app (assessments never imports ssp).

The SSP app registers its reader when it is ready (ssp/apps.py). Without one, no assessment has a version.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class GeneratedVersion:
    label: str
    generated_on: date
    draft: bool


@dataclass(frozen=True)
class PlanVersions:
    final: GeneratedVersion | None  # the latest final version: the plan an SPRS entry names
    draft: GeneratedVersion | None  # the latest version if it is a draft (newer than any final one)

    @property
    def generated(self) -> bool:
        return self.final is not None or self.draft is not None


# An assessment's primary key -> its generated versions, oldest first.
Reader = Callable[[int], Sequence[GeneratedVersion]]
_reader: Reader | None = None


def register_reader(reader: Reader) -> None:
    global _reader
    _reader = reader


def plan_versions(assessment_id: int) -> PlanVersions:
    """The latest final and the latest draft version of the assessment's SSP (the reader's queries: one)."""
    versions = list(_reader(assessment_id)) if _reader is not None else []
    final = next((v for v in reversed(versions) if not v.draft), None)
    draft = versions[-1] if versions and versions[-1].draft else None
    return PlanVersions(final=final, draft=draft)
