"""Turn the checked reference mapping (shared/reference/iso27001-mapping.yaml) into our fixture.

The builder copies the reference and re-derives what can be derived, refusing to build when the reference
disagrees with itself: each row's 2022 list must be exactly the composition of its 2013 list through the
2013 -> 2022 table, and every id must be an Annex A control of its edition.
"""

from typing import Any

from .annex_a import CONTROL_COUNT, ID_PATTERN, THEMES, controls_2022, id_key, theme_of


class FixtureBuildError(Exception):
    """The reference is inconsistent; the message names the entry."""


def build_fixture(reference: dict[str, Any]) -> dict[str, Any]:
    table: dict[str, list[str]] = reference["iso27001_2013_to_2022"]
    ids = {"2013": sorted(table, key=id_key), "2022": controls_2022()}
    for edition, listed in ids.items():
        if len(listed) != CONTROL_COUNT[edition]:
            raise FixtureBuildError(f"edition {edition}: expected {CONTROL_COUNT[edition]} controls, "
                                    f"found {len(listed)}")
        for control_id in listed:
            if not ID_PATTERN[edition].match(control_id) or theme_of(control_id) not in THEMES[edition]:
                raise FixtureBuildError(f"edition {edition}: '{control_id}' is not an Annex A control id")
    known_2022 = set(ids["2022"])
    for source, targets in table.items():
        if unknown := [t for t in targets if t not in known_2022]:
            raise FixtureBuildError(f"2013 -> 2022 table, {source}: unknown 2022 control {unknown[0]}")

    mapping: list[dict[str, Any]] = []
    for row in reference["mapping"]:
        where = f"requirement {row['id']}"
        list_2013 = list(row.get("iso27001_2013") or [])
        partial_2013 = set(row.get("iso27001_2013_partial") or [])
        if unknown := [c for c in list_2013 if c not in table]:
            raise FixtureBuildError(f"{where}: unknown 2013 control {unknown[0]}")
        sources: dict[str, list[str]] = {}
        for control_id in list_2013:
            for target in table[control_id]:
                sources.setdefault(target, []).append(control_id)
        composed = sorted(sources, key=id_key)
        if composed != sorted(row.get("iso27001_2022") or [], key=id_key):
            raise FixtureBuildError(f"{where}: the 2022 list is not the composition of the 2013 list")
        mapping.append({
            "id": row["id"],
            "confidence": row["confidence"],
            "note": " ".join(row.get("notes") or []),
            "iso27001_2013": sorted(list_2013, key=id_key),
            "iso27001_2013_partial": sorted(partial_2013, key=id_key),
            "iso27001_2022": composed,
            # Table H-1's asterisk carries over only when every 2013 source of the 2022 control had it.
            "iso27001_2022_partial": [t for t in composed if all(s in partial_2013 for s in sources[t])],
        })
    return {
        "meta": {
            "title": "NIST SP 800-171 Rev 2 -> ISO/IEC 27001 Annex A (2013 and 2022)",
            "built_from": "shared/reference/iso27001-mapping.yaml (see its meta for sources)",
            "caveat": reference.get("meta", {}).get("iso27001_2022_caveat", ""),
            "controls": {edition: len(listed) for edition, listed in ids.items()},
            "requirements": len(mapping),
        },
        "editions": {
            edition: [
                {"code": code, "name": name, "controls": [c for c in ids[edition] if theme_of(c) == code]}
                for code, name in THEMES[edition].items()
            ]
            for edition in ids
        },
        "mapping": mapping,
    }
