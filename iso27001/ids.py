"""Pick Annex A control ids out of pasted or uploaded text (a Statement of Applicability, a list, a CSV)."""

import re
from dataclasses import dataclass, field

from .annex_a import ID_PATTERN

_SPLIT = re.compile(r"[\s,;|\"']+")
_PREFIXED = re.compile(r"^A\.?\s?(\d{1,2}(?:\.\d{1,2}){1,2})$", re.IGNORECASE)
_BARE = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){1,2})$")
# Starts like an id but may be malformed ("A.9.2.x", "A.9..2"): worth naming rather than ignoring.
_LOOKS_LIKE_ID = re.compile(r"^A\.?\d", re.IGNORECASE)
_EDGE = ".:()[]{}"


@dataclass
class ExtractedIds:
    ids: list[str] = field(default_factory=list)  # normalised ("A.9.2.1"), first occurrence order, no repeats
    malformed: list[str] = field(default_factory=list)  # tokens that look like ids but are not


def _normalise(digits: str) -> str:
    return "A." + ".".join(str(int(part)) for part in digits.split("."))


def extract_ids(text: str) -> ExtractedIds:
    """Every "A.x.y[.z]" token anywhere, and a bare "x.y[.z]" only as a line's first token.

    Text around the ids (titles, "Implemented", CSV columns) is ignored, so a Statement of Applicability can be
    pasted as it is.
    """
    found = ExtractedIds()
    seen: set[str] = set()
    for line in text.splitlines():
        tokens = [t.strip(_EDGE) for t in _SPLIT.split(line)]
        tokens = [t for t in tokens if t]
        for position, token in enumerate(tokens):
            match = _PREFIXED.match(token) or (_BARE.match(token) if position == 0 else None)
            if match:
                control_id = _normalise(match.group(1))
                if control_id not in seen:
                    seen.add(control_id)
                    found.ids.append(control_id)
            elif _LOOKS_LIKE_ID.match(token) and token not in found.malformed:
                found.malformed.append(token)
    return found


def edition_of(control_id: str) -> str | None:
    for edition, pattern in ID_PATTERN.items():
        if pattern.match(control_id):
            return edition
    return None
