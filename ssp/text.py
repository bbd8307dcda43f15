"""Text as every renderer of the plan may take it: cleaned once when the document model is built, softened for the
PDF, and dates in the plan's two forms."""

from __future__ import annotations

import re
from datetime import date

from assessments.spreadsheets import XML_ILLEGAL_RE

# Bidirectional embedding, override and isolate controls: in a document they make text display other than it reads
# ("evil" shown as "live"), so they never reach one. Right-to-left scripts still display right to left without them.
BIDI_CONTROLS_RE = re.compile("[\u202a-\u202e\u2066-\u2069]")


def clean(value: object) -> str:
    """User text as every renderer may take it: XML-legal characters only, no bidi controls, ``\\n`` line ends, no
    trailing space."""
    text = "" if value is None else str(value)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = BIDI_CONTROLS_RE.sub("", XML_ILLEGAL_RE.sub("", text))
    return "\n".join(line.rstrip() for line in text.split("\n")).strip("\n")


# Break opportunities inside very long unbroken runs, for the PDF: WeasyPrint's line breaking is quadratic in the
# length of a word it has to split (one 100 KB word took two minutes), so no run of visible characters stays longer.
SOFT_BREAK_EVERY = 24
_LONG_RUN_RE = re.compile(rf"(\S{{{SOFT_BREAK_EVERY}}})(?=\S)")


def soften(text: str) -> str:
    """Insert a zero-width space after every SOFT_BREAK_EVERY visible characters in a row."""
    return _LONG_RUN_RE.sub("\\1\u200b", text)


def long_date(value: date | None) -> str:
    return f"{value:%B} {value.day}, {value.year}" if value else ""


def iso_date(value: date | None) -> str:
    return value.isoformat() if value else ""
