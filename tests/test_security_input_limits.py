"""Input limits (check 13) on the account and organisation forms: a clear 400, never a partial save."""

import lxml.html
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


@pytest.mark.parametrize("name", ["Acme\r\nBcc: everyone@example.test", "Acme\nEvil", "Acme\tCorp", "Acme\x1bCorp",
                                  "Acme\u2028Corp", "Acme\u202eproC"])
def test_line_breaks_and_other_control_characters_in_an_organisation_name_are_refused_next_to_the_field(
        org_people, name):
    response = org_people["clients"]["loner"].post(reverse("orgs:create"), {"name": name})
    assert response.status_code == 400
    error = response.context["form"].errors.as_data()["name"][0]
    assert error.code == "control_characters"
    doc = lxml.html.fromstring(response.content)
    assert "control characters" in " ".join(doc.xpath('//*[contains(@class, "invalid-feedback")]//text()'))
    # Nothing typed is lost (an HTML parser reads CR LF as LF, as a browser does).
    assert doc.xpath('//input[@name="name"]/@value') == [name.replace("\r\n", "\n")]
    assert not Organization.objects.filter(name__startswith="Acme").exclude(pk=org_people["acme"].pk).exists()


def test_an_ordinary_name_with_accents_ampersands_and_emoji_is_accepted(org_people):
    response = org_people["clients"]["loner"].post(reverse("orgs:create"), {"name": "  Müller & Söhne GmbH 🛡️ "})
    assert response.status_code == 302
    assert Organization.objects.filter(name="Müller & Söhne GmbH 🛡️").exists()


def test_a_new_organisation_named_while_claiming_is_refused_with_a_line_break():
    from tests.personas import make_user, signed_in, start_anonymous

    client = signed_in(make_user("solo@example.test"))
    assessment = start_anonymous(client, "Solo LLC")
    response = client.post(reverse("orgs:claim"), {"assessments": [assessment.public_id], "organization": "new",
                                                   "new_name": "Solo\r\nLLC"})
    assert response.status_code == 400
    assert response.context["form"].errors.as_data()["new_name"][0].code == "control_characters"
    assert not Organization.objects.filter(name__startswith="Solo").exists()
