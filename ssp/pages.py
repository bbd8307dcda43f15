"""What every page of the plan shares: finding the plan for this request, the steps' context, downloads."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import content_disposition_header

from assessments.access import get_assessment_for_user

from .models import SystemSecurityPlan

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def get_ssp_for_user(request: HttpRequest, public_id: str) -> SystemSecurityPlan:
    """The assessment's plan if this request may open the assessment (404 otherwise; 403 for a viewer writing).

    A plan not started yet comes back unsaved (``pk`` is None); ``assessment`` is always set on it.
    """
    assessment = get_assessment_for_user(request, public_id)
    ssp = SystemSecurityPlan.objects.filter(assessment=assessment).first()
    if ssp is None:
        ssp = SystemSecurityPlan(assessment=assessment, org_name=assessment.organization_name)
    ssp.assessment = assessment
    return ssp


def not_started(ssp: SystemSecurityPlan) -> HttpResponse | None:
    if ssp.pk is None:
        return redirect("ssp:overview", public_id=ssp.assessment.public_id)
    return None


def step_context(ssp: SystemSecurityPlan, step: str, **extra) -> dict:
    return {"ssp": ssp, "assessment": ssp.assessment, "step": step, "nav": "ssp", **extra}


def attachment(body: bytes, content_type: str, filename: str, etag: str = "") -> HttpResponse:
    # The filename is ours (public ids are [A-Za-z0-9_-], version numbers are integers): no user text in a header.
    response = HttpResponse(body, content_type=content_type,
                            headers={"Content-Disposition": content_disposition_header(True, filename)})
    if etag:
        response["ETag"] = f'"{etag}"'
    return response
