"""The questionnaire's keyboard shortcuts (static/js/app.js) in a real Chromium: M / N / A on the requirement the
focus is in, J / K between requirements, nothing while typing in a text field; read back after a reload, from the
page and from the database, with a clean console."""

import pytest
from django.urls import reverse
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys

from assessments.models import Answer, ObjectiveAnswer

from . import test_browser_every_form as every_form
from .test_browser_every_form import Visitor, answer_control, block, saved_by_htmx, start_assessment

# The live-server visitors of the every-form tests: with JavaScript on and off (visitor), or on (js_visitor).
js_visitor = every_form.js_visitor
visitor = every_form.visitor

pytestmark = [pytest.mark.browser]


def press(v: Visitor, keys: str) -> None:
    """Keys as a person presses them, to whatever has the focus."""
    ActionChains(v.driver).send_keys(keys).perform()


def focused_block(v: Visitor) -> str | None:
    return v.driver.execute_script(
        "const b = document.activeElement.closest('.requirement-block'); return b ? b.id : null;")


def chosen(v: Visitor, nist_id: str) -> str:
    return next(el.get_attribute("value") for el in v.find_all(f"input[name='r{nist_id.replace('.', '-')}-status']")
                if el.is_selected())


def test_keys_answer_the_focused_requirement_and_move_on(js_visitor):
    v = js_visitor
    assessment = start_assessment(v, "Keys Co")
    family = reverse("assessments:family", args=[assessment.public_id, "AC"])
    v.open(family)
    hint = v.find("[data-testid='keyboard-hint']")
    assert hint.is_displayed()
    assert "M met · N not met · A not applicable" in hint.text and "Not while you type in a text box" in hint.text

    press(v, "j")  # from nowhere: the first requirement
    assert focused_block(v) == "req-3.1.1"
    before = block(v, "3.1.1")
    press(v, "m")
    saved_by_htmx(v, "3.1.1", before)
    assert focused_block(v) == "req-3.1.2"  # met goes on to the next one
    before = block(v, "3.1.2")
    press(v, "n")
    saved_by_htmx(v, "3.1.2", before)
    assert focused_block(v) == "req-3.1.3"
    press(v, "kj")  # back and forth
    assert focused_block(v) == "req-3.1.3"

    # Typing in a text field types: no answer changes.
    justification = answer_control(v, "3.1.3", "justification")
    v.click(justification)
    before = block(v, "3.1.3")
    justification.send_keys("mna: no CUI moves")
    assert chosen(v, "3.1.3") == ""
    # Out of the text field (its change saves what was typed), onto one of the block's radio buttons; then A.
    v.driver.execute_script("arguments[0].focus();", answer_control(v, "3.1.3", "status", "met"))
    saved_by_htmx(v, "3.1.3", before)
    v.driver.execute_script("arguments[0].focus();", answer_control(v, "3.1.3", "status", "met"))
    before = block(v, "3.1.3")
    press(v, "a")
    saved_by_htmx(v, "3.1.3", before)
    # A key with a modifier, or one with no meaning here (partially met is not offered for 3.1.4), does nothing.
    press(v, "j")
    press(v, "p")
    ActionChains(v.driver).key_down(Keys.CONTROL).send_keys("m").key_up(Keys.CONTROL).perform()
    assert chosen(v, "3.1.4") == ""

    v.open(family)  # reloaded: the page shows what was stored
    assert [chosen(v, n) for n in ("3.1.1", "3.1.2", "3.1.3", "3.1.4")] == ["met", "not_met", "na", ""]
    stored = {a.requirement.nist_id: (a.status, a.justification)
              for a in Answer.objects.filter(assessment=assessment).select_related("requirement")}
    assert stored == {"3.12.4": ("met", ""), "3.1.1": ("met", ""), "3.1.2": ("not_met", ""),
                      "3.1.3": ("na", "mna: no CUI moves")}
    assert v.console_problems() == []


def test_in_objective_mode_a_key_answers_the_objective_the_focus_is_in(js_visitor):
    v = js_visitor
    assessment = start_assessment(v, "Objective Keys Co", **{"objective_mode=on": True})
    v.open(reverse("assessments:family", args=[assessment.public_id, "AC"]))
    radio = v.find("input[name='o3-1-1-a--status'][value='']")
    v.driver.execute_script("arguments[0].focus();", radio)
    before = block(v, "3.1.1")
    press(v, "n")
    saved_by_htmx(v, "3.1.1", before)
    assert v.find("input[name='o3-1-1-a--status'][value='not_met']").is_selected()
    assert dict(ObjectiveAnswer.objects.filter(assessment=assessment).values_list(
        "objective__objective_id", "status")) == {"3.1.1[a]": "not_met"}
    assert v.console_problems() == []


def test_without_javascript_there_is_no_hint_for_keys_that_would_not_work(visitor):
    v = visitor
    assessment = start_assessment(v, "Hint Co")
    v.open(reverse("assessments:family", args=[assessment.public_id, "AC"]))
    assert v.find("[data-testid='keyboard-hint']").is_displayed() == v.javascript
