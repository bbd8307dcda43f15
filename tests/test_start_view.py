import base64

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from assessments.access import SESSION_KEY
from assessments.models import Answer, Assessment, score_assessment

from .questionnaire_helpers import INTAKE, assert_private, html, start, text

pytestmark = pytest.mark.django_db


def field_error(doc, name: str) -> str:
    """The error crispy shows under the field ``name``."""
    nodes = doc.xpath(f'//*[@id="error_1_id_{name}"]')
    return " ".join(text(n) for n in nodes)


def test_the_start_page_needs_no_account_and_is_private(client):
    response = client.get(reverse("assessments:start"))
    assert response.status_code == 200
    doc = html(response)
    names = set(doc.xpath("//main//form[@method='post']//*[@name]/@name"))
    assert {"organization_name", "target_level", "scope", "cage_codes", "employee_count", "has_ssp"} <= names
    assert "No account needed" in text(doc.xpath("//main")[0])
    assert_private(response)


def test_starting_creates_the_assessment_and_only_this_browser_can_open_it(client):
    assessment = start(client)
    overview = reverse("assessments:overview", args=[assessment.public_id])
    assert client.get(overview).status_code == 200
    assert Client().get(overview).status_code == 404  # no link: a fresh browser
    other = Client()
    start(other, "Other Co")
    assert other.get(overview).status_code == 404  # outsider: has an assessment, not this one


def test_starting_redirects_to_the_recovery_key_page_without_any_secret_in_the_url(client):
    response = client.post(reverse("assessments:start"), INTAKE)
    assessment = Assessment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("assessments:recovery_key", args=[assessment.public_id])
    assert str(assessment.access_id) not in response["Location"]
    assert_private(response)


def test_the_public_id_has_at_least_128_random_bits_and_is_not_the_primary_key(client):
    first, second = start(client, "First"), start(client, "Second")
    for assessment in (first, second):
        raw = base64.urlsafe_b64decode(assessment.public_id + "=" * (-len(assessment.public_id) % 4))
        assert len(raw) * 8 >= 128
        assert assessment.public_id != str(assessment.pk)
        assert str(assessment.pk) not in reverse("assessments:overview", args=[assessment.public_id]).split("/")
    assert first.public_id != second.public_id


def test_the_access_id_that_grants_access_stays_on_the_server(client):
    response = client.post(reverse("assessments:start"), INTAKE, follow=True)
    assessment = Assessment.objects.get()
    secret = str(assessment.access_id)
    assert secret not in response.content.decode()
    assert all(secret not in morsel.value for morsel in client.cookies.values())
    # It lives in the server-side session only.
    assert secret in client.session[SESSION_KEY]


def test_the_ssp_question_sets_3_12_4_and_without_an_ssp_there_is_no_score(client):
    with_ssp = start(client, "With SSP", has_ssp="yes")
    without = start(client, "Without SSP", has_ssp="no")
    assert Answer.objects.get(assessment=with_ssp, requirement__nist_id="3.12.4").status == "met"
    assert Answer.objects.get(assessment=without, requirement__nist_id="3.12.4").status == "not_met"
    assert score_assessment(without).score is None
    # A blank assessment never shows a flattering score: the 109 unanswered count as not met.
    assert score_assessment(with_ssp).score == 110 - 313
    assert len(score_assessment(with_ssp).unanswered) == 109


def test_a_bad_cage_code_is_named_at_the_field_and_everything_typed_is_kept(client):
    data = INTAKE | {"organization_name": "Acme Widgets", "scope": "enclave", "cage_codes": "1abc2, TOOLONG7 x",
                     "employee_count": "42"}
    response = client.post(reverse("assessments:start"), data)
    assert response.status_code == 400
    doc = html(response)
    error = field_error(doc, "cage_codes")
    assert "TOOLONG7" in error and "X" in error and "1ABC2" not in error
    assert doc.xpath("//input[@name='cage_codes']/@value") == ["1abc2, TOOLONG7 x"]
    assert doc.xpath("//input[@name='cage_codes']/@aria-invalid") == ["true"]
    assert doc.xpath("//input[@name='organization_name']/@value") == ["Acme Widgets"]
    assert doc.xpath("//input[@name='employee_count']/@value") == ["42"]
    assert doc.xpath("//input[@name='scope'][@checked]/@value") == ["enclave"]
    assert doc.xpath("//input[@name='has_ssp'][@checked]/@value") == ["yes"]
    assert not Assessment.objects.exists()


def test_the_organisation_name_is_required_with_the_message_at_the_field(client):
    response = client.post(reverse("assessments:start"), INTAKE | {"organization_name": "   ", "cage_codes": "1ABC2"})
    assert response.status_code == 400
    doc = html(response)
    assert "Enter your organisation's name." in field_error(doc, "organization_name")
    assert doc.xpath("//input[@name='cage_codes']/@value") == ["1ABC2"]
    assert not Assessment.objects.exists()


def test_cage_codes_are_normalised_and_deduplicated(client):
    assessment = start(client, cage_codes="1abc2, 1ABC2 ;3def4")
    assert assessment.cage_codes == "1ABC2 3DEF4"


def test_a_level_1_target_is_kept(client):
    assessment = start(client, target_level="l1")
    assert assessment.target_level == "l1"
    assert score_assessment(assessment).total == 17


def test_an_empty_post_is_a_form_error_not_a_new_assessment(client):
    response = client.post(reverse("assessments:start"), {})
    assert response.status_code == 400
    assert field_error(html(response), "organization_name")
    assert not Assessment.objects.exists()


def test_other_methods_are_refused(client):
    assert client.put(reverse("assessments:start")).status_code == 405
    assert not Assessment.objects.exists()


def test_starting_rotates_the_session_id(client):
    client.get(reverse("assessments:start"))
    client.session.save()  # a session exists before the start, as a planted one would
    before = client.session.session_key
    start(client)
    assert client.session.session_key != before


def test_the_grant_survives_signing_in_as_a_new_user(client):
    # Claiming an anonymous assessment after signing in relies on this: Django's login() rotates the session id
    # but keeps its data when the session had no user before.
    assessment = start(client)
    before = client.session.session_key
    user = get_user_model().objects.create_user(username="new@example.com", email="new@example.com",
                                                password="a long enough passphrase 42")
    assert client.login(username="new@example.com", password="a long enough passphrase 42")
    session = client.session
    assert session.session_key != before
    assert str(assessment.access_id) in session[SESSION_KEY]
    assert str(session["_auth_user_id"]) == str(user.pk)
    assert client.cookies[settings.SESSION_COOKIE_NAME].value == session.session_key
