"""The questionnaire in a real Chromium: start, see the key once, answer with htmx, see the score move."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.signals import request_started
from django.utils import timezone
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from assessments.models import Answer, Assessment

from .questionnaire_helpers import KEY_RE

pytestmark = [pytest.mark.browser]


def wait(browser, condition, timeout: float = 10):
    # The blocks are replaced by each save: an element found a moment ago may be gone, so look again.
    return WebDriverWait(browser, timeout, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda driver: condition())


def css(browser, selector: str):
    return browser.find_element(By.CSS_SELECTOR, selector)


def click(browser, element) -> None:
    """Scroll the element to the middle of the window first, at once (Bootstrap makes scrolling smooth)."""
    browser.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'});", element)
    element.click()


def radio(browser, nist_id: str, value: str):
    return css(browser, f"input[name='r{nist_id.replace('.', '-')}-status'][value='{value}']")


def field(browser, nist_id: str, name: str):
    return css(browser, f"[name='r{nist_id.replace('.', '-')}-{name}']")


def save_state(browser, nist_id: str) -> str:
    return css(browser, f"[data-testid='save-state-{nist_id}']").text


def score(browser) -> str:
    return css(browser, "#score-box [data-testid='score']").text


def severe_logs(browser) -> list[dict]:
    return [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]


def csp_violations(browser) -> list[dict]:
    return [entry for entry in browser.get_log("browser") if "Content Security Policy" in entry["message"]]


def start_through_the_form(browser, base: str) -> str:
    browser.get(f"{base}/a/start/")
    browser.delete_all_cookies()
    browser.get(f"{base}/a/start/")
    css(browser, "input[name='organization_name']").send_keys("Browser Co")
    click(browser, css(browser, "input[name='has_ssp'][value='yes']"))
    click(browser, css(browser, "main form button"))
    wait(browser, lambda: "/key/" in browser.current_url)
    key = css(browser, "#recovery-key").text
    assert KEY_RE.fullmatch(key), key
    return key


def test_answering_a_family_with_htmx_saves_each_answer_without_reloading_and_moves_the_score(
    live_server, catalog_db, browser
):
    browser.get_log("browser")  # drop what earlier tests left
    key = start_through_the_form(browser, live_server.url)
    click(browser, css(browser, "a.btn-primary[href$='/']"))  # Continue to the questions: Access Control
    # The family page, not the key page still on screen: an element found there would be stale.
    wait(browser, lambda: "/family/AC/" in browser.current_url
         and browser.execute_script("return document.readyState;") == "complete")
    assert score(browser) == "-203"

    browser.execute_script("window.__marker = 'same page';")
    click(browser, radio(browser, "3.1.1", "met"))
    wait(browser, lambda: save_state(browser, "3.1.1") == "Saved")
    assert score(browser) == "-198"
    click(browser, radio(browser, "3.1.2", "met"))
    wait(browser, lambda: save_state(browser, "3.1.2") == "Saved")
    assert score(browser) == "-193"
    assert "Answered 3 of 110" in css(browser, "#progress").text
    # N/A without a justification: refused at the field, the typed note stays.
    field(browser, "3.1.3", "note").send_keys("We have no CUI flows to control")
    click(browser, radio(browser, "3.1.3", "na"))
    wait(browser, lambda: "Not saved" in save_state(browser, "3.1.3"))
    error = css(browser, "#id_r3-1-3-justification-error")
    assert "justification" in error.text
    assert field(browser, "3.1.3", "note").get_attribute("value") == "We have no CUI flows to control"
    assert field(browser, "3.1.3", "justification").get_attribute("aria-invalid") == "true"
    # Giving the justification saves it.
    field(browser, "3.1.3", "justification").send_keys("No CUI flows inside the company")
    click(browser, css(browser, "#req-3\\.1\\.3 button.btn-primary"))
    wait(browser, lambda: save_state(browser, "3.1.3") == "Saved")
    assert score(browser) == "-192"

    assert browser.execute_script("return window.__marker;") == "same page"  # never reloaded
    assessment = Assessment.objects.get(organization_name="Browser Co")
    saved = dict(Answer.objects.filter(assessment=assessment).values_list("requirement__nist_id", "status"))
    assert saved == {"3.12.4": "met", "3.1.1": "met", "3.1.2": "met", "3.1.3": "na"}
    # No CSP violation, no script error, no failed request: the one entry is the refused N/A, as it should be.
    logged = severe_logs(browser)
    assert [(e["source"], "/answer/3.1.3/" in e["message"] and "422" in e["message"]) for e in logged] == [
        ("network", True)], logged

    # The key opens the assessment in a new session (another device).
    browser.delete_all_cookies()
    browser.get(f"{live_server.url}/a/resume/")
    css(browser, "input[name='recovery_key']").send_keys(key)
    click(browser, css(browser, "main form button"))
    wait(browser, lambda: browser.current_url.endswith(f"/a/{assessment.public_id}/"))
    assert "Answered 4 of 110" in css(browser, "#progress").text


def test_a_failed_save_says_not_saved_and_keeps_the_text(live_server, catalog_db, browser):
    browser.get_log("browser")
    start_through_the_form(browser, live_server.url)
    assessment = Assessment.objects.get(organization_name="Browser Co")
    browser.get(f"{live_server.url}/a/{assessment.public_id}/family/AC/")

    # The server cannot be reached.
    browser.execute_cdp_cmd("Network.enable", {})
    browser.execute_cdp_cmd("Network.emulateNetworkConditions", {
        "offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
    try:
        field(browser, "3.1.1", "note").send_keys("Typed while offline")
        click(browser, radio(browser, "3.1.1", "not_met"))
        wait(browser, lambda: save_state(browser, "3.1.1").startswith("Not saved — "))
        assert "could not be reached" in save_state(browser, "3.1.1")
    finally:
        browser.execute_cdp_cmd("Network.emulateNetworkConditions", {
            "offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
    assert field(browser, "3.1.1", "note").get_attribute("value") == "Typed while offline"
    assert radio(browser, "3.1.1", "not_met").is_selected()
    assert not Answer.objects.filter(assessment=assessment, requirement__nist_id="3.1.1").exists()
    # Back online, Save sends it all.
    click(browser, css(browser, "#req-3\\.1\\.1 button.btn-primary"))
    wait(browser, lambda: save_state(browser, "3.1.1") == "Saved")
    assert Answer.objects.get(assessment=assessment, requirement__nist_id="3.1.1").note == "Typed while offline"

    # The session expired (its cookie is gone): the server answers 404.
    browser.delete_cookie(settings.SESSION_COOKIE_NAME)
    field(browser, "3.1.2", "note").send_keys("Typed after the session ended")
    click(browser, radio(browser, "3.1.2", "met"))
    wait(browser, lambda: save_state(browser, "3.1.2").startswith("Not saved — "))
    assert "no longer has access" in save_state(browser, "3.1.2")
    assert field(browser, "3.1.2", "note").get_attribute("value") == "Typed after the session ended"
    assert not Answer.objects.filter(assessment=assessment, requirement__nist_id="3.1.2").exists()
    assert csp_violations(browser) == []


@contextmanager
def first_save_held(nist_id: str) -> Iterator[threading.Event]:
    """The live server holds the first save of ``nist_id`` before it reaches the view, until the event is set: the
    page's request is surely on its way while the test types (a network delay alone races a busy machine)."""
    arrived, release = threading.Event(), threading.Event()

    def hold(sender, environ, **kwargs) -> None:
        if (environ["REQUEST_METHOD"] == "POST" and environ["PATH_INFO"].endswith(f"/answer/{nist_id}/")
                and not arrived.is_set()):
            arrived.set()
            release.wait(30)

    request_started.connect(hold)
    try:
        yield release
    finally:
        release.set()
        request_started.disconnect(hold)


def test_what_is_typed_while_a_save_is_on_its_way_is_kept_and_saved_too(live_server, catalog_db, browser):
    start_through_the_form(browser, live_server.url)
    assessment = Assessment.objects.get(organization_name="Browser Co")
    browser.get(f"{live_server.url}/a/{assessment.public_id}/family/AC/")
    with first_save_held("3.1.1") as release:
        click(browser, radio(browser, "3.1.1", "not_met"))
        wait(browser, lambda: "Saving" in save_state(browser, "3.1.1"))
        # Typed while the first save is held; the reply then replaces the block, and the page keeps the text.
        field(browser, "3.1.1", "note").send_keys("Typed during the save")
        assert "Saving" in save_state(browser, "3.1.1")
        release.set()
        wait(browser, lambda: Answer.objects.filter(assessment=assessment, requirement__nist_id="3.1.1",
                                                    note="Typed during the save").exists(), timeout=15)
        wait(browser, lambda: save_state(browser, "3.1.1") == "Saved")
    assert field(browser, "3.1.1", "note").get_attribute("value") == "Typed during the save"
    answer = Answer.objects.get(assessment=assessment, requirement__nist_id="3.1.1")
    assert (answer.status, answer.version) == ("not_met", 2)
    assert csp_violations(browser) == []


def test_a_save_to_an_assessment_that_expired_meanwhile_says_so_and_keeps_the_text(live_server, catalog_db, browser):
    start_through_the_form(browser, live_server.url)
    assessment = Assessment.objects.get(organization_name="Browser Co")
    browser.get(f"{live_server.url}/a/{assessment.public_id}/family/AC/")
    long_ago = timezone.now() - timedelta(days=settings.ANONYMOUS_RETENTION_DAYS + 1)
    Assessment.objects.filter(pk=assessment.pk).update(updated_at=long_ago)

    field(browser, "3.1.1", "note").send_keys("Typed after it expired")
    click(browser, radio(browser, "3.1.1", "met"))
    wait(browser, lambda: save_state(browser, "3.1.1").startswith("Not saved — "))
    assert "has expired" in save_state(browser, "3.1.1")
    assert field(browser, "3.1.1", "note").get_attribute("value") == "Typed after it expired"
    assert not Answer.objects.filter(assessment=assessment, requirement__nist_id="3.1.1").exists()
