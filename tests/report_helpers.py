"""Shared setup for the report-page tests (results, SPRS worksheet)."""

from django.test import Client
from django.urls import reverse

from assessments.models import Answer, Assessment
from controls.models import Requirement

ONE_POINT_POAM = ("3.1.3", "3.1.4", "3.1.6")  # 1 point each, POA&M-eligible


def start(client: Client, name: str = "Acme", **extra) -> Assessment:
    data = {"organization_name": name, "target_level": "l2", "scope": "enterprise", "has_ssp": "yes"} | extra
    response = client.post(reverse("assessments:start"), data)
    assert response.status_code == 302, response.content
    return Assessment.objects.get(organization_name=name)


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
