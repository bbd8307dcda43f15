"""Panels that apps standing on this one add to the organisation dashboard, without the org pages importing them.

An app registers its provider when it is ready (timeline/apps.py). The dashboard calls each provider once with all
the assessments it lists and their scores: a provider reads what it needs for all of them at once, so its queries
do not grow with the number of assessments. Without a provider, the dashboard shows no panel.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from . import scoring
from .models import Assessment


@dataclass(frozen=True)
class Panel:
    template: str  # included in each organisation's section of the dashboard, with ``items``
    items: Mapping[int, Sequence[object]]  # organisation pk -> what the panel lists there


Provider = Callable[[Sequence[Assessment], Mapping[int, scoring.Result]], Panel]
_providers: dict[str, Provider] = {}


def register_panel(key: str, provider: Provider) -> None:
    _providers[key] = provider


def dashboard_panels(assessments: Sequence[Assessment], results: Mapping[int, scoring.Result]) -> list[Panel]:
    """Every registered panel, in the order of their keys."""
    return [_providers[key](assessments, results) for key in sorted(_providers)]
