"""Accepting an invitation: GET shows it and spends nothing; POST spends it once; it expires; email must match."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from orgs.models import Invitation, Membership, Role, create_invitation
from tests.personas import make_user, signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def invited(org_people):
    invitation, token = create_invitation(organization=org_people["acme"], email="consultant@example.test",
                                          role=Role.EDITOR, invited_by=org_people["owner"])
    user = make_user("consultant@example.test")
    return {"invitation": invitation, "url": reverse("orgs:invitation", args=[token]), "user": user,
            "client": signed_in(user)}


def test_opening_the_link_twice_shows_the_invitation_and_spends_nothing(invited):
    for client in (Client(), invited["client"], invited["client"]):
        response = client.get(invited["url"])
        assert response.status_code == 200
        assert "Acme" in response.content.decode()
    invited["invitation"].refresh_from_db()
    assert invited["invitation"].accepted_at is None
    assert not Membership.objects.filter(user=invited["user"]).exists()


def test_accepting_with_a_post_makes_a_member_with_the_invited_role(invited, org_people):
    response = invited["client"].post(invited["url"])
    assert response.status_code == 302
    assert Membership.objects.get(user=invited["user"], organization=org_people["acme"]).role == Role.EDITOR
    invited["invitation"].refresh_from_db()
    assert invited["invitation"].accepted_by == invited["user"]


def test_an_invitation_is_single_use(invited):
    assert invited["client"].post(invited["url"]).status_code == 302
    latecomer = make_user("late@example.test")
    Invitation.objects.filter(pk=invited["invitation"].pk).update(email="late@example.test")
    response = signed_in(latecomer).post(invited["url"])
    assert response.status_code == 410
    assert not Membership.objects.filter(user=latecomer).exists()


def test_an_expired_invitation_cannot_be_accepted(invited):
    Invitation.objects.filter(pk=invited["invitation"].pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert invited["client"].get(invited["url"]).status_code == 410
    assert invited["client"].post(invited["url"]).status_code == 410
    assert not Membership.objects.filter(user=invited["user"]).exists()


def test_someone_signed_in_with_another_address_cannot_accept(invited, org_people):
    response = org_people["clients"]["loner"].post(invited["url"])
    assert response.status_code == 403
    assert not Membership.objects.filter(user=org_people["loner"]).exists()
    invited["invitation"].refresh_from_db()
    assert invited["invitation"].accepted_at is None


def test_an_anonymous_post_spends_nothing(invited):
    assert Client().post(invited["url"]).status_code == 403
    invited["invitation"].refresh_from_db()
    assert invited["invitation"].accepted_at is None


def test_an_unknown_or_oversized_token_is_404(org_people):
    for token in ("x" * 43, "y" * 300):
        assert Client().get(reverse("orgs:invitation", args=[token])).status_code == 404


def test_accepting_keeps_a_higher_existing_role(org_people):
    invitation, token = create_invitation(organization=org_people["acme"], email="owner@acme.test",
                                          role=Role.VIEWER, invited_by=org_people["owner"])
    response = org_people["clients"]["owner"].post(reverse("orgs:invitation", args=[token]))
    assert response.status_code == 302
    assert Membership.objects.get(user=org_people["owner"], organization=org_people["acme"]).role == Role.OWNER
