"""Comparing two sides (two snapshots, or a snapshot and today): every number comes from ``scoring`` run on the
stored answers of each side (snapshots.side)."""

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

from assessments import scoring

from .snapshots import Side

NARRATIVE_FIELDS = (("note", "Implementation description"), ("justification", "Why it is not applicable"))
TOKEN_RE = re.compile(r"\s+|[^\s]+")


@dataclass(frozen=True)
class StatusChange:
    nist_id: str
    before: scoring.Status | None
    after: scoring.Status | None
    gained: int  # points this change wins back (deduction before minus after, when positive)
    lost: int


@dataclass(frozen=True)
class FamilyDelta:
    code: str
    gained: int
    lost: int

    @property
    def net(self) -> int:
        return self.gained - self.lost


@dataclass(frozen=True)
class ObjectiveChange:
    nist_id: str
    objective_id: str
    before: str | None
    after: str | None


@dataclass(frozen=True)
class TextChange:
    nist_id: str
    label: str
    parts: tuple[tuple[str, str], ...]  # ("same" | "del" | "ins", text); the template escapes the text


@dataclass(frozen=True)
class Comparison:
    before: scoring.Result
    after: scoring.Result
    statuses: tuple[StatusChange, ...]
    families: tuple[FamilyDelta, ...]  # only families whose points moved
    poam_opened: tuple[str, ...]
    poam_closed: tuple[str, ...]
    objectives: tuple[ObjectiveChange, ...]
    texts: tuple[TextChange, ...]

    @property
    def gained(self) -> int:
        return sum(f.gained for f in self.families)

    @property
    def lost(self) -> int:
        return sum(f.lost for f in self.families)

    @property
    def net(self) -> int:
        return self.gained - self.lost


def word_diff(before: str, after: str) -> tuple[tuple[str, str], ...]:
    """The change from one text to another, word by word (whitespace kept), as (operation, text) pairs."""
    a, b = TOKEN_RE.findall(before), TOKEN_RE.findall(after)
    parts: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            parts.append(("same", "".join(a[i1:i2])))
            continue
        if i2 > i1:
            parts.append(("del", "".join(a[i1:i2])))
        if j2 > j1:
            parts.append(("ins", "".join(b[j1:j2])))
    return tuple(parts)


def compare(before: Side, after: Side) -> Comparison:
    old = {i.rule.nist_id: i for i in before.result.items}
    new = {i.rule.nist_id: i for i in after.result.items}
    order = [i.rule for i in after.result.items] + [i.rule for i in before.result.items if i.rule.nist_id not in new]
    statuses: list[StatusChange] = []
    families: dict[str, list[int]] = {}
    opened: list[str] = []
    closed: list[str] = []
    for rule in order:
        was, now = old.get(rule.nist_id), new.get(rule.nist_id)
        delta = (was.deduction if was else 0) - (now.deduction if now else 0)
        gained, lost = max(delta, 0), max(-delta, 0)
        if gained or lost:
            totals = families.setdefault(rule.family, [0, 0])
            totals[0] += gained
            totals[1] += lost
        status_was, status_now = (was.status if was else None), (now.status if now else None)
        if status_was != status_now:
            statuses.append(StatusChange(rule.nist_id, status_was, status_now, gained, lost))
        open_was, open_now = bool(was and was.is_open), bool(now and now.is_open)
        if open_now and not open_was:
            opened.append(rule.nist_id)
        elif open_was and not open_now:
            closed.append(rule.nist_id)
    family_order = list(dict.fromkeys(r.family for r in order))
    return Comparison(
        before=before.result, after=after.result, statuses=tuple(statuses),
        families=tuple(FamilyDelta(code, *families[code]) for code in family_order if code in families),
        poam_opened=tuple(opened), poam_closed=tuple(closed),
        objectives=_objective_changes(before, after, [r.nist_id for r in order]),
        texts=_text_changes(before, after, [r.nist_id for r in order]),
    )


def _objective_changes(before: Side, after: Side, order: list[str]) -> tuple[ObjectiveChange, ...]:
    changes = []
    for nist_id in order:
        was = (before.requirements.get(nist_id) or {}).get("objectives") or {}
        now = (after.requirements.get(nist_id) or {}).get("objectives") or {}
        for objective_id in sorted(set(was) | set(now)):
            if (was.get(objective_id) or None) != (now.get(objective_id) or None):
                changes.append(ObjectiveChange(nist_id, objective_id, was.get(objective_id) or None,
                                               now.get(objective_id) or None))
    return tuple(changes)


def _text_changes(before: Side, after: Side, order: list[str]) -> tuple[TextChange, ...]:
    changes = []
    for nist_id in order:
        was, now = before.requirements.get(nist_id) or {}, after.requirements.get(nist_id) or {}
        for name, label in NARRATIVE_FIELDS:
            a, b = str(was.get(name) or ""), str(now.get(name) or "")
            if a != b:
                changes.append(TextChange(nist_id, label, word_diff(a, b)))
    return tuple(changes)
