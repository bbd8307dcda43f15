"""The catalog in memory: read once per process and catalog revision, not on every request.

The catalog (14 families, 110 requirements, their objectives) changes only when staff edit it in the admin or
``load_catalog`` runs, yet the questionnaire, the results and the catalog page each read it, and what is derived
from it (the scoring rules, rendered text blocks), on every request. ``current()`` reads the token of
``CatalogStamp`` (one query) and returns the catalog read under that token, reading it again (three queries) only
when the token changed. Every save or delete of a family, requirement or objective replaces the token (the signal
receivers below, connected in ControlsConfig.ready()), inside the same transaction as the write, so the next
request in any process sees the edit. ``load_catalog`` replaces it at the end of every run, which also writes the
row on a database whose catalog was loaded before the row existed. A write that bypasses save() (a queryset
``update()``, raw SQL) must call ``catalog_changed()``.

The token is random, never a counter: a write rolled back (a test's transaction) must not leave a later, different
write with the token of the rolled-back one.

The objects are shared by every request of the process, in every thread: read them, never change them. Higher
layers keep what they derive from the catalog (rules, rendered fragments) with ``CatalogSnapshot.memo``, so it is
dropped with the catalog it came from.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.db import connection
from django.db.models import Prefetch

from .models import CatalogStamp, Family, Objective, Requirement, text_revision

STAMP_ID = 1


@dataclass(frozen=True)
class Selection:
    """Some of a catalog's requirements, shown as one block ({% catalogfragment %}). ``pk`` identifies it when it is
    to be kept: a selection by family, points or level is one of a few hundred; a free-text search's could be any
    of the 2^110 subsets, so it is never kept (``kept=False``)."""

    requirements: tuple[Requirement, ...]
    kept: bool

    @cached_property
    def pk(self) -> tuple[int, ...] | None:
        return tuple(r.pk for r in self.requirements) if self.kept else None


@dataclass(frozen=True)
class CatalogSnapshot:
    token: str | None  # None: no stamp row; this snapshot is for one request only
    families: tuple[Family, ...]  # in catalog order
    requirements: tuple[Requirement, ...]  # in catalog order, each with its family and its objectives (in order)
    family_by_code: dict[str, Family] = field(repr=False)
    requirement_by_nist_id: dict[str, Requirement] = field(repr=False)
    requirement_by_pk: dict[int, Requirement] = field(repr=False)
    objective_by_id: dict[str, Objective] = field(repr=False)  # by objective id ("3.1.1[a]"), each with its requirement
    objective_by_pk: dict[int, Objective] = field(repr=False)
    _memo: dict[Hashable, Any] = field(default_factory=dict, repr=False, compare=False)

    def memo(self, key: Hashable, make: Callable[[], Any]) -> Any:
        """What ``make()`` returns, kept with this catalog under ``key`` (it must depend only on the catalog)."""
        try:
            return self._memo[key]
        except KeyError:
            value = self._memo[key] = make()  # two threads may both make it; either result is the same
            return value

    def family_requirements(self, code: str) -> list[Requirement]:
        return self.memo(("family_requirements", code),
                         lambda: [r for r in self.requirements if r.family.code == code])

    @property
    def family_names(self) -> dict[str, str]:
        return self.memo("family_names", lambda: {f.code: f.name for f in self.families})

    @property
    def revision(self) -> str:
        """``controls.models.catalog_revision``: the hash of the requirements' and objectives' text."""
        return self.memo("revision", lambda: text_revision(
            [(r.nist_id, r.cmmc_title, r.text) for r in self.requirements],
            [(o.objective_id, o.text) for r in self.requirements for o in r.objectives.all()],
        ))


_current: CatalogSnapshot | None = None
_lock = threading.Lock()


def current() -> CatalogSnapshot:
    """The catalog as stored now (one query while it is unchanged, four when it changed)."""
    global _current
    token = _stored_token()
    snapshot = _current
    if snapshot is not None and token is not None and snapshot.token == token:
        return snapshot
    snapshot = _read(token)
    if token is not None:
        with _lock:
            _current = snapshot
    return snapshot


def _stored_token() -> str | None:
    # Every page that reads the catalog runs this query first. Written out, it costs a third of what the ORM's
    # query compiler spends on it; a constant statement with the id as a parameter, nothing else in it.
    with connection.cursor() as cursor:
        cursor.execute("SELECT token FROM controls_catalogstamp WHERE id = %s", [STAMP_ID])
        row = cursor.fetchone()
    return row[0] if row else None


def _read(token: str | None) -> CatalogSnapshot:
    families = tuple(Family.objects.order_by("position"))
    by_pk = {f.pk: f for f in families}
    requirements = tuple(Requirement.objects.order_by("position").prefetch_related(
        Prefetch("objectives", queryset=Objective.objects.order_by("position"))))
    for requirement in requirements:
        requirement.family = by_pk[requirement.family_id]  # one instance per family, no query per row
    return CatalogSnapshot(
        token=token, families=families, requirements=requirements,
        family_by_code={f.code: f for f in families},
        requirement_by_nist_id={r.nist_id: r for r in requirements},
        requirement_by_pk={r.pk: r for r in requirements},
        objective_by_id={o.objective_id: o for r in requirements for o in r.objectives.all()},
        objective_by_pk={o.pk: o for r in requirements for o in r.objectives.all()},
    )


def catalog_changed(**kwargs: Any) -> None:
    """Give the catalog a new token (a signal receiver too): every process reads it again on its next request."""
    token = uuid.uuid4().hex
    if not CatalogStamp.objects.filter(pk=STAMP_ID).update(token=token):
        CatalogStamp.objects.update_or_create(pk=STAMP_ID, defaults={"token": token})
