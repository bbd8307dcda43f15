"""A new user's way to a first score, in a real Chromium, counted: from the home page, through the start form and
the recovery key, answering every family (the requirements they know are not met, then the rest met), to the
results. Each click, each request the server answers and the time it takes are counted; the test pins the clicks.

What the person knows: three requirements are not met (1 point each, all allowed on a POA&M), everything else is.
So the first score is 107 and the status Level 2 Conditional.
"""

import time
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest
from django.core.signals import request_started
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from assessments.models import Answer, Assessment
from assessments.records import score_assessment

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NOT_MET = ("3.1.3", "3.3.8", "3.4.9")
# home → Start; Yes, we have an SSP; Start; the key page's button to the questions; per family "answer the rest
# met…" and its confirmation (14 families × 2); one radio per requirement known not to be met.
CLICKS_TO_FIRST_SCORE = 1 + 2 + 1 + 14 * 2 + len(NOT_MET)


@dataclass
class Journey:
    driver: object
    clicks: int = 0
    typed: int = 0
    pages: list[str] = field(default_factory=list)

    def find(self, selector: str) -> WebElement:
        return self.driver.find_element(By.CSS_SELECTOR, selector)

    def wait(self, condition, timeout: float = 30):
        return WebDriverWait(self.driver, timeout, ignored_exceptions=(StaleElementReferenceException,)).until(
            lambda driver: condition())

    def click(self, element: WebElement) -> None:
        self.driver.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'});", element)
        element.click()
        self.clicks += 1

    def click_to_load(self, element: WebElement) -> None:
        page = self.find("html")
        self.click(element)
        WebDriverWait(self.driver, 60, ignored_exceptions=(WebDriverException,)).until(
            expected_conditions.staleness_of(page))
        self.wait(lambda: self.driver.execute_script("return document.readyState") == "complete")
        self.pages.append(self.driver.current_url)

    def type(self, element: WebElement, text: str) -> None:
        element.send_keys(text)
        self.typed += len(text)

    def saved(self, nist_id: str) -> bool:
        return self.find(f"[data-testid='save-state-{nist_id}']").text == "Saved"

    def answer(self, nist_id: str, status: str) -> None:
        self.click(self.find(f"input[name='r{nist_id.replace('.', '-')}-status'][value='{status}']"))
        self.wait(lambda: self.saved(nist_id))


@contextmanager
def counting_requests():
    seen: list[str] = []

    def count(sender, environ, **kwargs) -> None:
        if not environ["PATH_INFO"].startswith("/static/"):
            seen.append(f"{environ['REQUEST_METHOD']} {environ['PATH_INFO']}")

    request_started.connect(count)
    try:
        yield seen
    finally:
        request_started.disconnect(count)


def answer_this_family(journey: Journey) -> None:
    """The ones known not to be met, one click each; then the rest met (or, without that action, one by one)."""
    blocks = [b.get_attribute("id").removeprefix("req-")
              for b in journey.driver.find_elements(By.CSS_SELECTOR, ".requirement-block")]
    for nist_id in blocks:
        if nist_id in NOT_MET:
            journey.answer(nist_id, "not_met")
    try:
        rest = journey.find("[data-testid='rest-met-link']")
    except NoSuchElementException:
        rest = None
    if rest is not None:
        journey.click_to_load(rest)
        journey.click_to_load(journey.find("[data-testid='confirm-rest-met']"))
        return
    for nist_id in blocks:  # the page as it was before "answer the rest met": every answer by hand
        unanswered = journey.driver.find_elements(
            By.CSS_SELECTOR, f"input[name='r{nist_id.replace('.', '-')}-status'][value='']:checked")
        if unanswered:
            journey.answer(nist_id, "met")
    nav = journey.driver.find_elements(By.CSS_SELECTOR, "nav[aria-label='Families'] a.btn-primary")
    journey.click_to_load(nav[-1])


def test_a_new_user_reaches_a_first_score_in_few_clicks(live_server, catalog_db, browser):
    browser.delete_all_cookies()
    journey = Journey(browser)
    with counting_requests() as requests:
        started = time.monotonic()
        browser.get(f"{live_server.url}/")
        journey.click_to_load(journey.driver.find_element(By.LINK_TEXT, "Start a self-assessment"))
        journey.type(journey.find("input[name='organization_name']"), "First Score Co")
        journey.click(journey.find("input[name='has_ssp'][value='yes']"))
        journey.click_to_load(journey.find("main form button"))
        assert "/key/" in browser.current_url
        journey.click_to_load(journey.find("main a.btn-primary"))
        if "/family/" not in browser.current_url:  # the overview first: its first family
            journey.click_to_load(journey.find("#progress a"))
        while "/results/" not in browser.current_url:
            assert "/family/" in browser.current_url, browser.current_url
            answer_this_family(journey)
        score = journey.find("[data-testid='score']").text
        elapsed = time.monotonic() - started
    print(f"\nfirst score {score}: {journey.clicks} clicks, {journey.typed} characters typed, "
          f"{len(requests)} requests, {len(journey.pages)} pages, {elapsed:.1f} s")

    assert score == "107"
    assert journey.find("[data-testid='outcome']").text == "Level 2 Conditional"
    assessment = Assessment.objects.get(organization_name="First Score Co")
    stored = dict(Answer.objects.filter(assessment=assessment).values_list("requirement__nist_id", "status"))
    assert len(stored) == 110
    assert {n for n, s in stored.items() if s != "met"} == set(NOT_MET)
    assert score_assessment(assessment).score == 107
    assert journey.clicks == CLICKS_TO_FIRST_SCORE
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []
