from django.urls import path

from . import views

app_name = "orgs"
urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("welcome/", views.after_login, name="after_login"),
    path("claim/", views.claim, name="claim"),
    path("orgs/new/", views.organization_create, name="create"),
    path("orgs/<public_id:org_id>/members/", views.members, name="members"),
    path("orgs/<public_id:org_id>/invite/", views.invite, name="invite"),
    path("orgs/<public_id:org_id>/members/<int:membership_id>/", views.member_update, name="member_update"),
    path("orgs/<public_id:org_id>/invitations/<int:invitation_id>/revoke/", views.invitation_revoke,
         name="invitation_revoke"),
    path("invitations/<str:token>/", views.invitation, name="invitation"),
    path("a/<public_id:public_id>/duplicate/", views.duplicate, name="duplicate"),
    path("a/<public_id:public_id>/delete/", views.delete, name="delete"),
    path("a/<public_id:public_id>/activity/", views.activity, name="activity"),
]
