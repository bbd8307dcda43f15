"""Objective mode switched in the settings, in a real Chromium with JavaScript on: the questionnaire shows the
objectives answered from the requirement answers, and switching back shows the answers the objectives give."""

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from assessments.models import Answer, Assessment, ObjectiveAnswer

from .questionnaire_helpers import answer_all

pytestmark = [pytest.mark.browser]


def wait(browser, condition, timeout: float = 10):
    return WebDriverWait(browser, timeout, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda driver: condition())


def css(browser, selector: str):
    return browser.find_element(By.CSS_SELECTOR, selector)


def click(browser, element) -> None:
    browser.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'});", element)
    element.click()


def checked(browser, name: str) -> list[str]:
    """The value of the checked radio of a group, as the browser holds it."""
    return [e.get_attribute("value") for e in browser.find_elements(By.CSS_SELECTOR, f"input[name='{name}']")
            if e.is_selected()]


def objective_values(browser, nist_id: str, letters: str) -> list[list[str]]:
    return [checked(browser, f"o{nist_id.replace('.', '-')}-{letter}--status") for letter in letters]


def severe_logs(browser) -> list[dict]:
    return [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]


def save_settings(browser, base: str, assessment: Assessment, *, objective_mode: bool) -> str:
    browser.get(f"{base}/a/{assessment.public_id}/settings/")
    box = css(browser, "input[name='objective_mode']")
    assert box.is_selected() != objective_mode
    help_text = css(browser, "#id_objective_mode_helptext").text
    assert ("keeps every answer you gave" if objective_mode else "keeps the answers your objectives give") in help_text
    click(browser, box)
    click(browser, css(browser, "main form button.btn-primary"))
    wait(browser, lambda: browser.current_url.rstrip("/").endswith(assessment.public_id))
    return css(browser, "main .alert[role='status']").text


def test_switching_objective_mode_on_and_off_in_the_settings_keeps_every_answer(live_server, catalog_db, browser):
    base = live_server.url
    browser.get(f"{base}/a/start/")
    browser.delete_all_cookies()
    browser.get(f"{base}/a/start/")
    css(browser, "input[name='organization_name']").send_keys("Browser Co")
    click(browser, css(browser, "input[name='has_ssp'][value='yes']"))
    click(browser, css(browser, "main form button"))
    wait(browser, lambda: "/key/" in browser.current_url)
    assessment = Assessment.objects.get(organization_name="Browser Co")
    assert answer_all(assessment) == 110
    Answer.objects.filter(assessment=assessment, requirement__nist_id="3.1.3").update(status="not_met")
    Answer.objects.filter(assessment=assessment, requirement__nist_id="3.1.12").update(
        status="na", justification="No remote access at all")

    message = save_settings(browser, base, assessment, objective_mode=True)
    assert "Objective mode on:" in message and "1 requirement answered not met" in message
    assert "Answered 110 of 110" in css(browser, "#progress").text
    assert css(browser, "#score-box [data-testid='score']").text == "109"

    browser.get(f"{base}/a/{assessment.public_id}/family/AC/")
    assert objective_values(browser, "3.1.1", "abcdef") == [["met"]] * 6
    assert objective_values(browser, "3.1.12", "abcd") == [["na"]] * 4
    assert objective_values(browser, "3.1.3", "abcde") == [[""]] * 5  # "Not answered": left for the user
    assert "choose which objectives are met" in css(browser, "[data-testid='answered-before-3.1.3']").text
    # An objective changed with htmx is saved, and shows after a reload.
    click(browser, css(browser, "input[name='o3-1-1-c--status'][value='not_met']"))
    wait(browser, lambda: css(browser, "[data-testid='state-3.1.1']").text.startswith("Not met"))
    browser.refresh()
    assert objective_values(browser, "3.1.1", "abcdef") == [["met"], ["met"], ["not_met"], ["met"], ["met"], ["met"]]
    assert css(browser, "#score-box [data-testid='score']").text == "104"

    message = save_settings(browser, base, assessment, objective_mode=False)
    assert "Objective mode off:" in message and "3.1.1" in message
    assert css(browser, "#score-box [data-testid='score']").text == "104"
    browser.get(f"{base}/a/{assessment.public_id}/family/AC/")
    assert checked(browser, "r3-1-1-status") == ["not_met"]
    assert checked(browser, "r3-1-3-status") == ["not_met"]
    assert checked(browser, "r3-1-12-status") == ["na"]
    assert checked(browser, "r3-1-2-status") == ["met"]
    assert ObjectiveAnswer.objects.filter(assessment=assessment, status="not_met").count() == 1  # kept
    assert severe_logs(browser) == []
