"""Turn the checked reference dataset (shared/reference/nist-800-171-r2.yaml) into our catalog fixture.

Weights are copied, never retyped: this is the only path by which point values enter the project.
"""

from typing import Any


def build_fixture(reference: dict[str, Any]) -> dict[str, Any]:
    families: list[dict[str, str]] = []
    requirements: list[dict[str, Any]] = []
    for control in reference["controls"]:
        if control["family_code"] not in {f["code"] for f in families}:
            families.append({"code": control["family_code"], "name": control["family_name"]})
        level1 = control.get("cmmc_level1") or {}
        partial = control.get("partial_credit") or {}
        requirements.append(
            {
                "id": control["id"],
                "family": control["family_code"],
                "cmmc_id": control["cmmc_l2_id"],
                "cmmc_title": control["cmmc_title"],
                "level1_id": level1.get("l1_id", ""),
                "level1_legacy_id": level1.get("legacy_l1_id", ""),
                "far_reference": level1.get("far_52_204_21", ""),
                "type": control["requirement_type"],
                "text": control["text"],
                "points": control["sprs_points"],
                "partial_points": partial.get("partial_points"),
                "partial_condition": partial.get("condition", ""),
                "not_met_condition": partial.get("not_met_condition", ""),
                "poam_eligibility": control["poam_eligible"],
                "poam_rule": control.get("poam_rule", ""),
                "methodology_comment": control.get("dod_methodology_comment", ""),
                "objectives": [{"id": o["id"], "text": o["text"]} for o in control["objectives"]],
            }
        )
    return {
        "meta": {
            "title": "NIST SP 800-171 Rev 2 catalog for CMMC Level 2",
            "built_from": "shared/reference/nist-800-171-r2.yaml (see its meta.sources)",
            "requirements": len(requirements),
            "objectives": sum(len(r["objectives"]) for r in requirements),
        },
        "families": families,
        "requirements": requirements,
    }
