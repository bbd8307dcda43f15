"""Accounts and organisations in a real Chromium, through the pages only: sign up to a first saved answer, claiming
an anonymous assessment after sign-in, and an invitation accepted by a viewer who then reads but cannot change.

What a person reads outside the browser is read here too: the emails from the test outbox (live_server runs in this
process with Django's locmem backend) and the TOTP codes from the secret, as an authenticator app computes them.
"""

import re
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from selenium.webdriver.common.by import By

from assessments.models import Answer, Assessment
from assessments.records import score_assessment

from .personas import PASSWORD, make_assessment, make_org, make_user, totp_code, totp_now
from .test_browser_questionnaire import click, css, field, radio, save_state, start_through_the_form, wait
from .test_browser_security import sign_in_through_the_pages

pytestmark = [pytest.mark.browser]


@pytest.fixture(autouse=True)
def locmem_mail() -> None:
    # The emails below are read from mail.outbox: make sure that is where the app sends them.
    assert {m["BACKEND"] for m in settings.MAILERS.values()} == {"django.core.mail.backends.locmem.EmailBackend"}


@pytest.fixture(autouse=True)
def links_to_the_live_server(live_server, settings) -> None:
    # Emailed links are built from SITE_URL, never from the request (cmmc_site/links.py): here, the live server.
    settings.SITE_URL = live_server.url


def console_problems(browser, *allowed: str) -> list[dict]:
    """CSP violations and SEVERE entries in the console since it was last read, except those whose message holds
    one of ``allowed`` (a deliberate 404 or 400). Reading the log drains it."""
    return [
        entry for entry in browser.get_log("browser")
        if ("Content Security Policy" in entry["message"] or entry["level"] == "SEVERE")
        and not any(text in entry["message"] for text in allowed)
    ]


def link_in(message, path_prefix: str) -> str:
    """The one link to ``path_prefix`` in an email, as a person would click it."""
    links = re.findall(rf"https?://\S+{re.escape(path_prefix)}\S+", message.body)
    assert len(links) == 1, message.body
    return links[0]


def submit(browser) -> None:
    click(browser, css(browser, "main form button[type='submit']"))


def nav_button(browser, text: str):
    return browser.find_element(By.XPATH, f"//nav//*[self::a or self::button][normalize-space()='{text}']")


def main_link(browser, text: str):
    return browser.find_element(By.XPATH, f"//main//a[normalize-space()='{text}']")


def arrive(browser, path: str) -> None:
    """Wait until the browser shows the page at ``path`` (any query string), fully loaded."""
    wait(browser, lambda: urlsplit(browser.current_url).path == path
         and browser.execute_script("return document.readyState;") == "complete")


def sign_out(browser) -> None:
    click(browser, nav_button(browser, "Sign out"))
    arrive(browser, reverse("home"))
    nav_button(browser, "Sign in")  # the navigation says so


def dashboard_row(browser, assessment_name: str) -> dict[str, str]:
    row = browser.find_element(By.XPATH, f"//main//tr[td/a[normalize-space()='{assessment_name}']]")
    cells = [cell.text for cell in row.find_elements(By.TAG_NAME, "td")]
    outcome = row.find_element(By.CSS_SELECTOR, "td[data-outcome]").get_attribute("data-outcome")
    return {"level": cells[1], "score": cells[2], "status": cells[3], "answered": cells[4], "outcome": outcome}


def test_a_new_user_signs_up_confirms_enrols_totp_and_saves_a_first_answer_in_their_organisation(
    live_server, catalog_db, browser
):
    base = live_server.url
    email = "first@newco.test"
    browser.get(f"{base}/")
    browser.delete_all_cookies()
    browser.get(f"{base}/")
    click(browser, nav_button(browser, "Create account"))
    arrive(browser, reverse("account_signup"))
    css(browser, "input[name='email']").send_keys(email)
    css(browser, "input[name='password1']").send_keys(PASSWORD)
    css(browser, "input[name='password2']").send_keys(PASSWORD)
    submit(browser)
    arrive(browser, reverse("account_email_verification_sent"))
    assert "confirm" in css(browser, "main").text.lower()

    # The confirmation email: its link, opened in the browser, asks for a click (a GET changes nothing).
    assert [m.to for m in mail.outbox] == [[email]]
    browser.get(link_in(mail.outbox[0], "/accounts/confirm-email/"))
    assert email in css(browser, "main").text
    submit(browser)
    arrive(browser, reverse("account_login"))

    css(browser, "input[name='login']").send_keys(email)
    css(browser, "input[name='password']").send_keys(PASSWORD)
    submit(browser)
    # No TOTP yet: the account opens nothing but the enrolment page, which (like every change of authenticator)
    # first asks for the password again, and says why.
    arrive(browser, reverse("account_reauthenticate"))
    assert "Two-factor authentication is required" in css(browser, "main").text
    css(browser, "input[name='password']").send_keys(PASSWORD)
    submit(browser)
    arrive(browser, reverse("mfa_activate_totp"))
    secret = css(browser, "#authenticator_secret").get_attribute("value")
    assert re.fullmatch(r"[A-Z2-7]{16,}", secret), secret
    assert css(browser, "img.totp-qr").get_attribute("src").startswith("data:image/svg+xml")
    css(browser, "input[name='code']").send_keys(totp_code(secret))
    submit(browser)
    arrive(browser, reverse("mfa_view_recovery_codes"))
    codes = css(browser, "#recovery_codes").get_attribute("value").split()
    assert len(codes) == 10 and len(set(codes)) == 10, codes
    click(browser, main_link(browser, "I have saved them, continue"))
    arrive(browser, reverse("orgs:dashboard"))

    click(browser, main_link(browser, "Create your organisation"))
    arrive(browser, reverse("orgs:create"))
    css(browser, "input[name='name']").send_keys("NewCo")
    submit(browser)
    arrive(browser, reverse("orgs:dashboard"))
    assert "Created NewCo. You are its owner." in css(browser, "main").text
    assert "owner" in css(browser, "main section h2").text

    click(browser, main_link(browser, "New assessment"))
    arrive(browser, reverse("assessments:start"))
    assert "Saved in NewCo" in css(browser, "main").text
    css(browser, "input[name='organization_name']").send_keys("NewCo Defense")
    click(browser, css(browser, "input[name='has_ssp'][value='yes']"))
    click(browser, css(browser, "main form button"))
    assessment = wait(browser, lambda: Assessment.objects.filter(organization_name="NewCo Defense").first())
    # Saved in the organisation: straight to its overview, never to a recovery-key page.
    arrive(browser, reverse("assessments:overview", args=[assessment.public_id]))
    assert "Started in NewCo" in css(browser, "main").text
    assert assessment.organization.name == "NewCo" and not assessment.recovery_key_hash

    click(browser, css(browser, "#progress a"))  # the first family: Access Control
    arrive(browser, reverse("assessments:family", args=[assessment.public_id, "AC"]))
    click(browser, radio(browser, "3.1.1", "met"))
    wait(browser, lambda: save_state(browser, "3.1.1") == "Saved")
    score_on_page = css(browser, "#score-box [data-testid='score']").text
    assert Answer.objects.get(assessment=assessment, requirement__nist_id="3.1.1").status == "met"

    click(browser, nav_button(browser, "Dashboard"))
    arrive(browser, reverse("orgs:dashboard"))
    row = dashboard_row(browser, "NewCo Defense")
    result = score_assessment(assessment)
    assert row["score"] == score_on_page == str(result.score)
    assert row["outcome"] == result.outcome and row["status"]
    assert row["answered"] == f"2 / {result.total}"  # 3.12.4 from the intake, and 3.1.1
    assert console_problems(browser) == []

    sign_out(browser)
    browser.get(f"{base}{reverse('orgs:dashboard')}")
    arrive(browser, reverse("account_login"))
    assert console_problems(browser) == []


def test_an_anonymous_assessment_is_claimed_after_sign_in_and_its_recovery_key_stops_working(
    live_server, catalog_db, browser
):
    base = live_server.url
    user = make_user("claimer@acme.test")
    make_org("Acme", owner=[user])
    # start_through_the_form deletes the cookies first: a fresh anonymous visitor.
    key = start_through_the_form(browser, base)
    assessment = Assessment.objects.get(organization_name="Browser Co")
    click(browser, css(browser, "a.btn-primary[href$='/']"))  # Continue to the questions: Access Control
    arrive(browser, reverse("assessments:family", args=[assessment.public_id, "AC"]))
    field(browser, "3.1.1", "note").send_keys("Badge readers at both doors")
    click(browser, radio(browser, "3.1.1", "not_met"))
    wait(browser, lambda: save_state(browser, "3.1.1") == "Saved")

    sign_in_through_the_pages(browser, base, user)
    # Signing in lands on the offer to keep this browser's assessment.
    arrive(browser, reverse("orgs:claim"))
    offered = css(browser, "input[name='assessments'][type='checkbox']")
    assert offered.is_selected() and "Browser Co" in css(browser, "main form").text
    assert css(browser, "input[name='organization'][type='radio']").is_selected()  # Acme, preselected
    submit(browser)
    arrive(browser, reverse("orgs:dashboard"))
    assert "Moved 1 assessment into Acme" in css(browser, "main").text
    assert dashboard_row(browser, "Browser Co")["answered"].startswith("2 / ")
    assert "This browser holds" not in css(browser, "main").text  # nothing left to claim

    click(browser, main_link(browser, "Browser Co"))
    arrive(browser, reverse("assessments:overview", args=[assessment.public_id]))
    assert not browser.find_elements(By.XPATH, "//main//a[normalize-space()='Recovery key']")
    browser.get(f"{base}{reverse('assessments:family', args=[assessment.public_id, 'AC'])}")
    assert radio(browser, "3.1.1", "not_met").is_selected()
    assert field(browser, "3.1.1", "note").get_attribute("value") == "Badge readers at both doors"
    assert console_problems(browser) == []

    # The anonymous ways in are closed: the recovery key no longer opens it, nor does its address without sign-in.
    sign_out(browser)
    browser.get(f"{base}{reverse('assessments:resume')}")
    css(browser, "input[name='recovery_key']").send_keys(key)
    click(browser, css(browser, "main form button"))
    wait(browser, lambda: "No assessment has this key" in css(browser, "main").text)
    browser.get(f"{base}{reverse('assessments:overview', args=[assessment.public_id])}")
    assert "Browser Co" not in browser.page_source
    assert console_problems(browser, "status of 400", "status of 404") == []


def test_an_invited_viewer_accepts_by_email_and_reads_the_answers_without_being_able_to_change_them(
    live_server, catalog_db, browser
):
    base = live_server.url
    owner = make_user("owner@acme.test")
    viewer = make_user("auditor@example.test")
    acme = make_org("Acme", owner=[owner])
    assessment = make_assessment(acme, "Acme Widgets")

    browser.get(f"{base}/")
    browser.delete_all_cookies()
    sign_in_through_the_pages(browser, base, owner)
    arrive(browser, reverse("orgs:dashboard"))
    click(browser, main_link(browser, "Members"))
    arrive(browser, reverse("orgs:members", args=[acme.public_id]))
    css(browser, "input[name='email']").send_keys(viewer.email)
    click(browser, css(browser, "input[name='role'][value='viewer']"))
    click(browser, browser.find_element(By.XPATH, "//main//button[normalize-space()='Send invitation']"))
    wait(browser, lambda: f"Invitation sent to {viewer.email}" in css(browser, "main").text)
    assert f"{viewer.email} · viewer" in css(browser, "main").text  # listed as open
    assert [m.to for m in mail.outbox] == [[viewer.email]]
    invitation_link = link_in(mail.outbox[0], "/invitations/")
    assert console_problems(browser) == []
    sign_out(browser)

    # The invited person, in a browser session of their own.
    browser.delete_all_cookies()
    browser.get(invitation_link)
    assert "as Viewer" in css(browser, "main").text
    click(browser, main_link(browser, "Sign in"))
    arrive(browser, reverse("account_login"))
    css(browser, "input[name='login']").send_keys(viewer.email)
    css(browser, "input[name='password']").send_keys(PASSWORD)
    submit(browser)
    arrive(browser, reverse("mfa_authenticate"))
    css(browser, "input[name='code']").send_keys(totp_now(viewer))
    submit(browser)
    # Back on the invitation, now with the button to accept it.
    arrive(browser, urlsplit(invitation_link).path)
    click(browser, browser.find_element(By.XPATH, "//main//button[normalize-space()='Accept and join']"))
    arrive(browser, reverse("orgs:dashboard"))
    assert "You joined Acme." in css(browser, "main").text
    assert "viewer" in css(browser, "main section h2").text
    assert not browser.find_elements(By.XPATH, "//main//a[normalize-space()='New assessment']")

    click(browser, main_link(browser, "Acme Widgets"))
    arrive(browser, reverse("assessments:overview", args=[assessment.public_id]))
    for owner_or_editor_only in ("Activity", "Delete"):
        assert not browser.find_elements(By.XPATH, f"//main//a[normalize-space()='{owner_or_editor_only}']")
    click(browser, css(browser, "#progress a"))
    arrive(browser, reverse("assessments:family", args=[assessment.public_id, "AC"]))
    # Read-only: the saved answers are shown, nothing can be changed, and the page says why.
    assert "only editors and owners can change" in css(browser, "main").text
    assert radio(browser, "3.1.1", "met").is_selected() and not radio(browser, "3.1.1", "met").is_enabled()
    assert not radio(browser, "3.1.2", "met").is_enabled()
    assert field(browser, "3.1.1", "note").get_attribute("value") == "note for 3.1.1"
    assert not field(browser, "3.1.1", "note").is_enabled()
    assert not browser.find_elements(By.CSS_SELECTOR, "#req-3\\.1\\.1 button")
    assert not browser.find_elements(By.XPATH, "//main//a[normalize-space()='History']")  # editors only
    assert console_problems(browser) == []
