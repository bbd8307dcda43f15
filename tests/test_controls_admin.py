import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.auth import get_user_model
from django.urls import reverse

from controls.models import Requirement
from tests.personas import make_user, signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    user = get_user_model().objects.create_superuser("editor", "editor@example.com", "a long staff passphrase")
    # Staff need MFA like everyone else (accounts/middleware.py): an enrolled TOTP and a session that passed it.
    TOTP.activate(user, generate_totp_secret())
    signed_in(user, client)
    return user


def _change_form(requirement: Requirement, text: str) -> dict:
    objectives = list(requirement.objectives.all())
    data = {
        "cmmc_title": requirement.cmmc_title,
        "text": text,
        "partial_condition": requirement.partial_condition,
        "not_met_condition": requirement.not_met_condition,
        "poam_rule": requirement.poam_rule,
        "methodology_comment": requirement.methodology_comment,
        "objectives-TOTAL_FORMS": len(objectives),
        "objectives-INITIAL_FORMS": len(objectives),
        "objectives-MIN_NUM_FORMS": 0,
        "objectives-MAX_NUM_FORMS": 1000,
    }
    for i, obj in enumerate(objectives):
        data[f"objectives-{i}-id"] = obj.pk
        data[f"objectives-{i}-requirement"] = requirement.pk
        data[f"objectives-{i}-text"] = obj.text
    return data


def test_staff_edit_in_admin_records_who_when_old_and_new_text(client, staff):
    req = Requirement.objects.get(nist_id="3.1.1")
    old = req.text
    url = reverse("admin:controls_requirement_change", args=[req.pk])
    response = client.post(url, _change_form(req, "Limit access to authorised people only."))
    assert response.status_code == 302, response.content.decode()[:2000]
    latest, previous = req.history.all()[:2]
    assert latest.history_user == staff
    assert latest.text == "Limit access to authorised people only."
    assert previous.text == old
    assert latest.history_date is not None
    history = client.get(reverse("admin:controls_requirement_history", args=[req.pk]))
    assert history.status_code == 200 and "editor" in history.content.decode()


def test_staff_can_revert_to_an_earlier_version(client, staff):
    req = Requirement.objects.get(nist_id="3.1.2")
    old = req.text
    client.post(reverse("admin:controls_requirement_change", args=[req.pk]), _change_form(req, "Wrong edit."))
    original = req.history.order_by("history_date").first()
    revert_url = reverse("admin:controls_requirement_simple_history", args=[req.pk, original.history_id])
    assert client.get(revert_url).status_code == 200
    response = client.post(revert_url, _change_form(req, old))
    assert response.status_code == 302
    assert Requirement.objects.get(pk=req.pk).text == old


def test_scoring_facts_are_read_only_in_the_admin(client, staff):
    req = Requirement.objects.get(nist_id="3.5.3")
    data = _change_form(req, req.text) | {"points": 1, "poam_eligibility": "yes"}
    client.post(reverse("admin:controls_requirement_change", args=[req.pk]), data)
    req.refresh_from_db()
    assert req.points == 5 and req.poam_eligibility == "no"


def test_admin_changelist_filters_and_search(client, staff):
    url = reverse("admin:controls_requirement_changelist")
    assert "44 requirements" in client.get(url, {"points": 5}).content.decode()
    assert "17 requirements" in client.get(url, {"level1": "yes"}).content.decode()
    assert "3.5.3" in client.get(url, {"q": "multifactor"}).content.decode()


def test_non_staff_cannot_open_the_admin(client):
    signed_in(make_user("visitor@example.test"), client)  # a signed-in, MFA-verified, non-staff account
    response = client.get(reverse("admin:controls_requirement_changelist"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
