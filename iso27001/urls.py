from django.urls import path

from . import views

app_name = "iso27001"
urlpatterns = [
    path("", views.head_start, name="head_start"),
    path("summary/", views.summary, name="summary"),
    path("remove/", views.remove, name="remove"),
]
