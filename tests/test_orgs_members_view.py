"""Members page, inviting, changing roles and removing members: owners only, last owner protected."""

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from orgs.models import Invitation, Membership, Role
from tests.personas import make_assessment

pytestmark = pytest.mark.django_db


def _members(org):
    return reverse("orgs:members", args=[org.public_id])


def test_every_member_sees_the_member_list_and_only_owners_see_the_controls(org_people):
    acme = org_people["acme"]
    owner_page = org_people["clients"]["owner"].get(_members(acme)).content.decode()
    viewer_page = org_people["clients"]["viewer"].get(_members(acme))
    assert viewer_page.status_code == 200
    assert "editor@acme.test" in owner_page and "editor@acme.test" in viewer_page.content.decode()
    assert "Send invitation" in owner_page and "Send invitation" not in viewer_page.content.decode()
    # Those who cannot change members are told who can.
    assert "Only owners can invite" in viewer_page.content.decode() and "Only owners can invite" not in owner_page


def test_strangers_get_404_on_the_member_list(org_people):
    url = _members(org_people["acme"])
    for name in ("other_org", "loner"):
        assert org_people["clients"][name].get(url).status_code == 404
    assert Client().get(url).status_code == 404


def test_an_owner_invites_by_email_and_only_the_hash_of_the_token_is_stored(org_people):
    acme = org_people["acme"]
    response = org_people["clients"]["owner"].post(reverse("orgs:invite", args=[acme.public_id]),
                                                   {"email": "Consultant@Example.test", "role": "viewer"})
    assert response.status_code == 302
    invitation = Invitation.objects.get(organization=acme)
    assert (invitation.email, invitation.role) == ("consultant@example.test", "viewer")
    token = mail.outbox[-1].body.split("/invitations/")[1].split("/")[0]
    assert token not in invitation.token_hash and len(invitation.token_hash) == 64
    assert mail.outbox[-1].to == ["consultant@example.test"]


def test_editors_and_viewers_cannot_invite_and_strangers_get_404(org_people):
    url = reverse("orgs:invite", args=[org_people["acme"].public_id])
    data = {"email": "x@example.test", "role": "owner"}
    assert org_people["clients"]["editor"].post(url, data).status_code == 403
    assert org_people["clients"]["viewer"].post(url, data).status_code == 403
    assert org_people["clients"]["other_org"].post(url, data).status_code == 404
    assert not Invitation.objects.exists() and not mail.outbox


def test_a_bad_invitation_shows_the_error_next_to_the_field(org_people):
    url = reverse("orgs:invite", args=[org_people["acme"].public_id])
    response = org_people["clients"]["owner"].post(url, {"email": "not an email", "role": "boss"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Enter a valid email address" in body and "not an email" in body
    assert not Invitation.objects.exists()


def test_an_owner_changes_a_role_and_it_applies_at_once(org_people):
    acme, editor = org_people["acme"], org_people["editor"]
    assessment = make_assessment(acme)
    membership = Membership.objects.get(user=editor)
    url = reverse("orgs:member_update", args=[acme.public_id, membership.pk])
    assert org_people["clients"]["owner"].post(url, {"action": "role", "role": "viewer"}).status_code == 302
    membership.refresh_from_db()
    assert membership.role == Role.VIEWER
    answer_url = reverse("assessments:answer", args=[assessment.public_id, "3.1.1"])
    assert org_people["clients"]["editor"].post(answer_url, {"r3-1-1-version": "1"}).status_code == 403


def test_a_removed_member_loses_access_on_their_next_request(org_people):
    acme = org_people["acme"]
    assessment = make_assessment(acme)
    membership = Membership.objects.get(user=org_people["viewer"])
    url = reverse("orgs:member_update", args=[acme.public_id, membership.pk])
    assert org_people["clients"]["owner"].post(url, {"action": "remove"}).status_code == 302
    assert not Membership.objects.filter(pk=membership.pk).exists()
    overview = reverse("assessments:overview", args=[assessment.public_id])
    assert org_people["clients"]["viewer"].get(overview).status_code == 404


def test_the_last_owner_can_be_neither_removed_nor_demoted(org_people):
    acme = org_people["acme"]
    membership = Membership.objects.get(user=org_people["owner"])
    url = reverse("orgs:member_update", args=[acme.public_id, membership.pk])
    for data in ({"action": "remove"}, {"action": "role", "role": "editor"}):
        response = org_people["clients"]["owner"].post(url, data)
        assert response.status_code == 400
        assert "at least one owner" in response.content.decode()
    membership.refresh_from_db()
    assert membership.role == Role.OWNER


def test_non_owners_cannot_change_members_and_other_orgs_members_are_404(org_people):
    acme, globex = org_people["acme"], org_people["globex"]
    target = Membership.objects.get(user=org_people["viewer"])
    url = reverse("orgs:member_update", args=[acme.public_id, target.pk])
    assert org_people["clients"]["editor"].post(url, {"action": "remove"}).status_code == 403
    assert org_people["clients"]["other_org"].post(url, {"action": "remove"}).status_code == 404
    # An owner of Globex naming Acme's membership under Globex's URL finds nothing either.
    cross = reverse("orgs:member_update", args=[globex.public_id, target.pk])
    assert org_people["clients"]["other_org"].post(cross, {"action": "remove"}).status_code == 404
    assert Membership.objects.filter(pk=target.pk, role=Role.VIEWER).exists()


def test_an_owner_withdraws_an_open_invitation(org_people):
    acme = org_people["acme"]
    org_people["clients"]["owner"].post(reverse("orgs:invite", args=[acme.public_id]),
                                        {"email": "c@example.test", "role": "editor"})
    invitation = Invitation.objects.get()
    url = reverse("orgs:invitation_revoke", args=[acme.public_id, invitation.pk])
    assert org_people["clients"]["editor"].post(url).status_code == 403
    assert org_people["clients"]["owner"].post(url).status_code == 302
    assert not Invitation.objects.exists()


def test_creating_an_organisation_makes_the_creator_its_owner(org_people):
    client = org_people["clients"]["loner"]
    assert client.post(reverse("orgs:create"), {"name": "  "}).status_code == 400
    assert client.post(reverse("orgs:create"), {"name": "Initech"}).status_code == 302
    membership = Membership.objects.get(user=org_people["loner"])
    assert (membership.organization.name, membership.role) == ("Initech", Role.OWNER)


def test_an_owner_over_the_invitation_limit_gets_429_with_retry_after_and_nothing_is_sent(org_people):
    from orgs.views import INVITE_LIMIT

    url = reverse("orgs:invite", args=[org_people["acme"].public_id])
    owner = org_people["clients"]["owner"]
    for n in range(INVITE_LIMIT[0]):
        assert owner.post(url, {"email": f"p{n}@example.test", "role": "viewer"}).status_code == 302
    response = owner.post(url, {"email": "one.more@example.test", "role": "viewer"})
    assert response.status_code == 429 and response["Retry-After"] == str(3600 - 30)
    assert "Too many invitations" in response.content.decode()
    assert not Invitation.objects.filter(email="one.more@example.test").exists()
    assert len(mail.outbox) == INVITE_LIMIT[0]


class RefusingMailServer:
    """An email backend whose server is down."""

    def __init__(self, *args, **kwargs) -> None:
        pass

    def send_messages(self, messages) -> int:
        import smtplib

        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


def test_when_the_invitation_email_cannot_be_sent_no_invitation_is_left_and_the_owner_is_told(org_people, settings):
    settings.MAILERS = {"default": {"BACKEND": f"{__name__}.RefusingMailServer"}}
    url = reverse("orgs:invite", args=[org_people["acme"].public_id])
    response = org_people["clients"]["owner"].post(url, {"email": "consultant@example.test", "role": "viewer"})
    assert response.status_code == 503
    assert not Invitation.objects.exists()
    assert response.context["invite_form"].errors.as_data()["__all__"][0].code == "invitation_not_sent"
    page = response.content.decode()
    assert "could not be sent, so no invitation was made" in page
    assert 'value="consultant@example.test"' in page  # what was typed is kept


def test_an_organisation_whose_stored_name_has_a_line_break_still_sends_its_invitation(org_people):
    acme = org_people["acme"]
    acme.name = "Acme\r\nBcc: everyone@example.test"  # stored before such names were refused
    acme.save()
    response = org_people["clients"]["owner"].post(reverse("orgs:invite", args=[acme.public_id]),
                                                   {"email": "consultant@example.test", "role": "viewer"})
    assert response.status_code == 302
    assert mail.outbox[-1].subject == "[CMMC Ready] You are invited to Acme Bcc: everyone@example.test"
    assert mail.outbox[-1].to == ["consultant@example.test"] and not mail.outbox[-1].bcc
    assert Invitation.objects.count() == 1


def test_the_invitation_link_is_on_the_site_url_whatever_host_and_port_the_request_named(org_people, settings):
    settings.SITE_URL = "https://cmmc.example.com"
    response = org_people["clients"]["owner"].post(reverse("orgs:invite", args=[org_people["acme"].public_id]),
                                                   {"email": "consultant@example.test", "role": "viewer"},
                                                   HTTP_HOST="testserver:6666")
    assert response.status_code == 302
    body = mail.outbox[-1].body
    assert "https://cmmc.example.com/invitations/" in body
    assert "6666" not in body and "testserver" not in body
