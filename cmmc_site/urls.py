from django.contrib import admin
from django.urls import include, path

import assessments.views
from cmmc_site import converters  # noqa: F401  (registers <nist:…>, <public_id:…>, … before any include)

urlpatterns = [
    path("", assessments.views.home, name="home"),
    path("controls/", include("controls.urls")),
    path("a/", include("assessments.urls")),
    path("admin/", admin.site.urls),
]
