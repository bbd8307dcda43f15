"""Mass assignment (check 16): extra fields posted to account and organisation forms change nothing."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from assessments.models import Assessment
from orgs.models import Invitation, Membership, Organization, Role
from tests.personas import make_assessment

pytestmark = pytest.mark.django_db
EXTRA = {"owner": "1", "organization": "1", "organisation": "1", "version": "99", "is_staff": "on",
         "is_superuser": "on", "public_id": "AAAAAAAAAAAAAAAAAAAAAA", "access_id": "1", "role": "owner",
         "recovery_key_hash": "0" * 64, "user": "1", "invited_by": "1", "accepted_at": "2020-01-01"}


def test_signup_ignores_staff_and_superuser_flags():
    password = "a long enough passphrase"
    Client().post(reverse("account_signup"), EXTRA | {"email": "new@example.test", "password1": password,
                                                      "password2": password})
    user = get_user_model().objects.get(email="new@example.test")
    assert not user.is_staff and not user.is_superuser


def test_starting_an_assessment_ignores_organisation_and_ids(org_people):
    client = Client()
    client.post(reverse("assessments:start"), EXTRA | {
        "organization": str(org_people["acme"].pk), "organization_name": "Sneaky", "target_level": "l2",
        "scope": "enterprise", "has_ssp": "yes"})
    assessment = Assessment.objects.get(organization_name="Sneaky")
    assert assessment.organization is None and assessment.public_id != EXTRA["public_id"]


def test_an_anonymous_start_naming_an_organisations_public_id_stays_anonymous(org_people):
    client = Client()
    response = client.post(reverse("assessments:start"), EXTRA | {
        "organization": org_people["acme"].public_id, "organization_name": "Sneaky", "target_level": "l2",
        "scope": "enterprise", "has_ssp": "yes"})
    assessment = Assessment.objects.get(organization_name="Sneaky")
    assert response["Location"] == reverse("assessments:recovery_key", args=[assessment.public_id])
    assert assessment.organization is None
    assert org_people["clients"]["owner"].get(reverse("assessments:overview", args=[assessment.public_id])
                                              ).status_code == 404


def test_starting_in_an_organisation_takes_only_the_chosen_organisation(org_people):
    acme = org_people["acme"]
    org_people["clients"]["editor"].post(reverse("assessments:start"), EXTRA | {
        "organization": acme.public_id, "organization_name": "Member Co", "target_level": "l2",
        "scope": "enterprise", "has_ssp": "yes"})
    assessment = Assessment.objects.get(organization_name="Member Co")
    assert assessment.organization == acme
    assert assessment.public_id != EXTRA["public_id"] and assessment.recovery_key_hash == ""


def test_assessment_settings_cannot_move_an_assessment_to_another_organisation(org_people):
    assessment = make_assessment(org_people["acme"])
    org_people["clients"]["owner"].post(reverse("assessments:edit", args=[assessment.public_id]), EXTRA | {
        "organization": str(org_people["globex"].pk), "organization_name": "Acme", "target_level": "l2",
        "scope": "enterprise", "has_ssp": "yes"})
    assessment.refresh_from_db()
    assert assessment.organization == org_people["acme"]
    assert assessment.public_id != EXTRA["public_id"] and assessment.recovery_key_hash == ""


def test_creating_an_organisation_takes_only_its_name(org_people):
    org_people["clients"]["loner"].post(reverse("orgs:create"), EXTRA | {"name": "Initech"})
    org = Organization.objects.get(name="Initech")
    assert org.public_id != EXTRA["public_id"]
    assert list(Membership.objects.filter(organization=org).values_list("user__email", "role")) == [
        ("bob@example.test", Role.OWNER)]


def test_an_invitation_takes_only_email_and_role(org_people):
    acme = org_people["acme"]
    org_people["clients"]["owner"].post(reverse("orgs:invite", args=[acme.public_id]),
                                        EXTRA | {"email": "c@example.test", "role": "viewer"})
    invitation = Invitation.objects.get()
    assert invitation.role == Role.VIEWER and invitation.accepted_at is None
    assert invitation.invited_by == org_people["owner"] and invitation.organization == acme


def test_a_claim_cannot_name_an_organisation_the_user_may_not_write_to(org_people):
    client = org_people["clients"]["viewer"]
    client.post(reverse("assessments:start"), {"organization_name": "Mine", "target_level": "l2",
                                               "scope": "enterprise", "has_ssp": "yes"})
    mine = Assessment.objects.get(organization_name="Mine")
    client.post(reverse("orgs:claim"), EXTRA | {"assessments": [mine.public_id],
                                                "organization": org_people["globex"].public_id})
    mine.refresh_from_db()
    assert mine.organization is None
