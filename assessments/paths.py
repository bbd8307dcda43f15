"""Paths of an assessment's pages that a page lists many of (a block per requirement, a line per family), made
without a reverse() each: one costs about a tenth of a millisecond, and the questionnaire needs dozens."""

from collections.abc import Callable
from urllib.parse import quote

from django.urls import reverse
from django.utils.http import RFC3986_SUBDELIMS


def path_for_each(route: str, public_id: str, sample: str) -> Callable[[str], str]:
    """``reverse(route, args=[public_id, x])`` for each x of the same kind as ``sample`` (a NIST, objective or family
    id): the route reversed once, then x quoted as reverse() quotes it in place of the sample, the path's one segment
    that varies."""
    path = reverse(route, args=[public_id, sample])
    head, found, tail = path.rpartition(f"/{_quote(sample)}/")
    if not found:
        return lambda x: reverse(route, args=[public_id, x])
    return lambda x: f"{head}/{_quote(x)}/{tail}"


def _quote(segment: str) -> str:
    return quote(segment, safe=RFC3986_SUBDELIMS + "/~:@")  # what reverse() leaves unquoted


def with_family_paths(progress: list[dict], public_id: str) -> list[dict]:
    """``report.family_progress``'s lines, each with the path of its family's questionnaire page (``url``)."""
    family_path = path_for_each("assessments:family", public_id, "AC")
    for line in progress:
        line["url"] = family_path(line["code"])
    return progress
