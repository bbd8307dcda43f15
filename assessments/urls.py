from django.urls import path

from . import views

app_name = "assessments"
urlpatterns = [
    path("start/", views.start, name="start"),
    path("resume/", views.resume, name="resume"),
    path("<public_id:public_id>/", views.overview, name="overview"),
    path("<public_id:public_id>/key/", views.recovery_key, name="recovery_key"),
    path("<public_id:public_id>/results/", views.results, name="results"),
    path("<public_id:public_id>/settings/", views.edit_intake, name="edit"),
    path("<public_id:public_id>/family/<family:code>/", views.family, name="family"),
    path("<public_id:public_id>/answer/<nist:nist_id>/", views.save_answer_view, name="answer"),
    path("<public_id:public_id>/answer/<nist:nist_id>/history/", views.answer_history, name="answer_history"),
    path("<public_id:public_id>/objective/<objective:objective_id>/", views.save_objective_view, name="objective"),
]
