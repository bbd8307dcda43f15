"""assessments.access.get_assessment_for_user with organisations: members by role, strangers 404, anonymous grants."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from assessments.models import Answer
from orgs.models import Membership, Role
from tests.personas import make_assessment, signed_in, start_anonymous

pytestmark = pytest.mark.django_db


def _answer_post(client: Client, assessment, note: str = "changed", version: int = 1):
    return client.post(reverse("assessments:answer", args=[assessment.public_id, "3.1.1"]),
                       {"r3-1-1-status": "met", "r3-1-1-note": note, "r3-1-1-version": str(version)})


def test_every_member_can_read_an_organisation_assessment(org_people):
    assessment = make_assessment(org_people["acme"])
    for name in ("owner", "editor", "viewer"):
        response = org_people["clients"][name].get(reverse("assessments:overview", args=[assessment.public_id]))
        assert response.status_code == 200, name


def test_strangers_get_404_on_an_organisation_assessment(org_people):
    assessment = make_assessment(org_people["acme"])
    url = reverse("assessments:overview", args=[assessment.public_id])
    for name in ("other_org", "loner"):
        assert org_people["clients"][name].get(url).status_code == 404, name
    assert Client().get(url).status_code == 404


def test_an_editor_can_save_an_answer_and_a_viewer_gets_403_with_nothing_saved(org_people):
    assessment = make_assessment(org_people["acme"])
    assert _answer_post(org_people["clients"]["viewer"], assessment, note="viewer").status_code == 403
    answer = Answer.objects.get(assessment=assessment, requirement__nist_id="3.1.1")
    assert (answer.note, answer.version) == ("note for 3.1.1", 1)
    assert _answer_post(org_people["clients"]["editor"], assessment, note="editor").status_code == 302
    answer.refresh_from_db()
    assert (answer.note, answer.version) == ("editor", 2)


def test_a_removed_member_is_denied_on_the_very_next_request(org_people):
    assessment = make_assessment(org_people["acme"])
    client = org_people["clients"]["editor"]
    url = reverse("assessments:overview", args=[assessment.public_id])
    assert client.get(url).status_code == 200
    Membership.objects.filter(user=org_people["editor"]).delete()
    assert client.get(url).status_code == 404


def test_a_lowered_role_takes_effect_on_the_next_request(org_people):
    assessment = make_assessment(org_people["acme"])
    client = org_people["clients"]["editor"]
    assert _answer_post(client, assessment).status_code == 302
    Membership.objects.filter(user=org_people["editor"]).update(role=Role.VIEWER)
    assert _answer_post(client, assessment, version=2).status_code == 403


def test_a_deactivated_users_live_session_is_rejected(org_people):
    assessment = make_assessment(org_people["acme"])
    client = org_people["clients"]["owner"]
    url = reverse("assessments:overview", args=[assessment.public_id])
    assert client.get(url).status_code == 200
    get_user_model().objects.filter(pk=org_people["owner"].pk).update(is_active=False)
    assert client.get(url).status_code == 404


def test_a_member_without_a_verified_mfa_session_is_signed_out_not_let_in(org_people):
    assessment = make_assessment(org_people["acme"])
    client = signed_in(org_people["owner"], mfa=False)
    response = client.get(reverse("assessments:overview", args=[assessment.public_id]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert "_auth_user_id" not in client.session


def test_the_anonymous_flow_still_works_through_the_session_grant():
    client = Client()
    assessment = start_anonymous(client)
    assert assessment.organization is None
    assert client.get(reverse("assessments:overview", args=[assessment.public_id])).status_code == 200
    assert Client().get(reverse("assessments:overview", args=[assessment.public_id])).status_code == 404


def test_a_session_grant_does_not_open_an_organisation_assessment(org_people):
    client = Client()
    anonymous = start_anonymous(client)
    claimed = make_assessment(org_people["acme"], "Claimed")
    # Even with the very access id in the session, an organisation's assessment needs membership.
    session = client.session
    session["assessment_access"] = [str(anonymous.access_id), str(claimed.access_id)]
    session.save()
    assert client.get(reverse("assessments:overview", args=[claimed.public_id])).status_code == 404


def test_a_signed_in_member_keeps_their_anonymous_grants_too(org_people):
    # Started before signing in: signed in as an owner, a new assessment goes straight into the organisation.
    client = Client()
    anonymous = start_anonymous(client, "Side project")
    signed_in(org_people["owner"], client)
    assert client.get(reverse("assessments:overview", args=[anonymous.public_id])).status_code == 200
    anonymous.refresh_from_db()
    assert anonymous.organization is None


def test_the_answer_history_is_for_owners_and_editors_only(org_people):
    assessment = make_assessment(org_people["acme"])
    url = reverse("assessments:answer_history", args=[assessment.public_id, "3.1.1"])
    assert org_people["clients"]["owner"].get(url).status_code == 200
    assert org_people["clients"]["editor"].get(url).status_code == 200
    assert org_people["clients"]["viewer"].get(url).status_code == 403
    assert org_people["clients"]["other_org"].get(url).status_code == 404


def test_an_organisation_assessment_has_no_recovery_key_page(org_people):
    assessment = make_assessment(org_people["acme"])
    url = reverse("assessments:recovery_key", args=[assessment.public_id])
    assert org_people["clients"]["owner"].get(url).status_code == 404
    assert org_people["clients"]["owner"].post(url).status_code == 404
    assessment.refresh_from_db()
    assert assessment.recovery_key_hash == ""
    with pytest.raises(ValueError):
        assessment.set_recovery_key()
