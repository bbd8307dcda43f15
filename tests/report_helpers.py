"""Shared setup for the report-page tests (results, SPRS worksheet)."""

from django.test import Client

from assessments.models import Answer, Assessment
from controls.models import Requirement

from .personas import start_anonymous

ONE_POINT_POAM = ("3.1.3", "3.1.4", "3.1.6")  # 1 point each, POA&M-eligible


def start(client: Client, name: str = "Acme", **extra) -> Assessment:
    """A new anonymous assessment held by ``client`` (personas.start_anonymous: no request to the start view)."""
    return start_anonymous(client, name, **extra)


def answer(assessment: Assessment, overrides: dict[str, str | dict], default: str = "met") -> None:
    """Answer every requirement in scope with ``default``, except ``overrides`` (a status or a dict of fields)."""
    requirements = Requirement.objects.all()
    if assessment.target_level == "l1":
        requirements = requirements.filter(level1_id__gt="")
    Answer.objects.filter(assessment=assessment).delete()
    rows = []
    for req in requirements:
        values = overrides.get(req.nist_id, default)
        values = values if isinstance(values, dict) else {"status": values}
        rows.append(Answer(assessment=assessment, requirement=req, **values))
    Answer.objects.bulk_create(rows)
