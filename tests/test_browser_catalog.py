import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

pytestmark = [pytest.mark.browser]


def _main_text(browser) -> str:
    return browser.execute_script("return document.querySelector('main').innerText")


def test_catalog_page_opens_in_chromium_and_filters_to_level1(live_server, catalog_db, browser):
    browser.get(f"{live_server.url}/controls/")
    assert "110 requirements shown" in _main_text(browser)
    # Clicked through JavaScript: Bootstrap's smooth scrolling makes native clicks miss on long pages.
    browser.execute_script("arguments[0].click()", browser.find_element(By.ID, "f-l1"))
    browser.execute_script("arguments[0].click()", browser.find_element(By.CSS_SELECTOR, "form[role=search] button"))
    # The submit is a full page load: wait for the new page rather than reading the old one.
    WebDriverWait(browser, 10).until(lambda b: "17 requirements shown" in _main_text(b))
    assert "level1=1" in browser.current_url
    # Bootstrap's stylesheet was served locally and applied (navbar is dark).
    navbar = browser.find_element(By.CSS_SELECTOR, "nav.navbar")
    assert navbar.value_of_css_property("background-color") != "rgba(0, 0, 0, 0)"
    logs = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert logs == [], logs
