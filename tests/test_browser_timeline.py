"""The over-time forms in a real Chromium with JavaScript on: each one filled in, submitted, the page reloaded and
what was stored checked, with no console error."""

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from assessments.models import Answer, Assessment
from timeline.models import Snapshot

pytestmark = [pytest.mark.browser]


def wait(browser, condition, timeout: float = 10):
    return WebDriverWait(browser, timeout, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda driver: condition())


def css(browser, selector: str):
    return browser.find_element(By.CSS_SELECTOR, selector)


def click(browser, element) -> None:
    browser.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'});", element)
    element.click()


def severe_logs(browser) -> list[dict]:
    return [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]


def start(browser, base: str, name: str = "Browser Co") -> Assessment:
    browser.get(f"{base}/a/start/")
    browser.delete_all_cookies()
    browser.get(f"{base}/a/start/")
    css(browser, "input[name='organization_name']").send_keys(name)
    click(browser, css(browser, "input[name='has_ssp'][value='yes']"))
    click(browser, css(browser, "main form button"))
    wait(browser, lambda: "/key/" in browser.current_url)
    return Assessment.objects.get(organization_name=name)


def test_taking_a_snapshot_from_the_overview_stores_it_and_it_stays_after_a_reload(live_server, catalog_db, browser):
    base = live_server.url
    assessment = start(browser, base)
    browser.get(f"{base}/a/{assessment.public_id}/")
    click(browser, css(browser, f"a[href='/a/{assessment.public_id}/snapshots/']"))
    wait(browser, lambda: browser.current_url.endswith("/snapshots/"))
    css(browser, "input[name='label']").send_keys("Before the firewall project")
    click(browser, css(browser, "[data-testid='snapshot-form'] button"))
    wait(browser, lambda: "Snapshot 1 taken" in css(browser, "main").text)
    snapshot = Snapshot.objects.get(assessment=assessment)
    assert snapshot.label == "Before the firewall project"
    # A later edit changes nothing in it; the reloaded page still lists it, and opening it shows what was frozen.
    Answer.objects.filter(assessment=assessment, requirement__nist_id="3.12.4").update(status="not_met")
    browser.refresh()
    assert "Before the firewall project" in css(browser, "[data-testid='snapshot-1']").text
    click(browser, css(browser, "[data-testid='snapshot-1'] a"))
    wait(browser, lambda: "/snapshots/1/" in browser.current_url)
    assert css(browser, "[data-testid='status-3.12.4']").text == "Met"
    assert severe_logs(browser) == []
