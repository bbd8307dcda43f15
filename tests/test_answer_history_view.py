from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from assessments.models import Assessment, today

from .questionnaire_helpers import assert_private, html, outsider, post_answer, post_objective, start, text

pytestmark = pytest.mark.django_db


def history_url(assessment: Assessment, nist_id: str = "3.1.1") -> str:
    return reverse("assessments:answer_history", args=[assessment.public_id, nist_id])


def rows(doc, testid: str) -> list[list[str]]:
    return [[text(td) for td in tr.xpath("td")] for tr in doc.xpath(f"//table[@data-testid='{testid}']/tbody/tr")]


def test_every_saved_change_is_listed_newest_first_with_every_field(client):
    assessment = start(client)
    planned = today() + timedelta(days=90)
    post_answer(client, assessment, "3.1.1", status="not_met", note="Shared logins", responsible="Pat",
                planned_date=planned.isoformat())
    post_answer(client, assessment, "3.1.1", status="na", justification="Single-person company", evidence="SSP 2.1")
    post_answer(client, assessment, "3.1.1", status="met", note="Named accounts since May")
    response = client.get(history_url(assessment))
    assert response.status_code == 200
    found = rows(html(response), "answer-history")
    assert [r[1:] for r in found] == [
        ["3", "Met", "", "Named accounts since May", "", "", ""],
        ["2", "Not applicable", "Single-person company", "", "SSP 2.1", "", ""],
        ["1", "Not met", "", "Shared logins", "", "Pat", planned.isoformat()],
    ]
    assert_private(response)


def test_a_refused_save_leaves_no_trace_in_the_history(client):
    assessment = start(client)
    post_answer(client, assessment, "3.1.1", status="met")
    assert post_answer(client, assessment, "3.1.1", status="na", justification="").status_code == 422
    assert post_answer(client, assessment, "3.1.1", version=0, status="not_met").status_code == 409
    assert [r[2] for r in rows(html(client.get(history_url(assessment))), "answer-history")] == ["Met"]


def test_an_unanswered_requirement_says_so_and_links_back_to_the_question(client):
    assessment = start(client)
    doc = html(client.get(history_url(assessment)))
    assert rows(doc, "answer-history") == [["Not answered yet."]]
    back = reverse("assessments:family", args=[assessment.public_id, "AC"]) + "#req-3.1.1"
    assert doc.xpath(f"//a[@href='{back}']")


def test_objective_answers_have_their_history_too(client):
    assessment = start(client, objective_mode="on")
    post_objective(client, assessment, "3.1.1[a]", "met")
    post_objective(client, assessment, "3.1.1[a]", "not_met", version=1)
    post_objective(client, assessment, "3.1.2[a]", "met")  # another requirement: not listed
    found = rows(html(client.get(history_url(assessment))), "objective-history")
    assert [r[1:] for r in found] == [["3.1.1[a]", "2", "Not met"], ["3.1.1[a]", "1", "Met"]]


def test_a_level_1_assessment_has_no_history_outside_its_practices(client):
    assessment = start(client, target_level="l1")
    assert client.get(history_url(assessment, "3.1.3")).status_code == 404
    assert client.get(history_url(assessment, "3.1.1")).status_code == 200


def test_another_assessments_history_is_never_mixed_in(client):
    mine = start(client, "Mine")
    theirs_client = Client()
    theirs = start(theirs_client, "Theirs")
    post_answer(theirs_client, theirs, "3.1.1", status="met", note="their secret note")
    response = client.get(history_url(mine))
    assert "their secret note" not in response.content.decode()


@pytest.mark.parametrize("method", ["get", "post", "put", "delete"])
def test_an_outsider_and_no_link_get_404(client, method):
    assessment = start(client)
    post_answer(client, assessment, "3.1.1", status="met", note="private note")
    for stranger in (outsider(), Client()):
        response = getattr(stranger, method)(history_url(assessment))
        assert response.status_code == 404
        assert "private note" not in response.content.decode()


def test_the_owner_may_only_read(client):
    assessment = start(client)
    assert client.post(history_url(assessment)).status_code == 405


def test_the_history_page_makes_the_same_queries_for_one_and_many_changes(client, django_assert_num_queries):
    assessment = start(client)
    # 1 session, 2 assessment (access check), 3 requirement with its family, 4 answer history, 5 objective history.
    with django_assert_num_queries(5):
        client.get(history_url(assessment))
    for n in range(5):
        post_answer(client, assessment, "3.1.1", status="met", note=f"change {n}")
    with django_assert_num_queries(5):
        response = client.get(history_url(assessment))
    assert len(rows(html(response), "answer-history")) == 5
