"""At a phone's size (390 × 844) in a real Chromium: the menu folds behind a button that opens it (Bootstrap's own
script, under the strict CSP), and stays open without JavaScript; a wide table scrolls inside its own box, which
the keyboard can scroll too. Every page's width is checked in test_browser_every_page.py."""

from collections.abc import Iterator

import pytest
from django.urls import reverse
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys

from .test_browser_questionnaire import wait

pytestmark = [pytest.mark.browser]

PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": False}
MENU = """
const menu = document.getElementById('main-nav'), toggler = document.querySelector('.navbar-toggler');
const signIn = [...menu.querySelectorAll('a')].find(a => a.textContent.trim() === 'Sign in');
const visible = el => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
return {toggler: visible(toggler), expanded: toggler.getAttribute('aria-expanded'), links: visible(signIn),
        linkBottom: signIn.getBoundingClientRect().bottom, active: document.activeElement.textContent.trim(),
        wide: document.documentElement.scrollWidth > window.innerWidth, moving: menu.classList.contains('collapsing')};
"""


def at_phone_size(driver) -> Iterator[object]:
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)
    yield driver
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


@pytest.fixture
def phone(browser):
    yield from at_phone_size(browser)


@pytest.fixture
def phone_without_js(browser_without_js):
    yield from at_phone_size(browser_without_js)


def menu_opened(driver, opened: bool = True) -> None:
    """Wait until the menu is open (or closed) and its animation is over: Bootstrap ignores a toggle meanwhile."""
    def settled() -> bool:
        menu = driver.execute_script(MENU)
        return menu["links"] is opened and menu["expanded"] == str(opened).lower() and not menu["moving"]
    wait(driver, settled)


def press(driver, *keys: str) -> None:
    """Keys sent to whatever has the focus, as a person types them."""
    ActionChains(driver).send_keys(*keys).perform()


def shift_tab(driver) -> None:
    ActionChains(driver).key_down(Keys.SHIFT).send_keys(Keys.TAB).key_up(Keys.SHIFT).perform()


def console_problems(driver) -> list[dict]:
    return [entry for entry in driver.get_log("browser")
            if entry["level"] == "SEVERE" or "Content Security Policy" in entry["message"]]


def test_the_menu_folds_behind_a_button_that_the_keyboard_opens(live_server, phone):
    phone.get(live_server.url + reverse("guidance:index"))
    menu = phone.execute_script(MENU)
    assert (menu["toggler"], menu["expanded"], menu["links"], menu["wide"]) == (True, "false", False, False)

    press(phone, Keys.TAB, Keys.TAB, Keys.TAB)  # "Skip to content", the brand, the menu button
    assert phone.execute_script(MENU)["active"] == ""  # the button (an icon; its name is its aria-label)
    assert phone.execute_script("return document.activeElement.getAttribute('aria-label')") == "Menu"
    press(phone, Keys.ENTER)
    menu_opened(phone)
    assert phone.execute_script(MENU)["linkBottom"] <= PHONE["height"]  # opened below the bar, on the screen

    press(phone, Keys.TAB)  # into the menu: its first link
    assert phone.execute_script(MENU)["active"] == "Assess"
    shift_tab(phone)  # back to the button, which closes it
    press(phone, Keys.ENTER)
    menu_opened(phone, False)

    press(phone, Keys.ENTER)
    menu_opened(phone)
    press(phone, Keys.TAB, Keys.TAB, Keys.TAB, Keys.ENTER)  # Assess, SSP, Controls
    wait(phone, lambda: phone.current_url.endswith(reverse("controls:catalog")))
    assert phone.execute_script(MENU)["links"] is False  # a new page starts with the menu folded
    assert console_problems(phone) == []  # Bootstrap's script ran under the CSP


def test_without_javascript_the_menu_is_shown_open(live_server, phone_without_js):
    phone_without_js.get(live_server.url + reverse("guidance:index"))
    menu = phone_without_js.execute_script(MENU)  # chromedriver's own scripts run; the page's do not
    assert (menu["toggler"], menu["links"], menu["wide"]) == (False, True, False)


def test_at_desktop_width_the_menu_is_a_row_of_links_without_the_button(live_server, browser):
    browser.get(live_server.url + reverse("guidance:index"))
    menu = browser.execute_script(MENU)
    assert (menu["toggler"], menu["links"]) == (False, True)


def test_a_wide_table_scrolls_in_its_own_box_and_the_keyboard_scrolls_it(live_server, phone):
    phone.get(live_server.url + reverse("guidance:sprs_score"))
    box = "document.querySelector('[data-testid=example-table]').closest('.table-responsive')"
    sizes = phone.execute_script(f"const box = {box}; return [box.scrollWidth, box.clientWidth, box.scrollLeft,"
                                 " document.documentElement.scrollWidth, window.innerWidth];")
    scroll_width, client_width, scroll_left, page_width, window_width = sizes
    assert scroll_width > client_width and scroll_left == 0  # wider than the screen, inside its box
    assert page_width <= window_width  # the page itself is not

    for _ in range(60):  # Tab until the box has the focus
        press(phone, Keys.TAB)
        if phone.execute_script(f"return document.activeElement === {box};"):
            break
    else:
        pytest.fail("the table's box never got the keyboard's focus")
    assert phone.execute_script("return getComputedStyle(document.activeElement).outlineStyle;") != "none"
    press(phone, Keys.ARROW_RIGHT, Keys.ARROW_RIGHT, Keys.ARROW_RIGHT)
    wait(phone, lambda: phone.execute_script(f"return {box}.scrollLeft;") > 0)
    assert console_problems(phone) == []
