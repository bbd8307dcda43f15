from django.urls import path

from . import views

app_name = "controls"
urlpatterns = [
    path("", views.catalog, name="catalog"),
    path("<nist:nist_id>/", views.requirement_detail, name="detail"),
]
