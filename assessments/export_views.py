"""Downloads (POA&M as CSV/XLSX, the whole assessment as JSON) and the import of an assessment file."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods, require_safe

from cmmc_site import ratelimit
from cmmc_site.downloads import download_name

from . import assessment_file, poam, spreadsheets
from .access import get_assessment_for_user, private
from .forms import ImportForm
from .models import Assessment, today
from .views import CREATE_LIMIT, _too_many, open_new_assessment, organizations_to_create_in

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _attachment(body: bytes, content_type: str, assessment: Assessment, what: str, extension: str) -> HttpResponse:
    # Whose file, what it is and when: "Acme-POAM-2026-03-01.csv".
    name = download_name(assessment.organization_name, what, today().isoformat(), extension=extension)
    return HttpResponse(body, content_type=content_type, headers={"Content-Disposition": name.header})


@private
@require_safe
def export_poam_csv(request: HttpRequest, public_id: str) -> HttpResponse:
    assessment = get_assessment_for_user(request, public_id)
    body = spreadsheets.to_csv(poam.poam_rows(assessment))
    return _attachment(body, "text/csv; charset=utf-8", assessment, "POAM", "csv")


@private
@require_safe
def export_poam_xlsx(request: HttpRequest, public_id: str) -> HttpResponse:
    assessment = get_assessment_for_user(request, public_id)
    body = spreadsheets.to_xlsx(poam.poam_rows(assessment))
    return _attachment(body, XLSX_TYPE, assessment, "POAM", "xlsx")


@private
@require_safe
def export_json(request: HttpRequest, public_id: str) -> HttpResponse:
    assessment = get_assessment_for_user(request, public_id)
    body = assessment_file.dumps(assessment_file.export_json(assessment))
    return _attachment(body, "application/json; charset=utf-8", assessment, "assessment", "json")


@private
@require_http_methods(["GET", "POST"])
def import_assessment(request: HttpRequest) -> HttpResponse:
    organizations = organizations_to_create_in(request)
    form = ImportForm(request.POST if request.method == "POST" else None,
                      request.FILES if request.method == "POST" else None, organizations=organizations)
    context = {"form": form, "nav": "assess", "organizations": organizations}
    if form.is_bound and form.is_valid():
        # An import makes a new assessment: it counts against the same limit as starting one.
        if not ratelimit.hit("create", ratelimit.client_ip(request), limit=CREATE_LIMIT[0], window=CREATE_LIMIT[1]):
            return _too_many(request, "assessments/import.html",
                             context | {"form": ImportForm(organizations=organizations)}, window=CREATE_LIMIT[1])
        assessment = assessment_file.import_json(data=form.cleaned_data["file"],
                                         organization=form.cleaned_data.get("organization"))
        return open_new_assessment(request, assessment, verb="Imported")
    return render(request, "assessments/import.html", context, status=400 if form.errors else 200)
