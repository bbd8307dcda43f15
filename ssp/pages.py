"""What every page of the plan shares: finding the plan for this request, the steps' context, downloads."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from assessments.access import get_assessment_for_user
from cmmc_site.downloads import DownloadName, download_name

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


def plan_download_name(ssp: SystemSecurityPlan, *what: str, extension: str) -> DownloadName:
    """The organisation and the system, then ``what``: "Acme-CUI-Enclave-SSP-v1.0.pdf" (the system alone when
    its name already starts with the organisation's: "Acme-Enclave-…", not "Acme-Acme-Enclave-…")."""
    organization = ssp.org_name.strip() or ssp.assessment.organization_name
    system = ssp.system_name.strip()
    if system.casefold().startswith(organization.casefold()):
        organization = ""
    return download_name(organization, system, *what, extension=extension)


def attachment(body: bytes, content_type: str, name: DownloadName, etag: str = "") -> HttpResponse:
    response = HttpResponse(body, content_type=content_type, headers={"Content-Disposition": name.header})
    if etag:
        response["ETag"] = f'"{etag}"'
    return response
