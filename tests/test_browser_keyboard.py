"""A whole family answered with the keyboard alone, in a real Chromium: Tab and Shift+Tab to move, the arrow keys
to choose an answer, typing in the fields, Space on the Save button and Enter in a field to save. No element is
clicked. Every control the journey passes shows where the focus is. After a reload, the page and the database hold
what was typed, and the console has no error."""

import time

import pytest
from django.conf import settings
from django.db import OperationalError
from django.db.models import Count
from django.test import Client
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys

from assessments.models import Answer
from controls.models import Family

from .personas import start_anonymous
from .test_browser_questionnaire import wait

pytestmark = [pytest.mark.browser]

# What has the focus, and whether it shows: an outline or a focus ring (Bootstrap draws some as a box shadow), read
# at the end of its transition. A date field's last Tab stop is its own calendar button, inside the field: the
# field then no longer matches :focus, and Chromium rings the button itself, where no page style can reach.
FOCUSED = """
const el = document.activeElement;
el.getAnimations().forEach(animation => animation.finish());
const style = getComputedStyle(el);
const ownButton = el.type === 'date' && !el.matches(':focus');
const shown = ownButton || (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0)
  || style.boxShadow !== 'none';
return {name: el.getAttribute('name') || '', value: el.value === undefined ? '' : el.value, tag: el.tagName,
        text: (el.textContent || '').trim().slice(0, 40), block: el.closest('.requirement-block')?.id || '',
        shown: shown, what: el.outerHTML.slice(0, 120)};
"""


def press(driver, *keys: str) -> None:
    ActionChains(driver).send_keys(*keys).perform()


class Keyboard:
    """Moves the focus with Tab (or Shift+Tab) until it reaches what the person is looking for, noting every stop
    whose focus cannot be seen."""

    def __init__(self, driver) -> None:
        self.driver = driver
        self.unseen: list[str] = []
        self.stops = 0

    def focused(self) -> dict:
        return self.driver.execute_script(FOCUSED)

    def tab_to(self, wanted, *, back: bool = False, limit: int = 80) -> dict:
        for _ in range(limit):
            if back:
                ActionChains(self.driver).key_down(Keys.SHIFT).send_keys(Keys.TAB).key_up(Keys.SHIFT).perform()
            else:
                press(self.driver, Keys.TAB)
            focused = self.focused()
            self.stops += 1
            if focused["tag"] != "BODY" and not focused["shown"]:
                self.unseen.append(focused["what"])
            if wanted(focused):
                return focused
        raise AssertionError(f"the keyboard never reached it; the focus is on {self.focused()['what']}")


def field(nist_id: str, name: str):
    html_name = f"r{nist_id.replace('.', '-')}-{name}"
    return lambda focused: focused["name"] == html_name


def stored(assessment, nist_id: str) -> dict[str, str]:
    """The answer in the database; {} while there is none, or while the live server's write holds SQLite's lock."""
    try:
        answer = Answer.objects.filter(assessment=assessment, requirement__nist_id=nist_id).first()
    except OperationalError:
        return {}
    if answer is None:
        return {}
    return {"status": answer.status, "note": answer.note, "evidence": answer.evidence,
            "responsible": answer.responsible, "planned_date": str(answer.planned_date or "")}


def smallest_family() -> Family:
    return Family.objects.annotate(size=Count("requirements")).order_by("size", "code").first()


def answer_met(keyboard: Keyboard, assessment, nist_id: str) -> dict[str, str]:
    """Met (one arrow key from "Not answered"), a description and evidence, then Space on its Save button."""
    browser = keyboard.driver
    keyboard.tab_to(field(nist_id, "status"))
    press(browser, Keys.ARROW_RIGHT)
    wait(browser, lambda: stored(assessment, nist_id).get("status") == "met")
    keyboard.tab_to(field(nist_id, "note"))
    press(browser, f"Background checks by HR ({nist_id})")
    keyboard.tab_to(field(nist_id, "evidence"))
    press(browser, "HR-SOP-4")
    keyboard.tab_to(lambda f: f["tag"] == "BUTTON" and f["text"] == "Save" and f["block"] == f"req-{nist_id}")
    press(browser, Keys.SPACE)
    wait(browser, lambda: stored(assessment, nist_id).get("evidence") == "HR-SOP-4")
    return {"status": "met", "note": f"Background checks by HR ({nist_id})", "evidence": "HR-SOP-4",
            "responsible": "", "planned_date": ""}


def answer_not_met(keyboard: Keyboard, assessment, nist_id: str) -> dict[str, str]:
    """Not met (two arrow keys), by when and who (back with Shift+Tab), saved with Enter in the field."""
    browser = keyboard.driver
    keyboard.tab_to(field(nist_id, "status"))
    press(browser, Keys.ARROW_RIGHT, Keys.ARROW_RIGHT)
    wait(browser, lambda: stored(assessment, nist_id).get("status") == "not_met")
    keyboard.tab_to(field(nist_id, "planned_date"))
    press(browser, "0630")  # month and day: the date field's parts, as typed in Chromium's en-US
    for digit in "2030":  # the year at a person's pace: each digit makes a whole date (0002-06-30 first)
        press(browser, digit)
        time.sleep(0.3)
    keyboard.tab_to(field(nist_id, "responsible"), back=True)  # the field before it
    press(browser, "IT lead", Keys.ENTER)
    wait(browser, lambda: stored(assessment, nist_id).get("responsible") == "IT lead")
    return {"status": "not_met", "note": "", "evidence": "", "responsible": "IT lead", "planned_date": "2030-06-30"}


# The answer fields the page shows after the reload: (name, value) of every one that holds something.
FILLED = """
return [...document.querySelectorAll('.answer-form input:checked, .answer-form input[type=text],'
  + ' .answer-form input[type=date], .answer-form textarea')].filter(el => el.value).map(el => [el.name, el.value]);
"""


def test_a_whole_family_is_answered_with_the_keyboard_alone(live_server, catalog_db, browser):
    family = smallest_family()
    requirements = [r.nist_id for r in family.requirements.order_by("position")]
    assert len(requirements) >= 2
    holder = Client()
    assessment = start_anonymous(holder, "Keyboard Co")
    browser.get(live_server.url + "/")
    browser.delete_all_cookies()
    browser.add_cookie({"name": settings.SESSION_COOKIE_NAME, "path": "/",
                        "value": holder.cookies[settings.SESSION_COOKIE_NAME].value})
    browser.get(f"{live_server.url}/a/{assessment.public_id}/family/{family.code}/")
    keyboard = Keyboard(browser)

    expected = {nist_id: (answer_met if n % 2 == 0 else answer_not_met)(keyboard, assessment, nist_id)
                for n, nist_id in enumerate(requirements)}
    assert {nist_id: stored(assessment, nist_id) for nist_id in requirements} == expected
    assert keyboard.stops > 10 and keyboard.unseen == []  # every stop on the way showed where the focus was

    browser.refresh()
    assert sorted(browser.execute_script(FILLED)) == sorted(
        [f"r{nist_id.replace('.', '-')}-{name}", value]
        for nist_id, answer in expected.items() for name, value in answer.items() if value)
    problems = [entry for entry in browser.get_log("browser")
                if entry["level"] == "SEVERE" or "Content Security Policy" in entry["message"]]
    assert problems == []
