"""Claiming: signing in while holding anonymous assessments offers to move them into an organisation; every answer
survives, and afterwards neither the session grant nor the recovery key reaches them."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from assessments.forms import ObjectiveAnswerForm
from assessments.models import Answer, Assessment, ObjectiveAnswer
from orgs.models import Membership, Role
from tests.personas import PASSWORD, make_org, make_user, signed_in, start_anonymous, totp_now

pytestmark = pytest.mark.django_db


def _start_and_answer(client: Client, name: str = "Acme") -> tuple[Assessment, str]:
    client.post(reverse("assessments:start"), {"organization_name": name, "target_level": "l2", "scope": "enterprise",
                                               "has_ssp": "yes", "objective_mode": "on"})
    assessment = Assessment.objects.get(organization_name=name)
    page = client.get(reverse("assessments:recovery_key", args=[assessment.public_id])).content.decode()
    key = re.search(r'id="recovery-key">([A-Z0-9-]+)<', page).group(1)
    answer_url = reverse("assessments:answer", args=[assessment.public_id, "3.5.3"])
    client.post(answer_url, {"r3-5-3-status": "partial", "r3-5-3-note": "MFA for admins only", "r3-5-3-version": "0"})
    client.post(answer_url, {"r3-5-3-status": "partial", "r3-5-3-note": "MFA rollout planned",
                             "r3-5-3-evidence": "IT-12", "r3-5-3-version": "1"})
    form = ObjectiveAnswerForm(objective_id="3.1.1[a]")
    client.post(reverse("assessments:objective", args=[assessment.public_id, "3.1.1[a]"]),
                {form.add_prefix("status"): "met", form.add_prefix("version"): "0"})
    return assessment, key


def _snapshot(assessment: Assessment) -> dict:
    return {
        "answers": sorted(Answer.objects.filter(assessment=assessment).values_list(
            "requirement__nist_id", "status", "note", "evidence", "version")),
        "objectives": sorted(ObjectiveAnswer.objects.filter(assessment=assessment).values_list(
            "objective__objective_id", "status", "version")),
        "history": Answer.history.filter(assessment_id=assessment.pk).count(),
    }


def _sign_in(client: Client, user) -> None:
    client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    client.post(reverse("mfa_authenticate"), {"code": totp_now(user)})
    assert "_auth_user_id" in client.session


@pytest.fixture
def member():
    user = make_user("owner@acme.test")
    return user, make_org("Acme Inc", owner=[user])


def test_signing_in_with_anonymous_assessments_offers_to_claim_them(member):
    user, org = member
    client = Client()
    assessment, _ = _start_and_answer(client)
    _sign_in(client, user)
    assert client.get(reverse("orgs:after_login"))["Location"] == reverse("orgs:claim")
    page = client.get(reverse("orgs:claim"))
    assert page.status_code == 200
    body = page.content.decode()
    assert assessment.public_id in body and "Acme Inc" in body


def test_claiming_keeps_every_answer_and_ends_anonymous_access(member):
    user, org = member
    client = Client()
    assessment, key = _start_and_answer(client)
    before = _snapshot(assessment)
    assert before["answers"] and before["objectives"] and before["history"] >= 3
    old_access = assessment.access_id

    _sign_in(client, user)
    response = client.post(reverse("orgs:claim"), {"assessments": [assessment.public_id],
                                                   "organization": org.public_id})
    assert response.status_code == 302

    assessment.refresh_from_db()
    assert assessment.organization == org
    assert assessment.access_id != old_access and assessment.recovery_key_hash == ""
    assert _snapshot(assessment) == before
    overview = reverse("assessments:overview", args=[assessment.public_id])
    assert client.get(overview).status_code == 200  # now as a member
    assert Client().post(reverse("assessments:resume"), {"recovery_key": key}).status_code == 400
    anonymous = Client()
    session = anonymous.session
    session["assessment_access"] = [str(old_access)]
    session.save()
    assert anonymous.get(overview).status_code == 404


def test_claiming_into_a_new_organisation_creates_it_with_the_user_as_owner():
    user = make_user("solo@example.test")
    client = Client()
    assessment, _ = _start_and_answer(client, "Solo LLC")
    _sign_in(client, user)
    response = client.post(reverse("orgs:claim"), {"assessments": [assessment.public_id], "organization": "new",
                                                   "new_name": "Solo LLC"})
    assert response.status_code == 302
    membership = Membership.objects.get(user=user)
    assert (membership.organization.name, membership.role) == ("Solo LLC", Role.OWNER)
    assessment.refresh_from_db()
    assert assessment.organization == membership.organization


def test_claiming_needs_a_name_for_a_new_organisation_and_keeps_the_choice():
    user = make_user("solo@example.test")
    client = Client()
    assessment, _ = _start_and_answer(client, "Solo LLC")
    _sign_in(client, user)
    response = client.post(reverse("orgs:claim"), {"assessments": [assessment.public_id], "organization": "new"})
    assert response.status_code == 400
    assert "Enter the new organisation" in response.content.decode()
    assessment.refresh_from_db()
    assert assessment.organization is None


def test_a_viewer_cannot_claim_into_an_organisation_and_nothing_moves(org_people):
    client = org_people["clients"]["viewer"]
    client.post(reverse("assessments:start"), {"organization_name": "Mine", "target_level": "l2",
                                               "scope": "enterprise", "has_ssp": "yes"})
    assessment = Assessment.objects.get(organization_name="Mine")
    response = client.post(reverse("orgs:claim"), {"assessments": [assessment.public_id],
                                                   "organization": org_people["acme"].public_id})
    assert response.status_code == 400
    assessment.refresh_from_db()
    assert assessment.organization is None


def test_an_assessment_held_by_another_session_cannot_be_claimed(org_people):
    foreign = Client()
    foreign.post(reverse("assessments:start"), {"organization_name": "Theirs", "target_level": "l2",
                                                "scope": "enterprise", "has_ssp": "yes"})
    theirs = Assessment.objects.get(organization_name="Theirs")
    # The owner's browser holds an anonymous assessment of its own, started before signing in (signed in as an
    # owner, a new assessment goes straight into the organisation).
    client = Client()
    start_anonymous(client, "Mine")
    signed_in(org_people["owner"], client)
    response = client.post(reverse("orgs:claim"), {"assessments": [theirs.public_id],
                                                   "organization": org_people["acme"].public_id})
    assert response.status_code == 400
    theirs.refresh_from_db()
    assert theirs.organization is None


def test_with_nothing_to_claim_the_page_sends_to_the_dashboard(org_people):
    response = org_people["clients"]["owner"].get(reverse("orgs:claim"))
    assert response["Location"] == reverse("orgs:dashboard")
    assert Client().get(reverse("orgs:claim")).status_code == 302
