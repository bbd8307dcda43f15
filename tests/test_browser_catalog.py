import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from controls.models import Requirement

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


def _filters(browser) -> dict:
    return browser.execute_script("""
        const form = document.querySelector('form[role=search]');
        return {family: form.family.value, points: form.points.value, q: form.q.value, level1: form.level1.checked};
    """)


def _listed(browser) -> list[str]:
    return browser.execute_script(
        "return [...document.querySelectorAll('main td.text-nowrap > a')].map(a => a.textContent.trim())")


def _is_new_page(browser, old_form) -> bool:
    try:
        old_form.is_displayed()
    except StaleElementReferenceException:
        return True
    return False


def test_each_filter_typed_and_chosen_is_applied_and_still_there_after_a_reload(live_server, catalog_db, browser):
    # The table of a filter is kept per catalog revision and a search's is not: whichever came before, each
    # submission lists its own rows, and the form keeps what was chosen and typed.
    requirements = list(Requirement.objects.select_related("family").order_by("position"))
    browser.get(f"{live_server.url}/controls/")
    steps = [
        ({"family": "IA", "points": "5"}, [r for r in requirements if r.family.code == "IA" and r.points == 5]),
        ({"family": "", "points": "", "q": "password"},
         [r for r in requirements if "password" in (r.text + r.cmmc_title).lower()]),
        ({"q": "", "level1": True}, [r for r in requirements if r.level1_id]),
        ({"family": "IA", "points": "5", "level1": False}, [r for r in requirements
                                                              if r.family.code == "IA" and r.points == 5]),
    ]
    expected_form = {"family": "", "points": "", "q": "", "level1": False}
    for changes, rows in steps:
        form = browser.find_element(By.CSS_SELECTOR, "form[role=search]")
        for name, value in changes.items():
            if name in ("family", "points"):
                Select(form.find_element(By.NAME, name)).select_by_value(value)
            elif name == "q":
                box = form.find_element(By.NAME, "q")
                box.clear()
                box.send_keys(value)
            elif form.find_element(By.NAME, "level1").is_selected() != value:
                browser.execute_script("arguments[0].click()", form.find_element(By.NAME, "level1"))
        expected_form |= changes
        browser.execute_script("arguments[0].click()", form.find_element(By.CSS_SELECTOR, "button"))
        shown = f"{len(rows)} requirement{'s' if len(rows) != 1 else ''} shown"
        WebDriverWait(browser, 10).until(lambda b, shown=shown, form=form: _is_new_page(b, form) and shown in
                                         _main_text(b))
        browser.refresh()
        WebDriverWait(browser, 10).until(lambda b, shown=shown: shown in _main_text(b))
        assert _filters(browser) == expected_form
        assert _listed(browser) == [r.nist_id for r in rows]
    logs = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert logs == [], logs
