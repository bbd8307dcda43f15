"""The rule dates and citations the pages show, from one data file (fixtures/rules-dates.yaml).

Loaded once per process and checked whole before use: a bad file is refused with a message that names the entry and
the field (RulesFileError), so no page ever shows half a schedule. The `manage.py check` system check in apps.py
runs the same validation at start-up.
"""

import re
from dataclasses import dataclass
from datetime import date as Date
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings

RULES_FILE = settings.BASE_DIR / "fixtures" / "rules-dates.yaml"
ENTRY_KEYS = frozenset({"cite", "date", "month", "what", "source", "replaced_by"})
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class RulesFileError(Exception):
    """The rules file cannot be used; the message names the file, the entry and the field."""


@dataclass(frozen=True)
class RuleEntry:
    key: str
    what: str
    source: str
    cite: str = ""
    date: Date | None = None
    month_only: bool = False  # only the month is published (e.g. "February 2020")
    replaced_by: "RuleEntry | None" = None

    def __str__(self) -> str:
        # {{ rulebook.dfars_7021 }} in a template prints the citation.
        return self.cite


@dataclass(frozen=True)
class Rulebook:
    checked: Date  # when the entries were last compared with their sources
    entries: dict[str, RuleEntry]

    def __getitem__(self, key: str) -> RuleEntry:
        # Templates look entries up by attribute-style keys ({{ rulebook.phase_2.date }}); an unknown key raises
        # KeyError, which the template engine shows as an empty string, and the citation tests catch.
        return self.entries[key]

    @property
    def dates(self) -> set[Date]:
        """Every full date the file holds (the checked date included)."""
        return {self.checked} | {e.date for e in self.entries.values() if e.date and not e.month_only}

    @property
    def months(self) -> set[tuple[int, int]]:
        """Every (year, month) the file holds."""
        return {(d.year, d.month) for d in self.dates} | {
            (e.date.year, e.date.month) for e in self.entries.values() if e.date}


def _fail(path: Path, where: str, message: str) -> RulesFileError:
    return RulesFileError(f"{path.name}: {where}: {message}")


def _text(path: Path, where: str, raw: dict[str, Any], key: str, *, required: bool) -> str:
    value = raw.get(key)
    if value is None:
        if required:
            raise _fail(path, where, f"'{key}' is missing")
        return ""
    if not isinstance(value, str) or not value.strip():
        raise _fail(path, where, f"'{key}' must be non-empty text")
    return " ".join(value.split())


def _date(path: Path, where: str, value: Any) -> Date:
    # YAML reads an unquoted 2026-11-10 as a date; a quoted one arrives as text.
    if isinstance(value, Date):
        return value
    if isinstance(value, str):
        try:
            return Date.fromisoformat(value)
        except ValueError:
            pass
    raise _fail(path, where, f"{value!r} is not a date (YYYY-MM-DD)")


def _month(path: Path, where: str, value: Any) -> Date:
    match = _MONTH.match(value) if isinstance(value, str) else None
    if not match or not 1 <= int(match[2]) <= 12:
        raise _fail(path, where, f"{value!r} is not a month (YYYY-MM, quoted or not)")
    return Date(int(match[1]), int(match[2]), 1)


def parse_rules(data: Any, path: Path = RULES_FILE) -> Rulebook:
    if not isinstance(data, dict) or set(data) != {"checked", "entries"}:
        raise _fail(path, "top level", "expected exactly the keys 'checked' and 'entries'")
    checked = _date(path, "checked", data["checked"])
    raw_entries = data["entries"]
    if not isinstance(raw_entries, dict) or not raw_entries:
        raise _fail(path, "entries", "expected a mapping of entries")
    parsed: dict[str, dict[str, Any]] = {}
    for key, raw in raw_entries.items():
        where = f"entries.{key}"
        if not isinstance(key, str) or not _ID.match(key):
            raise _fail(path, where, "an entry id is lower-case letters, digits and '_'")
        if not isinstance(raw, dict):
            raise _fail(path, where, "expected a mapping")
        unknown = set(raw) - ENTRY_KEYS
        if unknown:
            raise _fail(path, where, f"unknown field(s) {', '.join(sorted(map(str, unknown)))}")
        if "date" in raw and "month" in raw:
            raise _fail(path, where, "give 'date' or 'month', not both")
        when = None
        if "date" in raw:
            when = _date(path, f"{where}.date", raw["date"])
        elif "month" in raw:
            # YAML reads an unquoted 2020-02 as text, so both forms arrive here as text.
            when = _month(path, f"{where}.month", raw["month"])
        cite = _text(path, where, raw, "cite", required=False)
        if not cite and when is None:
            raise _fail(path, where, "an entry needs a 'cite', a 'date' or a 'month'")
        parsed[key] = {
            "key": key, "cite": cite, "date": when, "month_only": "month" in raw,
            "what": _text(path, where, raw, "what", required=True),
            "source": _text(path, where, raw, "source", required=True),
            "replaced_by": raw.get("replaced_by"),
        }
    entries: dict[str, RuleEntry] = {}
    # Successors first, so a replaced entry can point at its built successor.
    for key in sorted(parsed, key=lambda k: parsed[k]["replaced_by"] is not None):
        fields = dict(parsed[key])
        successor = fields.pop("replaced_by")
        if successor is not None:
            if not isinstance(successor, str) or successor not in parsed or successor == key:
                raise _fail(path, f"entries.{key}.replaced_by", f"{successor!r} is not another entry")
            if parsed[successor]["replaced_by"] is not None:
                raise _fail(path, f"entries.{key}.replaced_by", f"{successor!r} is itself replaced")
            fields["replaced_by"] = entries[successor]
        entries[key] = RuleEntry(**fields)
    return Rulebook(checked=checked, entries={key: entries[key] for key in raw_entries})


def read_rules(path: Path = RULES_FILE) -> Rulebook:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise RulesFileError(f"{Path(path).name}: cannot be read ({exc.strerror})") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RulesFileError(f"{Path(path).name}: not valid YAML ({exc})") from exc
    except ValueError as exc:  # an unquoted impossible date, e.g. 2026-02-30, fails inside the YAML reader
        raise RulesFileError(f"{Path(path).name}: a date that does not exist ({exc})") from exc
    return parse_rules(data, Path(path))


@cache
def rulebook() -> Rulebook:
    """The rules file, read and checked once per process."""
    return read_rules(RULES_FILE)
