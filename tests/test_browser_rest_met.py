"""Answering the rest of a family met, and undoing it, in a real Chromium: with JavaScript on and with it off (the
confirmation is a page of its own and the undo a plain form). Each step is read back after a reload, from the page
and from the database; with JavaScript on, the console stays clean."""

import pytest
from django.urls import reverse

from assessments.models import Answer, Assessment

from . import test_browser_every_form as every_form
from .test_browser_every_form import Visitor, answer_control, block, saved_by_htmx, start_assessment

# The live-server visitors of the every-form tests: with JavaScript on and off (visitor), or on (js_visitor).
js_visitor = every_form.js_visitor
visitor = every_form.visitor

pytestmark = [pytest.mark.browser]

AC = ("3.1.1", "3.1.2", "3.1.3", "3.1.4", "3.1.5", "3.1.6", "3.1.7", "3.1.8", "3.1.9", "3.1.10", "3.1.11", "3.1.12",
      "3.1.13", "3.1.14", "3.1.15", "3.1.16", "3.1.17", "3.1.18", "3.1.19", "3.1.20", "3.1.21", "3.1.22")


def chosen(v: Visitor, nist_id: str) -> str:
    """The answer the page shows as chosen ("" when unanswered)."""
    return next(el.get_attribute("value") for el in v.find_all(f"input[name='r{nist_id.replace('.', '-')}-status']")
                if el.is_selected())


def stored(assessment: Assessment) -> dict[str, str]:
    return dict(Answer.objects.filter(assessment=assessment, requirement__family__code="AC")
                .values_list("requirement__nist_id", "status"))


def answer_by_hand(v: Visitor, nist_id: str, status: str) -> None:
    if v.javascript:
        before = block(v, nist_id)
        v.click(answer_control(v, nist_id, "status", status))
        saved_by_htmx(v, nist_id, before)
    else:
        v.click(answer_control(v, nist_id, "status", status))
        v.press(block(v, nist_id).find_element("css selector", "button.btn-primary"))


def test_the_rest_of_a_family_is_answered_met_after_a_confirmation_and_undone(visitor):
    v = visitor
    assessment = start_assessment(v, "Rest Met Co")
    family = reverse("assessments:family", args=[assessment.public_id, "AC"])
    v.open(family)
    answer_by_hand(v, "3.1.1", "not_met")

    v.press(v.find("[data-testid='rest-met-link']"))
    assert v.path == reverse("assessments:rest_met", args=[assessment.public_id, "AC"])
    assert [li.get_attribute("data-nist") for li in v.find_all("[data-testid='rest-met-list'] li")] == list(AC[1:])
    assert stored(assessment) == {"3.1.1": "not_met"}  # nothing written before the confirmation
    v.press(v.find("[data-testid='confirm-rest-met']"))

    # On to the next family, with the undo on offer.
    assert v.path == reverse("assessments:family", args=[assessment.public_id, "AT"])
    assert v.find("[data-testid='rest-met-undo']").text.startswith("Access Control: 21 requirements answered met")
    v.open(family)  # reloaded: what the page shows is what was stored
    assert [chosen(v, n) for n in AC] == ["not_met"] + ["met"] * 21
    assert stored(assessment) == {"3.1.1": "not_met"} | dict.fromkeys(AC[1:], "met")

    v.press(v.find("[data-testid='rest-met-undo'] button"))
    assert v.path == family
    assert "Undone: 21 requirements of Access Control are unanswered again." in v.main_text()
    v.open(family)
    assert [chosen(v, n) for n in AC] == ["not_met"] + [""] * 21
    assert stored(assessment) == {"3.1.1": "not_met"}
    assert not v.find_all("[data-testid='rest-met-undo']")
    if v.javascript:
        assert v.console_problems() == []


def test_a_confirmation_left_open_while_another_tab_answered_asks_again(js_visitor):
    v = js_visitor
    assessment = start_assessment(v, "Two Tabs Co")
    v.open(reverse("assessments:rest_met", args=[assessment.public_id, "AC"]))
    first = v.driver.current_window_handle
    v.driver.switch_to.new_window("tab")
    v.open(reverse("assessments:family", args=[assessment.public_id, "AC"]))
    answer_by_hand(v, "3.1.7", "not_met")
    v.driver.close()
    v.driver.switch_to.window(first)

    v.press(v.find("[data-testid='confirm-rest-met']"))
    assert "changed since this page was opened" in v.find("[data-testid='changed-meanwhile']").text
    assert "3.1.7" not in [li.get_attribute("data-nist") for li in v.find_all("[data-testid='rest-met-list'] li")]
    assert stored(assessment) == {"3.1.7": "not_met"}
    v.press(v.find("[data-testid='confirm-rest-met']"))  # confirmed again, as it is now
    assert stored(assessment) == dict.fromkeys(AC, "met") | {"3.1.7": "not_met"}
    # The refused confirmation answered 409 (a network entry in the log); nothing else went wrong.
    assert [e for e in v.console_problems() if "/rest-met/" not in e["message"] or "409" not in e["message"]] == []
