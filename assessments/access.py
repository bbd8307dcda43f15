"""Who may open an assessment. Every view that touches one goes through ``get_assessment_for_user``."""

from django.http import Http404, HttpRequest

from .models import Assessment

SESSION_KEY = "assessment_access"


def grant(request: HttpRequest, assessment: Assessment) -> None:
    """Let this browser session open the assessment. Sessions are server-side: the client never sees the id."""
    grants = list(request.session.get(SESSION_KEY, []))
    access = str(assessment.access_id)
    if access not in grants:
        grants.append(access)
        request.session[SESSION_KEY] = grants[-50:]


def granted_ids(request: HttpRequest) -> list[str]:
    return list(request.session.get(SESSION_KEY, []))


def get_assessment_for_user(request: HttpRequest, public_id: str) -> Assessment:
    """The assessment if this request may open it; 404 otherwise (never reveal that it exists)."""
    grants = granted_ids(request)
    if not grants:
        raise Http404("No assessment")
    assessment = Assessment.objects.filter(public_id=public_id, access_id__in=grants).first()
    if assessment is None:
        raise Http404("No assessment")
    return assessment
