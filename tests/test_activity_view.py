"""The activity log: who changed what and when, for owners and editors of the assessment."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.personas import make_assessment

pytestmark = pytest.mark.django_db


def test_the_log_names_who_changed_which_answer_and_how(org_people):
    assessment = make_assessment(org_people["acme"])
    org_people["clients"]["editor"].post(
        reverse("assessments:answer", args=[assessment.public_id, "3.1.2"]),
        {"r3-1-2-status": "met", "r3-1-2-note": "secret note text", "r3-1-2-version": "1"})
    body = org_people["clients"]["owner"].get(reverse("orgs:activity", args=[assessment.public_id])).content.decode()
    row = body.split("editor@acme.test", 1)[1].split("</tr>", 1)[0]
    assert "3.1.2 changed" in row and "status: not_met → met" in row and "note" in row
    assert "secret note text" not in body  # free text: that it changed, not what it says


def test_viewers_get_403_and_strangers_404(org_people):
    assessment = make_assessment(org_people["acme"])
    url = reverse("orgs:activity", args=[assessment.public_id])
    assert org_people["clients"]["editor"].get(url).status_code == 200
    assert org_people["clients"]["viewer"].get(url).status_code == 403
    assert org_people["clients"]["other_org"].get(url).status_code == 404
    assert Client().get(url).status_code == 404


def test_the_log_is_read_in_a_fixed_number_of_queries(org_people, django_assert_max_num_queries):
    assessment = make_assessment(org_people["acme"], objective_mode=True)
    client = org_people["clients"]["owner"]
    client.get(reverse("orgs:activity", args=[assessment.public_id]))
    # session, user, TOTP, assessment, membership, then answer, objective answer and settings history.
    with django_assert_max_num_queries(8):
        client.get(reverse("orgs:activity", args=[assessment.public_id]))
