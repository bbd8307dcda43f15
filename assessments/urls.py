from django.urls import path

from . import export_views, questionnaire_views, rest_met_views, result_views, views

app_name = "assessments"
urlpatterns = [
    path("start/", views.start, name="start"),
    path("resume/", views.resume, name="resume"),
    path("import/", export_views.import_assessment, name="import"),
    path("<public_id:public_id>/", result_views.overview, name="overview"),
    path("<public_id:public_id>/key/", views.recovery_key, name="recovery_key"),
    path("<public_id:public_id>/results/", result_views.results, name="results"),
    path("<public_id:public_id>/sprs/", result_views.sprs_worksheet, name="sprs"),
    path("<public_id:public_id>/settings/", result_views.edit_intake, name="edit"),
    path("<public_id:public_id>/ssp-answer/", result_views.ssp_answer, name="ssp_answer"),
    path("<public_id:public_id>/export/poam.csv", export_views.export_poam_csv, name="export_csv"),
    path("<public_id:public_id>/export/poam.xlsx", export_views.export_poam_xlsx, name="export_xlsx"),
    path("<public_id:public_id>/export/assessment.json", export_views.export_json, name="export_json"),
    path("<public_id:public_id>/family/<family:code>/", questionnaire_views.family, name="family"),
    path("<public_id:public_id>/family/<family:code>/rest-met/", rest_met_views.rest_met, name="rest_met"),
    path("<public_id:public_id>/family/<family:code>/rest-met/undo/", rest_met_views.undo, name="rest_met_undo"),
    path("<public_id:public_id>/answer/<nist:nist_id>/", questionnaire_views.save_answer_view, name="answer"),
    path("<public_id:public_id>/answer/<nist:nist_id>/history/", questionnaire_views.answer_history,
         name="answer_history"),
    path("<public_id:public_id>/objective/<objective:objective_id>/", questionnaire_views.save_objective_view,
         name="objective"),
]
