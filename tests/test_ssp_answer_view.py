"""assessments:ssp_answer, the button "Mark 3.12.4 (System Security Plan) as met" of the SSP prompts: editors and
owners write the answer through the model layer; viewers get 403, strangers 404; it goes back only on-site."""

import pytest
from django.test import Client
from django.urls import reverse

from assessments.models import Answer, Assessment

from .personas import make_assessment
from .questionnaire_helpers import assert_private, html, outsider, start, text

pytestmark = pytest.mark.django_db


def url(assessment: Assessment) -> str:
    return reverse("assessments:ssp_answer", args=[assessment.public_id])


def ssp_answer(assessment: Assessment) -> Answer:
    return Answer.objects.get(assessment=assessment, requirement__nist_id="3.12.4")


@pytest.fixture
def org_assessment(org_people) -> Assessment:
    return make_assessment(org_people["acme"], answers={"3.12.4": "not_met", "3.1.1": "met"})


def test_the_holder_marks_3_12_4_met_and_goes_back_where_the_button_was(client):
    assessment = start(client, has_ssp="no")
    back = reverse("ssp:overview", args=[assessment.public_id])
    response = client.post(url(assessment), {"next": back})
    assert response.status_code == 302 and response["Location"] == back
    assert_private(response)
    answer = ssp_answer(assessment)
    assert (answer.status, answer.version) == ("met", 2)
    assert list(answer.history.order_by("history_date").values_list("status", flat=True)) == ["not_met", "met"]
    page = html(client.get(back))
    assert "3.12.4 (System Security Plan) is marked met. Your SPRS score: -203." in text(page)


@pytest.mark.parametrize("role", ["owner", "editor"])
def test_an_owner_or_editor_marks_it_met(org_people, org_assessment, role):
    response = org_people["clients"][role].post(url(org_assessment))
    assert response.status_code == 302
    assert response["Location"] == reverse("assessments:overview", args=[org_assessment.public_id])
    assert ssp_answer(org_assessment).status == "met"


def test_a_viewer_gets_403_and_nothing_changes(org_people, org_assessment):
    response = org_people["clients"]["viewer"].post(url(org_assessment))
    assert response.status_code == 403
    assert (ssp_answer(org_assessment).status, ssp_answer(org_assessment).version) == ("not_met", 1)


@pytest.mark.parametrize("who", ["other_org", "loner"])
def test_a_stranger_gets_404_and_nothing_changes(org_people, org_assessment, who):
    for method in ("get", "post"):
        assert getattr(org_people["clients"][who], method)(url(org_assessment)).status_code == 404
    assert ssp_answer(org_assessment).status == "not_met"


def test_an_outsider_and_no_link_get_404_for_an_anonymous_assessment(client):
    assessment = start(client, has_ssp="no")
    for stranger in (outsider(), Client()):
        for method in ("get", "post", "put", "delete"):
            assert getattr(stranger, method)(url(assessment)).status_code == 404
    assert ssp_answer(assessment).status == "not_met"


def test_get_is_not_allowed_and_writes_nothing(client):
    assessment = start(client, has_ssp="no")
    assert client.get(url(assessment)).status_code == 405
    assert ssp_answer(assessment).status == "not_met"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)",
                                    "http://testserver.evil.example/", "overview", "\\\\evil.example"])
def test_a_next_that_leaves_the_site_goes_to_the_overview_instead(client, target):
    assessment = start(client, has_ssp="no")
    response = client.post(url(assessment), {"next": target})
    assert response["Location"] == reverse("assessments:overview", args=[assessment.public_id])
    assert ssp_answer(assessment).status == "met"


def test_marking_it_met_again_adds_no_version(client):
    assessment = start(client)  # "we have an SSP" at the start
    client.post(url(assessment))
    answer = ssp_answer(assessment)
    assert (answer.status, answer.version, answer.history.count()) == ("met", 1, 1)
