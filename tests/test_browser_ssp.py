"""The SSP in a real Chromium: start it from an assessment, fill the identification step, generate a version and
download both files through the browser."""

import io
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from docx import Document
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from ssp.models import SspVersion, SystemSecurityPlan

from .ssp_helpers import pdf_pages

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def wait(browser, condition, timeout: float = 60):
    return WebDriverWait(browser, timeout, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda driver: condition())


def css(browser, selector: str):
    return browser.find_element(By.CSS_SELECTOR, selector)


def on(browser, selector: str, action) -> None:
    """Find the element and act on it in one step, again if the page replaced it in between (a stale element)
    or has not shown it yet: never an element found on one page and used on the next."""
    wait(browser, lambda: action(css(browser, selector)) or True, timeout=10)


def click(browser, selector: str) -> None:
    def scroll_and_click(element) -> None:
        browser.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'});", element)
        element.click()

    on(browser, selector, scroll_and_click)


def type_into(browser, selector: str, text: str) -> None:
    def clear_and_type(element) -> None:
        element.clear()
        element.send_keys(text)

    on(browser, selector, clear_and_type)


def arrive(browser, path_end: str) -> None:
    """Wait until the browser shows the page whose path ends with ``path_end``, fully loaded."""
    wait(browser, lambda: urlsplit(browser.current_url).path.endswith(path_end)
         and browser.execute_script("return document.readyState;") == "complete")


def downloaded(folder: Path, suffix: str, timeout: float = 60) -> bytes:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = [p for p in folder.glob(f"*{suffix}") if not p.name.endswith(".crdownload")]
        if done and not list(folder.glob("*.crdownload")):
            return done[0].read_bytes()
        time.sleep(0.2)
    raise AssertionError(f"no {suffix} downloaded into {folder}: {list(folder.iterdir())}")


def test_fill_the_identification_step_then_download_the_docx_and_pdf(live_server, catalog_db, browser, tmp_path):
    base = live_server.url
    browser.get(f"{base}/a/start/")
    browser.delete_all_cookies()
    browser.get(f"{base}/a/start/")
    type_into(browser, "input[name='organization_name']", "Browser Defense LLC")
    click(browser, "input[name='has_ssp'][value='yes']")
    click(browser, "main form button")
    wait(browser, lambda: "/key/" in browser.current_url)
    public_id = browser.current_url.rstrip("/").split("/")[-2]

    # From the assessment to its SSP through the links, then "Start".
    browser.get(f"{base}/a/{public_id}/")
    click(browser, f"main a[href='/a/{public_id}/ssp/']")
    arrive(browser, f"/a/{public_id}/ssp/")
    click(browser, f"form[action='/a/{public_id}/ssp/start/'] button")
    arrive(browser, "/ssp/identification/")
    assert SystemSecurityPlan.objects.filter(assessment__public_id=public_id).exists()

    # The identification step: a field error keeps everything typed, then a good save moves on.
    type_into(browser, "#id_system_name", "Browser CUI Enclave")
    type_into(browser, "#id_purpose", "Designs <parts> & drawings for the Navy.")
    type_into(browser, "input[name='security_officer-email']", "not an email")
    type_into(browser, "input[name='roles-0-role']", "Engineers")
    type_into(browser, "input[name='roles-0-users']", "9")
    type_into(browser, "input[name='roles-0-privileged_users']", "1")
    click(browser, "button[name='next']")
    wait(browser, lambda: "Enter a valid email address." in css(browser, "main").text)
    arrive(browser, "/ssp/identification/")
    assert css(browser, "#id_system_name").get_attribute("value") == "Browser CUI Enclave"
    assert css(browser, "#id_purpose").get_attribute("value") == "Designs <parts> & drawings for the Navy."
    type_into(browser, "input[name='security_officer-email']", "iso@example.com")
    click(browser, "button[name='next']")
    arrive(browser, "/ssp/environment/")

    # Generate version 1.0 from the overview (a draft: most descriptions are still starting text).
    click(browser, "ul[aria-label='SSP steps'] a[href$='/ssp/']")
    arrive(browser, f"/a/{public_id}/ssp/")
    assert css(browser, "#id_label").get_attribute("value") == "1.0"
    type_into(browser, "#id_made_by", "Pat Doe")
    click(browser, "form[action$='/ssp/generate/'] button")
    wait(browser, lambda: "Version 1.0 is generated" in css(browser, "main").text, timeout=180)
    arrive(browser, f"/a/{public_id}/ssp/")
    version = SspVersion.objects.get(ssp__assessment__public_id=public_id)

    # Download both files by clicking their links, into a folder of our own.
    browser.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)})
    try:
        click(browser, "[data-testid='versions'] a[href$='/versions/1/docx/']")
        docx = downloaded(tmp_path, ".docx")
        click(browser, "[data-testid='versions'] a[href$='/versions/1/pdf/']")
        pdf = downloaded(tmp_path, ".pdf")
    finally:
        browser.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "default"})
    assert docx == bytes(version.docx) and pdf == bytes(version.pdf)

    document = Document(io.BytesIO(docx))
    header = [p.text for p in document.sections[0].header.paragraphs]
    assert header[1].startswith("BROWSER CUI ENCLAVE SYSTEM SECURITY PLAN — Last updated") and header[-1] == "DRAFT"
    assert "Designs <parts> & drawings for the Navy." in [p.text for p in document.paragraphs]
    pages = pdf_pages(pdf)
    assert all("DRAFT" in page and "BROWSER CUI ENCLAVE SYSTEM SECURITY PLAN" in page for page in pages)
    assert "Designs <parts> & drawings for the Navy." in "".join(pages)
    # No script error and no CSP violation (the one network error is the deliberate 400 of the bad e-mail).
    severe = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"
              and "status of 400" not in entry["message"]]
    assert severe == [], severe
