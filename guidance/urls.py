from django.urls import path

from . import views

app_name = "guidance"
urlpatterns = [
    path("", views.index, name="index"),
    path("do-i-need-cmmc/", views.do_i_need_cmmc, name="do_i_need_cmmc"),
    path("cmmc-vs-iso-27001/", views.cmmc_vs_iso, name="cmmc_vs_iso"),
    path("nist-800-171-vs-cmmc/", views.nist_vs_cmmc, name="nist_vs_cmmc"),
    path("sprs-score/", views.sprs_score, name="sprs_score"),
]
