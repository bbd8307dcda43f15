"""The "answer the rest of this family met" confirmation page, its write and its undo, for every persona."""

import lxml.html
import pytest
from django.test import Client
from django.urls import reverse

from assessments.models import Answer, Assessment
from assessments.rest_met import plan
from controls.models import Family

from .personas import make_assessment, start_anonymous
from .questionnaire_helpers import assert_private, by_testid, html, post_answer, start

pytestmark = pytest.mark.django_db


def rest_met_url(assessment: Assessment, code: str = "AC") -> str:
    return reverse("assessments:rest_met", args=[assessment.public_id, code])


def undo_url(assessment: Assessment, code: str = "AC") -> str:
    return reverse("assessments:rest_met_undo", args=[assessment.public_id, code])


def family_url(assessment: Assessment, code: str) -> str:
    return reverse("assessments:family", args=[assessment.public_id, code])


def statuses(assessment: Assessment, code: str = "AC") -> dict[str, str]:
    return dict(Answer.objects.filter(assessment=assessment, requirement__family__code=code)
                .values_list("requirement__nist_id", "status"))


def confirm(client: Client, assessment: Assessment, code: str = "AC"):
    """Open the confirmation page and press its button, as the page posts it."""
    doc = html(client.get(rest_met_url(assessment, code)))
    form = doc.xpath("//form[.//button[@data-testid='confirm-rest-met']]")[0]
    data = {el.get("name"): el.get("value") for el in form.xpath(".//input[@name]")}
    return client.post(form.get("action") or rest_met_url(assessment, code), data)


def listed(doc) -> list[str]:
    return [li.get("data-nist") for li in doc.xpath("//*[@data-testid='rest-met-list']/li")]


def test_the_confirmation_lists_the_unanswered_requirements_and_writes_nothing(client):
    assessment = start(client)
    post_answer(client, assessment, "3.1.1", status="not_met")
    response = client.get(rest_met_url(assessment))
    assert response.status_code == 200
    assert_private(response)
    doc = html(response)
    assert listed(doc)[:3] == ["3.1.2", "3.1.3", "3.1.4"] and len(listed(doc)) == 21
    button = doc.xpath("//button[@data-testid='confirm-rest-met']")[0].text_content()
    assert button == "Answer these 21 met, then go on to Awareness and Training"
    assert doc.xpath("//form[@method='post']//input[@type='hidden'][@name='state']")
    assert doc.xpath(f"//a[@href='{family_url(assessment, 'AC')}'][normalize-space()='Cancel']")
    assert statuses(assessment) == {"3.1.1": "not_met"}


def test_confirming_answers_them_met_and_goes_on_to_the_next_family_with_the_undo(client):
    assessment = start(client)
    post_answer(client, assessment, "3.1.1", status="not_met")
    response = confirm(client, assessment)
    assert response.status_code == 302 and response["Location"] == family_url(assessment, "AT")
    stored = statuses(assessment)
    assert stored["3.1.1"] == "not_met" and list(stored.values()).count("met") == 21
    # The page it leads to offers the undo once; the family's own page offers it as long as it can be undone.
    landing = html(client.get(family_url(assessment, "AT")))
    offer = by_testid(landing, "rest-met-undo")
    assert offer.startswith("Access Control: 21 requirements answered met (3.1.2, 3.1.3,")
    assert landing.xpath(f"//form[@action='{undo_url(assessment)}']//button[normalize-space()='Undo']")
    assert not html(client.get(family_url(assessment, "AT"))).xpath("//*[@data-testid='rest-met-undo']")
    for _ in range(2):
        assert html(client.get(family_url(assessment, "AC"))).xpath("//*[@data-testid='rest-met-undo']")


def test_the_last_family_leads_to_the_results_which_offer_the_undo_once(client, django_assert_num_queries):
    assessment = start(client)
    response = confirm(client, assessment, "SI")
    assert response.status_code == 302
    assert response["Location"] == reverse("assessments:results", args=[assessment.public_id])
    # The results' 4 queries (tests/test_results_view.py), then the session saved without the offer it shows:
    # 5 savepoint, 6 session update, 7 release.
    with django_assert_num_queries(7):
        page = client.get(response["Location"])
    assert by_testid(html(page), "rest-met-undo").startswith("System and Information Integrity: ")
    with django_assert_num_queries(4):
        again = client.get(response["Location"])
    assert not html(again).xpath("//*[@data-testid='rest-met-undo']")


def test_undo_puts_every_row_back_and_says_so(client):
    assessment = start(client)
    post_answer(client, assessment, "3.1.2", note="Written before, no answer yet")
    post_answer(client, assessment, "3.1.1", status="not_met")
    confirm(client, assessment)
    response = client.post(undo_url(assessment))
    assert response.status_code == 302 and response["Location"] == family_url(assessment, "AC")
    assert statuses(assessment) == {"3.1.1": "not_met", "3.1.2": ""}
    assert Answer.objects.get(assessment=assessment, requirement__nist_id="3.1.2").note == \
        "Written before, no answer yet"
    doc = html(client.get(response["Location"]))
    assert "Undone: 21 requirements of Access Control are unanswered again." in doc.text_content()
    assert not doc.xpath("//*[@data-testid='rest-met-undo']")
    # Undone once: a second undo finds nothing (and changes nothing).
    client.post(undo_url(assessment))
    assert "Nothing to undo in Access Control" in html(client.get(family_url(assessment, "AC"))).text_content()
    assert statuses(assessment) == {"3.1.1": "not_met", "3.1.2": ""}


def test_undo_names_what_was_changed_since_and_keeps_it(client):
    assessment = start(client)
    confirm(client, assessment)
    post_answer(client, assessment, "3.1.5", status="not_met")
    client.post(undo_url(assessment))
    assert statuses(assessment) == {"3.1.5": "not_met"}
    text = html(client.get(family_url(assessment, "AC"))).text_content()
    assert "Undone: 21 requirements of Access Control are unanswered again. Changed since, so kept as they are " \
           "now: 3.1.5." in text


def test_a_stale_confirmation_writes_nothing_and_shows_the_list_as_it_is_now(client):
    assessment = start(client)
    doc = html(client.get(rest_met_url(assessment)))
    state = doc.xpath("//input[@name='state']/@value")[0]
    post_answer(client, assessment, "3.1.7", status="not_met")  # in another tab meanwhile
    response = client.post(rest_met_url(assessment), {"state": state})
    assert response.status_code == 409
    doc = html(response)
    assert "changed since this page was opened" in by_testid(doc, "changed-meanwhile")
    assert "3.1.7" not in listed(doc) and len(listed(doc)) == 21
    assert doc.xpath("//input[@name='state']/@value")[0] != state
    assert statuses(assessment) == {"3.1.7": "not_met"}


@pytest.mark.parametrize("state", ["", "x" * 64, "A" * 64, "0" * 63, "0" * 65, "0" * 64])
def test_a_tampered_confirmation_is_refused_without_a_500(client, state):
    assessment = start(client)
    response = client.post(rest_met_url(assessment), {"state": state})
    assert response.status_code in (400, 409)
    assert statuses(assessment) == {}
    if response.status_code == 400:
        doc = html(response)
        assert "Nothing was written" in by_testid(doc, "form-error")
        # The page refused still carries the list it shows: its button works.
        again = client.post(rest_met_url(assessment), {"state": doc.xpath("//input[@name='state']/@value")[0]})
        assert again.status_code == 302 and len(statuses(assessment)) == 22


def test_with_nothing_unanswered_the_page_says_so_and_the_post_changes_nothing(client):
    assessment = start(client)
    for nist_id in listed(html(client.get(rest_met_url(assessment, "AT")))):
        post_answer(client, assessment, nist_id, status="met")
    doc = html(client.get(rest_met_url(assessment, "AT")))
    assert "nothing to do" in by_testid(doc, "rest-met-none")
    state = plan(assessment=assessment, family=Family.objects.get(code="AT")).state
    response = client.post(rest_met_url(assessment, "AT"), {"state": state})
    assert response.status_code == 302 and response["Location"] == family_url(assessment, "AT")
    assert not html(client.get(family_url(assessment, "AT"))).xpath("//*[@data-testid='rest-met-link']")


def test_the_family_page_links_to_it_while_something_is_unanswered(client):
    assessment = start(client)
    link = html(client.get(family_url(assessment, "AC"))).xpath("//a[@data-testid='rest-met-link']")
    assert [a.get("href") for a in link] == [rest_met_url(assessment)]


def test_a_level_1_assessment_has_it_only_for_families_with_practices(client):
    assessment = start(client, target_level="l1")
    assert listed(html(client.get(rest_met_url(assessment)))) == ["3.1.1", "3.1.2", "3.1.20", "3.1.22"]
    assert client.get(rest_met_url(assessment, "AT")).status_code == 404
    assert client.post(rest_met_url(assessment, "AT"), {"state": "0" * 64}).status_code == 404


def test_an_unknown_family_is_404(client):
    assessment = start(client)
    assert client.get(rest_met_url(assessment, "ZZ")).status_code == 404
    assert client.post(undo_url(assessment, "ZZ")).status_code == 404


# --- personas -------------------------------------------------------------------------------------------------


def test_owner_and_editor_may_do_it_and_undo_it(org_people):
    assessment = make_assessment(org_people["acme"], answers={"3.12.4": "met"})
    for who in ("owner", "editor"):
        client = org_people["clients"][who]
        assert client.get(rest_met_url(assessment)).status_code == 200
        assert confirm(client, assessment).status_code == 302, who
        assert list(statuses(assessment).values()).count("met") == 22
        assert client.post(undo_url(assessment)).status_code == 302
        assert statuses(assessment) == {}, who


def test_a_viewer_gets_403_and_no_link(org_people):
    assessment = make_assessment(org_people["acme"], answers={"3.12.4": "met"})
    viewer = org_people["clients"]["viewer"]
    state = plan(assessment=assessment, family=Family.objects.get(code="AC")).state
    assert viewer.get(rest_met_url(assessment)).status_code == 403
    assert viewer.post(rest_met_url(assessment), {"state": state}).status_code == 403
    assert viewer.post(undo_url(assessment)).status_code == 403
    assert statuses(assessment) == {}
    assert not html(viewer.get(family_url(assessment, "AC"))).xpath("//*[@data-testid='rest-met-link']")


def test_someone_elses_undo_is_not_yours(org_people):
    """The undo belongs to the browser session that answered the rest met: another editor's undo finds nothing."""
    assessment = make_assessment(org_people["acme"], answers={"3.12.4": "met"})
    confirm(org_people["clients"]["owner"], assessment)
    editor = org_people["clients"]["editor"]
    assert not html(editor.get(family_url(assessment, "AC"))).xpath("//*[@data-testid='rest-met-undo']")
    editor.post(undo_url(assessment))
    assert list(statuses(assessment).values()).count("met") == 22


@pytest.mark.parametrize("anonymous", [False, True], ids=["organisation", "anonymous"])
def test_strangers_get_404_whatever_the_method(org_people, anonymous):
    if anonymous:
        holder = Client()
        assessment = start_anonymous(holder, "Held elsewhere")
    else:
        assessment = make_assessment(org_people["acme"], answers={"3.12.4": "met"})
    state = plan(assessment=assessment, family=Family.objects.get(code="AC")).state
    other_session = Client()
    start_anonymous(other_session, "Someone else")
    strangers = {"another organisation": org_people["clients"]["other_org"], "a loner": org_people["clients"]["loner"],
                 "another anonymous session": other_session, "no session": Client()}
    for who, client in strangers.items():
        for method, url, data in (("get", rest_met_url(assessment), None), ("post", rest_met_url(assessment),
                                  {"state": state}), ("post", undo_url(assessment), None),
                                  ("get", undo_url(assessment), None)):
            response = getattr(client, method)(url, data) if data else getattr(client, method)(url)
            assert response.status_code == 404, (who, method, url)
    assert statuses(assessment) == {}


def test_undo_is_post_only(client):
    assessment = start(client)
    assert client.get(undo_url(assessment)).status_code == 405


def test_the_confirmation_page_for_an_anonymous_holder_reads_a_fixed_number_of_queries(client,
                                                                                        django_assert_num_queries):
    assessment = start(client, objective_mode="on")
    # 1 session, 2 assessment, 3 family, 4 its requirements, 5 their objectives, 6 answers, 7 objective answers,
    # 8 the catalog revision (the scoring rules are in memory per revision: controls/snapshot.py), 9 the next
    # family's name.
    with django_assert_num_queries(9):
        response = client.get(rest_met_url(assessment))
    assert len(listed(lxml.html.fromstring(response.content))) == 22
