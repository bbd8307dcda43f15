import pytest
from selenium.webdriver.common.by import By

pytestmark = [pytest.mark.browser]


def test_catalog_page_opens_in_chromium_and_filters_to_level1(live_server, catalog_db, browser):
    browser.get(f"{live_server.url}/controls/")
    assert "110 requirements shown" in browser.find_element(By.TAG_NAME, "main").text
    browser.find_element(By.ID, "f-l1").click()
    browser.find_element(By.CSS_SELECTOR, "form[role=search] button").click()
    assert "17 requirements shown" in browser.find_element(By.TAG_NAME, "main").text
    # Bootstrap's stylesheet was served locally and applied (navbar is dark).
    navbar = browser.find_element(By.CSS_SELECTOR, "nav.navbar")
    assert navbar.value_of_css_property("background-color") != "rgba(0, 0, 0, 0)"
    logs = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert logs == [], logs
