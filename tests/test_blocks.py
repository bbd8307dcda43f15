"""assessments/blocks.py: the questionnaire's requirement blocks, kept per process by everything they show, with
each session's own CSRF token put in."""

import re
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assessments import blocks, scoring
from assessments.models import Answer, AnswerStatus, ObjectiveAnswer
from assessments.records import catalog_rules
from controls import snapshot
from iso27001.hints import Hint
from tests.personas import make_assessment, signed_in

from .questionnaire_helpers import answer_data, html, start

pytestmark = pytest.mark.django_db

TOKEN_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
NONCE_RE = re.compile(r'nonce="[^"]+"')


def family_url(assessment, code: str = "AC") -> str:
    return reverse("assessments:family", args=[assessment.public_id, code])


def block_tokens(body: str) -> list[str]:
    """The CSRF tokens of the blocks' forms (the first one on the page is the navbar's, if signed in)."""
    return TOKEN_RE.findall(body)


def test_the_page_shows_the_same_blocks_from_memory_with_a_fresh_token_each_time(client):
    assessment = start(client)
    blocks.kept.clear()
    first = client.get(family_url(assessment)).content.decode()
    assert len(blocks.kept) == 22  # the 22 AC requirements' blocks
    second = client.get(family_url(assessment)).content.decode()
    assert len(blocks.kept) == 22  # the same ones: nothing new was made
    # Only the tokens differ (Django masks the session's secret anew for each page), and the CSP nonce.
    assert NONCE_RE.sub("", TOKEN_RE.sub("", first)) == NONCE_RE.sub("", TOKEN_RE.sub("", second))
    assert block_tokens(first) != block_tokens(second)
    assert blocks._token_stand_in() not in first + second


def test_a_plain_form_posted_with_the_token_the_kept_block_carries_is_saved():
    browser = Client(enforce_csrf_checks=True)
    assessment = start(browser)
    browser.get(family_url(assessment))  # kept now
    page = browser.get(family_url(assessment)).content.decode()
    token = block_tokens(page)[0]
    url = reverse("assessments:answer", args=[assessment.public_id, "3.1.1"])
    data = answer_data("3.1.1", 0, status="met", note="Accounts reviewed") | {"csrfmiddlewaretoken": token}
    assert browser.post(url, data).status_code == 302
    assert Answer.objects.get(assessment=assessment, requirement__nist_id="3.1.1").note == "Accounts reviewed"


def test_another_session_never_gets_the_first_ones_token(org_people):
    assessment = make_assessment(org_people["acme"])
    owner, editor = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    signed_in(org_people["owner"], owner)
    signed_in(org_people["editor"], editor)
    owners_token = block_tokens(owner.get(family_url(assessment)).content.decode())[1]
    editors_page = editor.get(family_url(assessment)).content.decode()
    url = reverse("assessments:answer", args=[assessment.public_id, "3.1.3"])
    data = answer_data("3.1.3", 0, status="met")
    # The owner's token is no good in the editor's session (403), the editor's own is.
    assert editor.post(url, data | {"csrfmiddlewaretoken": owners_token}).status_code == 403
    assert editor.post(url, data | {"csrfmiddlewaretoken": block_tokens(editors_page)[1]}).status_code == 302


def test_a_viewer_never_gets_an_editors_block_nor_an_editor_a_viewers(org_people):
    assessment = make_assessment(org_people["acme"])
    clients = org_people["clients"]

    def save_buttons(who: str) -> int:
        return len(html(clients[who].get(family_url(assessment))).xpath("//form[@class='answer-form']//button"))

    assert save_buttons("editor") == 22
    assert save_buttons("viewer") == 0
    assert save_buttons("owner") == 22
    assert save_buttons("viewer") == 0


def test_an_answer_saved_elsewhere_shows_on_the_next_page_of_everyone(org_people):
    assessment = make_assessment(org_people["acme"])
    clients = org_people["clients"]
    for who in ("owner", "viewer"):
        assert "Accounts reviewed" not in clients[who].get(family_url(assessment)).content.decode()
    stored = Answer.objects.get(assessment=assessment, requirement__nist_id="3.1.1")
    url = reverse("assessments:answer", args=[assessment.public_id, "3.1.1"])
    clients["editor"].post(url, answer_data("3.1.1", stored.version, status="met", note="Accounts reviewed"))
    for who in ("owner", "viewer"):
        doc = html(clients[who].get(family_url(assessment)))
        assert [t.strip() for t in doc.xpath("//textarea[@name='r3-1-1-note']/text()")] == ["Accounts reviewed"]


def test_the_outcome_of_a_save_is_never_kept():
    catalog = snapshot.current()
    req = catalog.requirement_by_nist_id["3.1.1"]
    view = blocks.AssessmentView("x", True, False)
    assert blocks.Block(req, None, {}, None).key(view, catalog) is not None
    assert blocks.Block(req, None, {}, None, saved=True).key(view, catalog) is None
    assert blocks.Block(req, None, {}, None, conflict=Answer(version=2)).key(view, catalog) is None
    assert blocks.Block(req, None, {}, None, objective_errors={1: "Not saved"}).key(view, catalog) is None
    one_time = snapshot.CatalogSnapshot(None, (), (), {}, {}, {}, {}, {})  # a catalog read for one request only
    assert blocks.Block(req, None, {}, None).key(view, one_time) is None


# A stored answer as the block can show it: any text, any status, dates, versions, objective answers, an item's
# status and the ISO hints.
TEXT = st.one_of(st.just(""), st.just("<b>&\"'</b>"), st.text(max_size=12))
PARTS = {
    "answered": st.booleans(), "status": st.sampled_from(["", *AnswerStatus.values]), "note": TEXT,
    "justification": TEXT, "evidence": TEXT, "responsible": TEXT,
    "planned_date": st.one_of(st.none(), st.dates(date(2020, 1, 1), date(2030, 12, 31))), "version": st.integers(1, 3),
    "objectives": st.lists(st.one_of(st.none(), st.tuples(st.sampled_from(["", "met", "not_met", "na"]),
                                                          st.integers(1, 2))), min_size=2, max_size=2),
    "item": st.sampled_from([None, "unanswered", *scoring.Status]),
    "hints": st.lists(st.sampled_from([Hint("A.5.15", False, "high", False), Hint("A.8.5", True, "low", True)]),
                      max_size=2, unique=True),
    "can_edit": st.booleans(),
    "objective_mode": st.booleans(),
}
STATES = st.fixed_dictionaries(PARTS)
ANSWER_PARTS = ("status", "note", "justification", "evidence", "responsible", "planned_date", "version")


def _block(catalog, state: dict) -> tuple[blocks.Block, blocks.AssessmentView]:
    req = catalog.requirement_by_nist_id["3.1.1"]
    answer = Answer(pk=1, requirement=req, **{k: state[k] for k in ANSWER_PARTS}) if state["answered"] else None
    objective_answers = {
        obj.pk: ObjectiveAnswer(pk=obj.pk, objective=obj, status=found[0], version=found[1])
        for obj, found in zip(req.objectives.all(), state["objectives"], strict=False) if found is not None
    }
    rule = next(r for r in catalog_rules(catalog) if r.nist_id == "3.1.1")
    status = None if state["item"] == "unanswered" else state["item"]
    item = None if state["item"] is None else scoring.Item(rule, status)
    hints = [("iso27001/_question_hints.html", state["hints"])] if state["hints"] else []
    view = blocks.AssessmentView("pUbLiC-iD-0123456789", state["can_edit"], state["objective_mode"])
    return blocks.Block(req, answer, objective_answers, item, hints), view


def _render(catalog, state: dict) -> str:
    block, view = _block(catalog, state)
    return blocks.Renderer(_Stub(view), catalog, "the-session-token").render(block)


class _Stub:
    """An assessment as the renderer reads it."""

    def __init__(self, view: blocks.AssessmentView):
        self.public_id, self.can_edit, self.objective_mode = view.public_id, view.can_edit, view.objective_mode


BASE = {"answered": True, "status": "not_met", "note": "n", "justification": "", "evidence": "", "responsible": "",
        "planned_date": None, "version": 1, "objectives": [None, None], "item": "not_met", "hints": [],
        "can_edit": True, "objective_mode": True}
CHANGES = {"answered": False, "status": "na", "note": "other", "justification": "why", "evidence": "ev",
           "responsible": "Pat", "planned_date": date(2027, 1, 1), "version": 2, "objectives": [("met", 1), None],
           "item": "met", "hints": [Hint("A.5.15", False, "high", False)], "can_edit": False, "objective_mode": False}


@pytest.mark.parametrize("part", sorted(CHANGES))
def test_a_change_of_any_one_thing_the_block_shows_makes_another_block(part):
    assert set(CHANGES) == set(PARTS)
    catalog = snapshot.current()
    changed = BASE | {part: CHANGES[part]}
    blocks.kept.clear()
    fresh = _render(catalog, changed)
    blocks.kept.clear()
    assert _render(catalog, BASE) != fresh  # the change shows
    assert _render(catalog, changed) == fresh  # and not the block kept before it


@given(before=STATES, other=STATES, changed=st.sets(st.sampled_from(sorted(PARTS)), min_size=1, max_size=2))
@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_a_kept_block_is_the_block_rendered_afresh_whatever_was_shown_before(before, other, changed):
    # Whatever another state left in memory, even one that differs in one or two things only, a block shows exactly
    # what rendering it afresh shows: the key holds everything the block shows.
    after = before | {name: other[name] for name in changed}
    catalog = snapshot.current()
    blocks.kept.clear()
    fresh = _render(catalog, after)
    blocks.kept.clear()
    _render(catalog, before)
    assert _render(catalog, after) == fresh
    assert "the-session-token" in fresh and blocks._token_stand_in() not in fresh


def test_a_new_secret_key_never_leaves_the_old_stand_in_in_a_page(client, settings):
    assessment = start(client)
    client.get(family_url(assessment))  # kept with this key's stand-in
    old = blocks._token_stand_in()
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]  # a rotation: the session stays valid
    settings.SECRET_KEY = "another-secret-key-" + "x" * 40
    response = client.get(family_url(assessment))
    assert response.status_code == 200
    body = response.content.decode()
    assert old not in body and blocks._token_stand_in() not in body
    assert len(block_tokens(body)) >= 22
