import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from assessments.access import SESSION_KEY

from .questionnaire_helpers import assert_private, html, post_answer, start, start_and_read_key, text

pytestmark = pytest.mark.django_db

RESUME = reverse("assessments:resume")


def key_error(response) -> str:
    return " ".join(text(n) for n in html(response).xpath('//*[@id="error_1_id_recovery_key"]'))


def test_the_resume_page_is_a_post_form_and_private(client):
    response = client.get(RESUME)
    assert response.status_code == 200
    forms = html(response).xpath("//main//form")
    assert [f.get("method") for f in forms] == ["post"]
    assert forms[0].xpath(".//input[@name='recovery_key']")
    assert_private(response)


def test_the_key_opens_the_assessment_with_every_answer_in_another_browser(client):
    assessment, key = start_and_read_key(client)
    post_answer(client, assessment, "3.1.1", status="not_met", note="Contractors share one login")
    laptop = Client()
    overview = reverse("assessments:overview", args=[assessment.public_id])
    assert laptop.get(overview).status_code == 404
    response = laptop.post(RESUME, {"recovery_key": key})
    assert response.status_code == 302 and response["Location"] == overview
    assert key not in response["Location"]
    assert_private(response)
    assert laptop.get(overview).status_code == 200
    family = laptop.get(reverse("assessments:family", args=[assessment.public_id, "AC"]))
    assert "Contractors share one login" in family.content.decode()


def test_the_key_may_be_typed_in_lower_case_with_spaces_and_without_dashes(client):
    assessment, key = start_and_read_key(client)
    sloppy = "  " + key.lower().replace("-", " ") + " "
    assert Client().post(RESUME, {"recovery_key": sloppy}).status_code == 302


def test_resuming_rotates_the_session_id_and_keeps_other_grants():
    phone = Client()
    mine = start(phone, "Mine")
    before = phone.session.session_key
    owner = Client()
    theirs, key = start_and_read_key(owner, "Shared")
    assert phone.post(RESUME, {"recovery_key": key}).status_code == 302
    session = phone.session
    assert session.session_key != before
    assert phone.cookies[settings.SESSION_COOKIE_NAME].value == session.session_key
    assert {str(mine.access_id), str(theirs.access_id)} <= set(session[SESSION_KEY])


def test_a_wrong_key_is_refused_with_a_clear_message_at_the_field(client):
    assessment, key = start_and_read_key(client)
    wrong = ("A" if key[0] != "A" else "B") + key[1:]
    laptop = Client()
    response = laptop.post(RESUME, {"recovery_key": wrong})
    assert response.status_code == 400
    assert "No assessment has this key" in key_error(response)
    # What was typed stays in the field to be corrected.
    assert html(response).xpath("//input[@name='recovery_key']/@value") == [wrong]
    assert laptop.get(reverse("assessments:overview", args=[assessment.public_id])).status_code == 404


@pytest.mark.parametrize("typed", ["", "ABCD-EFGH", "ABCD-" * 9, "x\x00y"])
def test_a_malformed_key_is_refused_with_a_message_at_the_field(client, typed):
    response = client.post(RESUME, {"recovery_key": typed})
    assert response.status_code == 400
    assert key_error(response)
    assert SESSION_KEY not in client.session


def test_a_key_in_the_query_string_is_ignored(client):
    assessment, key = start_and_read_key(client)
    laptop = Client()
    response = laptop.get(RESUME, {"recovery_key": key})
    assert response.status_code == 200
    assert laptop.get(reverse("assessments:overview", args=[assessment.public_id])).status_code == 404


def test_other_methods_are_refused(client):
    assert client.put(RESUME).status_code == 405
