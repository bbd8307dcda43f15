"""Browser checks (security check 24) in a real Chromium against live_server: no Referer and no request to another
origin, a stored script payload stays text, nothing in browser storage. The "not saved" and conflict journeys are in
test_browser_questionnaire.py."""

import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.urls import reverse
from selenium.webdriver.common.by import By

from assessments.models import Answer, Assessment

from .personas import PASSWORD, make_assessment, make_org, make_user, totp_now
from .test_browser_questionnaire import (
    click,
    csp_violations,
    css,
    field,
    radio,
    save_state,
    start_through_the_form,
    wait,
)

pytestmark = [pytest.mark.browser]

PAYLOAD = "<img src=x onerror=window.__pwned=1>"


class Recorder(BaseHTTPRequestHandler):
    """A second local origin: remembers the path and Referer of every request it gets."""

    seen: list[tuple[str, str | None]]

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        self.server.seen.append((self.path, self.headers.get("Referer")))  # type: ignore[attr-defined]
        body = b"<!doctype html><title>elsewhere</title><p>elsewhere</p>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def other_origin() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.2", 0), Recorder)
    server.seen = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def hosts_requested(browser) -> set[str]:
    """Every origin this document loaded anything from (itself, CSS, JS, images, htmx requests)."""
    urls = browser.execute_script(
        "return performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource'))"
        ".map(e => e.name);")
    assert urls
    return {urlsplit(url).netloc for url in urls}


def test_an_assessment_page_sends_no_referer_to_another_origin_and_loads_nothing_from_one(
    live_server, catalog_db, browser, other_origin
):
    own_host = urlsplit(live_server.url).netloc
    start_through_the_form(browser, live_server.url)
    assessment = Assessment.objects.get(organization_name="Browser Co")
    overview = f"{live_server.url}/a/{assessment.public_id}/"
    browser.get(overview)
    assert hosts_requested(browser) == {own_host}
    # Same-origin navigation keeps the referrer (why "same-origin", not "no-referrer": README, Security).
    click(browser, css(browser, "#progress a"))
    wait(browser, lambda: "/family/AC/" in browser.current_url)
    assert browser.execute_script("return document.referrer;") == overview
    policy = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch(location.href).then(r => done(r.headers.get('Referrer-Policy')), e => done(String(e)));")
    assert policy == "same-origin"
    click(browser, radio(browser, "3.1.1", "met"))
    wait(browser, lambda: save_state(browser, "3.1.1") == "Saved")
    assert hosts_requested(browser) == {own_host}  # the page, its static files and the htmx save

    # A link in the page to another origin (as a user's note or the guidance could hold one).
    host, port = other_origin.server_address[:2]
    elsewhere = f"http://{host}:{port}/landing"
    browser.execute_script(
        "const a = document.createElement('a'); a.href = arguments[0]; a.id = 'elsewhere'; a.textContent = 'x';"
        "document.querySelector('main').append(a); a.click();", elsewhere)
    wait(browser, lambda: browser.current_url == elsewhere)
    assert ("/landing", None) in other_origin.seen
    # Later requests (its favicon) carry its own address at most, never ours.
    assert not [seen for seen in other_origin.seen if own_host in (seen[1] or "")], other_origin.seen
    assert browser.execute_script("return document.referrer;") == ""


def test_a_script_payload_in_a_note_stays_text_and_nothing_is_kept_in_browser_storage(
    live_server, catalog_db, browser
):
    browser.get_log("browser")  # drop what earlier tests left
    start_through_the_form(browser, live_server.url)
    assessment = Assessment.objects.get(organization_name="Browser Co")
    base = f"{live_server.url}/a/{assessment.public_id}"
    browser.get(f"{base}/family/AC/")
    field(browser, "3.1.1", "note").send_keys(PAYLOAD)
    click(browser, radio(browser, "3.1.1", "not_met"))
    wait(browser, lambda: save_state(browser, "3.1.1") == "Saved")
    assert Answer.objects.get(assessment=assessment, requirement__nist_id="3.1.1").note == PAYLOAD

    def assert_inert() -> None:
        assert browser.execute_script("return document.querySelectorAll('img[src=\"x\"]').length;") == 0
        assert browser.execute_script("return typeof window.__pwned;") == "undefined"

    # The htmx reply re-rendered the block with the stored note; then a full page load of the same page.
    assert field(browser, "3.1.1", "note").get_attribute("value") == PAYLOAD
    assert_inert()
    browser.get(f"{base}/family/AC/")
    assert field(browser, "3.1.1", "note").get_attribute("value") == PAYLOAD
    assert_inert()
    # The note printed as table text.
    browser.get(f"{base}/answer/3.1.1/history/")
    assert PAYLOAD in browser.find_element(By.TAG_NAME, "main").text
    assert_inert()
    # Nothing escaped, so the CSP had nothing to block.
    assert csp_violations(browser) == []

    # (d) Nothing was kept in the browser's storage for this origin: not what the user typed, not a page snapshot,
    # not even the path htmx notes when it loads (app.js removes it).
    local, session = browser.execute_script(
        "return [Object.entries(localStorage), Object.entries(sessionStorage)];")
    assert (local, session) == ([], [])


def test_markup_that_got_into_the_page_anyway_runs_no_script_and_the_violation_is_reported(
    live_server, catalog_db, browser, caplog
):
    """The second line of defence: if escaping ever failed, the CSP (no inline handlers) still stops the payload.
    The browser says so in its console and posts a report, which the server logs (cmmc_site/csp_report.py)."""
    caplog.set_level(logging.INFO, logger="security")
    start_through_the_form(browser, live_server.url)
    assessment = Assessment.objects.get(organization_name="Browser Co")
    browser.get(f"{live_server.url}/a/{assessment.public_id}/family/AC/")
    browser.get_log("browser")  # drop what came before
    browser.execute_script("document.querySelector('main').insertAdjacentHTML('beforeend', arguments[0]);", PAYLOAD)
    logged: list[dict] = []

    def violation_reported() -> bool:
        logged.extend(browser.get_log("browser"))
        return any("Content Security Policy" in entry["message"] for entry in logged)

    wait(browser, violation_reported)
    assert browser.execute_script("return typeof window.__pwned;") == "undefined"

    def server_logged() -> list[str]:
        return [r.getMessage() for r in caplog.records if "event=csp_violation" in r.getMessage()]

    wait(browser, server_logged)
    line = server_logged()[0]
    assert f"page=/a/{assessment.public_id}/family/AC/" in line and "directive=script-src" in line, line


def sign_in_through_the_pages(browser, base: str, user) -> None:
    """Password, then the TOTP step, as a person does it."""
    browser.get(f"{base}{reverse('account_login')}")
    css(browser, "input[name='login']").send_keys(user.email)
    css(browser, "input[name='password']").send_keys(PASSWORD)
    click(browser, css(browser, "main form button[type='submit']"))
    wait(browser, lambda: reverse("mfa_authenticate") in browser.current_url)
    css(browser, "input[name='code']").send_keys(totp_now(user))
    click(browser, css(browser, "main form button[type='submit']"))
    wait(browser, lambda: reverse("mfa_authenticate") not in browser.current_url)


def test_signing_in_in_another_tab_does_not_break_the_next_save_in_this_one(live_server, catalog_db, browser):
    """(c) Django replaces the CSRF token at sign-in; pages opened before still save (app.js sends the fresh one)."""
    user = make_user("tabs@acme.test")
    start_through_the_form(browser, live_server.url)
    assessment = Assessment.objects.get(organization_name="Browser Co")
    base = f"{live_server.url}/a/{assessment.public_id}"
    key_tab = browser.current_window_handle
    browser.get(f"{base}/key/")  # a page with a plain (non-htmx) form
    browser.switch_to.new_window("tab")
    family_tab = browser.current_window_handle
    browser.get(f"{base}/family/AC/")
    token_before = browser.get_cookie(settings.CSRF_COOKIE_NAME)["value"]
    browser.switch_to.new_window("tab")
    sign_in_through_the_pages(browser, live_server.url, user)
    assert browser.get_cookie(settings.CSRF_COOKIE_NAME)["value"] != token_before  # the token really changed
    browser.close()

    # The htmx save from the page loaded before signing in.
    browser.switch_to.window(family_tab)
    field(browser, "3.1.1", "note").send_keys("Saved after signing in elsewhere")
    click(browser, radio(browser, "3.1.1", "met"))
    wait(browser, lambda: save_state(browser, "3.1.1") == "Saved" or save_state(browser, "3.1.1").startswith("Not"))
    assert save_state(browser, "3.1.1") == "Saved"
    assert Answer.objects.get(assessment=assessment, requirement__nist_id="3.1.1").note == (
        "Saved after signing in elsewhere")
    assert csp_violations(browser) == []
    browser.close()

    # A plain form on a page loaded before signing in: its hidden token is refreshed as it is sent.
    browser.switch_to.window(key_tab)
    old_hash = Assessment.objects.get(pk=assessment.pk).recovery_key_hash
    click(browser, css(browser, "main form.my-3 button"))
    wait(browser, lambda: css(browser, "#recovery-key").text)
    assert Assessment.objects.get(pk=assessment.pk).recovery_key_hash not in ("", old_hash)


def test_a_save_over_a_change_made_in_another_tab_shows_both_versions_and_keeps_what_was_typed(
    live_server, catalog_db, browser
):
    """(c) Two tabs on one family page; the second saves first; the first sees the conflict, nothing is overwritten."""
    start_through_the_form(browser, live_server.url)
    assessment = Assessment.objects.get(organization_name="Browser Co")
    page = f"{live_server.url}/a/{assessment.public_id}/family/AC/"
    browser.get(page)
    first_tab = browser.current_window_handle
    browser.switch_to.new_window("tab")
    try:
        browser.get(page)
        field(browser, "3.1.1", "note").send_keys("From the second tab")
        click(browser, radio(browser, "3.1.1", "not_met"))
        wait(browser, lambda: save_state(browser, "3.1.1") == "Saved")
        browser.close()
    finally:
        browser.switch_to.window(first_tab)

    field(browser, "3.1.1", "note").send_keys("From the first tab")
    click(browser, radio(browser, "3.1.1", "met"))
    wait(browser, lambda: save_state(browser, "3.1.1").startswith("Not saved"))
    assert "changed elsewhere" in save_state(browser, "3.1.1")
    assert "From the second tab" in css(browser, "[data-testid='conflict-saved-3.1.1']").text
    assert field(browser, "3.1.1", "note").get_attribute("value") == "From the first tab"
    answer = Answer.objects.get(assessment=assessment, requirement__nist_id="3.1.1")
    assert (answer.status, answer.note) == ("not_met", "From the second tab")
    assert csp_violations(browser) == []


def test_after_signing_out_back_shows_no_assessment_data_and_the_site_storage_is_cleared(
    live_server, catalog_db, browser
):
    """(e) Sign-out sends Clear-Site-Data and every assessment page is no-store, so Back asks the server again."""
    user = make_user("leaver@acme.test")
    assessment = make_assessment(make_org("Acme", owner=[user]), "Confidential Widgets LLC")
    browser.get(f"{live_server.url}/")
    browser.delete_all_cookies()
    sign_in_through_the_pages(browser, live_server.url, user)
    overview = f"{live_server.url}/a/{assessment.public_id}/"
    browser.get(overview)
    assert "Confidential Widgets LLC" in browser.page_source
    browser.execute_script("sessionStorage.setItem('left-behind', '1'); localStorage.setItem('left-behind', '1');")

    click(browser, browser.find_element(By.XPATH, "//nav//button[normalize-space()='Sign out']"))
    wait(browser, lambda: browser.current_url != overview)
    assert browser.execute_script("return [sessionStorage.length, localStorage.length];") == [0, 0]
    assert not browser.get_cookie(settings.SESSION_COOKIE_NAME)

    browser.back()
    wait(browser, lambda: browser.current_url == overview and browser.execute_script(
        "return document.readyState;") == "complete")
    assert "Confidential Widgets LLC" not in browser.page_source
    assert "note for 3.1.1" not in browser.page_source
