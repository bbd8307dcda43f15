from django.urls import path, register_converter

from . import views


class NistIdConverter:
    regex = r"3\.\d{1,2}\.\d{1,2}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(NistIdConverter, "nist")

app_name = "controls"
urlpatterns = [
    path("", views.catalog, name="catalog"),
    path("<nist:nist_id>/", views.requirement_detail, name="detail"),
]
