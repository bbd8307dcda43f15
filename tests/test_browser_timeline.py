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


def fill(browser, name: str, value: str) -> None:
    field = css(browser, f"[name='{name}']")
    if field.get_attribute("type") == "date":
        # A date input takes its value as the browser shows it; set the ISO value the way a date picker does.
        browser.execute_script("arguments[0].value = arguments[1];", field, value)
        return
    field.clear()
    field.send_keys(value)


def test_recording_a_submission_and_an_affirmation_stores_them_and_the_deadlines_follow(
    live_server, catalog_db, browser
):
    from datetime import date

    from selenium.webdriver.support.ui import Select

    from timeline.models import Affirmation, Submission

    base = live_server.url
    assessment = start(browser, base, "Deadline Co")
    browser.get(f"{base}/a/{assessment.public_id}/submissions/")
    fill(browser, "submitted_on", "2026-01-12")
    fill(browser, "status_date", "2026-01-10")
    Select(css(browser, "select[name='status']")).select_by_value("l2_conditional")
    fill(browser, "score", "95")
    fill(browser, "cage_codes", "1abc2")
    fill(browser, "submitted_by", "Jo Smith")
    click(browser, css(browser, "[data-testid='submission-form'] button"))
    wait(browser, lambda: "recorded" in css(browser, "main").text)
    browser.refresh()
    submission = Submission.objects.get(assessment=assessment)
    assert (submission.status_date, submission.score, submission.cage_codes) == (date(2026, 1, 10), 95, "1ABC2")
    assert css(browser, "[data-testid='valid-until']").text == "2029-01-10"

    click(browser, css(browser, "a.nav-link[href$='/affirmations/']"))
    wait(browser, lambda: "/affirmations/" in browser.current_url)
    fill(browser, "official_name", "Jo Smith")
    fill(browser, "official_title", "CEO")
    fill(browser, "official_contact", "jo@example.test")
    fill(browser, "affirmed_on", "2026-02-01")
    # Conditional since 2026-01-10 with every requirement but the SSP open: past the 180 days, so the page warns
    # and the official must acknowledge it.
    assert "180-day POA&M closeout deadline of 2026-07-09" in css(browser, "[data-testid='warning-poam_overdue']").text
    click(browser, css(browser, "input[name='acknowledge']"))
    click(browser, css(browser, "[data-testid='affirmation-form'] button"))
    wait(browser, lambda: "Affirmation of 2026-02-01 recorded" in css(browser, "main").text)
    browser.refresh()
    affirmation = Affirmation.objects.get(assessment=assessment)
    assert (affirmation.official_title, affirmation.affirmed_on) == ("CEO", date(2026, 2, 1))
    assert "180-day" in affirmation.warnings
    assert "Jo Smith" in css(browser, "[data-testid='affirmations']").text

    click(browser, css(browser, "a.nav-link[href$='/calendar/']"))
    wait(browser, lambda: "/calendar/" in browser.current_url)
    assert css(browser, f"[data-testid='deadline-poam-closeout-{submission.pk}']").get_attribute("data-due") == (
        "2026-07-09")
    assert severe_logs(browser) == []
