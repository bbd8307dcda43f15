"""Shared setup for the timeline tests (snapshots, compare, submissions, affirmations, calendar)."""

from datetime import date

from assessments.models import Answer, Assessment, ObjectiveAnswer
from controls.models import Objective, Requirement
from timeline.models import Snapshot
from timeline.snapshots import take_snapshot


def rich_assessment(org, name: str = "Acme") -> Assessment:
    """An assessment in objective mode with every kind of record: requirement answers with every field, objective
    answers, a partial 3.5.3, an N/A with its justification and SPRS fields."""
    assessment = Assessment.objects.create(
        organization=org, organization_name=name, objective_mode=True, cage_codes="1ABC2",
        affirming_official="Jo Smith, CEO", assessment_date=date(2026, 1, 10))
    rows = {
        "3.12.4": {"status": "met", "note": "Our plan v1."},
        "3.1.1": {"status": "met", "note": "Accounts in AD.\nReviewed monthly.", "evidence": "AD export",
                  "responsible": "IT lead"},
        "3.1.2": {"status": "not_met", "note": "Planned role limits.", "responsible": "IT lead",
                  "planned_date": date(2026, 6, 30), "poam_reference": "POAM-7"},
        "3.1.3": {"status": "not_met", "planned_date": date(2026, 9, 1)},
        "3.5.3": {"status": "partial", "note": "MFA for admins only."},
        "3.1.22": {"status": "na", "justification": "No public system."},
    }
    for nist_id, values in rows.items():
        Answer.objects.create(assessment=assessment, requirement=Requirement.objects.get(nist_id=nist_id), **values)
    for objective in Objective.objects.filter(requirement__nist_id="3.1.1"):
        ObjectiveAnswer.objects.create(assessment=assessment, objective=objective, status="met")
    return assessment


def snapshots(assessment: Assessment, count: int) -> list[Snapshot]:
    return [take_snapshot(assessment=assessment, label=f"S{i}") for i in range(count)]
