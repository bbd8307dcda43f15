from django.urls import path

from . import environment_views, views

app_name = "ssp"
# Included under "a/<public_id:public_id>/ssp/" (cmmc_site/urls.py): every view receives public_id.
urlpatterns = [
    path("", views.overview, name="overview"),
    path("start/", views.start, name="start"),
    path("identification/", views.identification, name="identification"),
    path("environment/", environment_views.environment, name="environment"),
    path("environment/diagram/", environment_views.diagram, name="diagram"),
    path("environment/diagram/upload/", environment_views.diagram_upload, name="diagram_upload"),
    path("environment/diagram/delete/", environment_views.diagram_delete, name="diagram_delete"),
    path("requirements/", views.requirements, name="requirements"),
    path("requirements/<family:code>/", views.family, name="family"),
    path("requirement/<nist:nist_id>/", views.requirement, name="requirement"),
    path("plan/", views.plan, name="plan"),
    path("generate/", views.generate, name="generate"),
    path("versions/<int:number>/docx/", views.version_docx, name="version_docx"),
    path("versions/<int:number>/pdf/", views.version_pdf, name="version_pdf"),
    path("poam/docx/", views.poam_docx, name="poam_docx"),
]
