from django.urls import path

from . import compare_views, deadline_views, views

app_name = "timeline"
# Included under a/<public_id>/ (cmmc_site/urls.py): every view gets the assessment's public id.
urlpatterns = [
    path("snapshots/", views.snapshot_list, name="snapshots"),
    path("snapshots/<int:number>/", views.snapshot_detail, name="snapshot"),
    path("snapshots/<int:number>/assessment.json", views.snapshot_json, name="snapshot_json"),
    path("snapshots/<int:number>/start/", views.snapshot_start, name="snapshot_start"),
    path("compare/", compare_views.compare_page, name="compare"),
    path("submissions/", deadline_views.submissions, name="submissions"),
    path("affirmations/", deadline_views.affirmations, name="affirmations"),
    path("calendar/", deadline_views.calendar_page, name="calendar"),
    path("calendar.ics", deadline_views.calendar_ics, name="calendar_ics"),
]
