from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

import assessments.views
from cmmc_site import converters  # noqa: F401  (registers <nist:…>, <public_id:…>, … before any include)

# The admin signs in through allauth too, so staff pass the same MFA step as everyone else (set before
# admin.site.urls is read below, which binds the login view).
admin.site.login = secure_admin_login(admin.site.login)

# allauth answers its rate limits with this (allauth.core.internal.ratelimit.respond_429): our page, with Retry-After.
handler429 = "accounts.views.too_many_requests"

urlpatterns = [
    path("", assessments.views.home, name="home"),
    path("controls/", include("controls.urls")),
    path("a/", include("assessments.urls")),
    path("a/<public_id:public_id>/iso27001/", include("iso27001.urls")),
    path("a/<public_id:public_id>/ssp/", include("ssp.urls")),
    path("a/<public_id:public_id>/", include("timeline.urls")),
    path("guide/", include("guidance.urls")),
    path("accounts/", include("allauth.urls")),
    path("", include("orgs.urls")),
    path("admin/", admin.site.urls),
]
