"""Input limits (check 13) on the account and organisation forms: a clear 400, never a partial save."""

import pytest
from django.test import Client
from django.urls import reverse

from orgs.models import Invitation, Organization

pytestmark = pytest.mark.django_db


def test_an_organisation_name_above_its_cap_is_a_400_with_a_message_and_nothing_saved(org_people):
    response = org_people["clients"]["loner"].post(reverse("orgs:create"), {"name": "x" * 201})
    assert response.status_code == 400
    assert "at most 200 characters" in response.content.decode()
    assert not Organization.objects.filter(name__startswith="xxx").exists()


def test_an_unknown_role_is_a_400_and_nothing_is_sent(org_people):
    response = org_people["clients"]["owner"].post(reverse("orgs:invite", args=[org_people["acme"].public_id]),
                                                   {"email": "c@example.test", "role": "superuser"})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not Invitation.objects.exists()


def test_an_address_above_254_characters_is_a_400(org_people):
    response = org_people["clients"]["owner"].post(reverse("orgs:invite", args=[org_people["acme"].public_id]),
                                                   {"email": "a" * 250 + "@example.test", "role": "viewer"})
    assert response.status_code == 400
    assert not Invitation.objects.exists()


def test_a_body_above_the_upload_limit_is_a_400_not_a_500(org_people, settings):
    big = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = Client(raise_request_exception=False).post(reverse("account_login"),
                                                          {"login": "a@example.test", "password": big})
    assert response.status_code == 400
    response = org_people["clients"]["loner"].post(reverse("orgs:create"), {"name": big})
    assert response.status_code == 400
    assert not Organization.objects.filter(name=big).exists()


def test_nul_bytes_in_an_organisation_name_are_refused_not_stored(org_people):
    response = org_people["clients"]["loner"].post(reverse("orgs:create"), {"name": "Acme\x00Evil"})
    assert response.status_code == 400
    assert not Organization.objects.filter(name__contains="Evil").exists()
