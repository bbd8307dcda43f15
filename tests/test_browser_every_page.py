"""Every page a visitor or a signed-in user sees, opened in a real Chromium at a phone's size (390 × 844): no page is
wider than the screen (wide tables scroll inside their own box), and axe-core finds nothing serious or critical.

The pages are the URL walker's (tests/test_url_walker.py) on its ``world``: the object pages of Acme's assessment
as its signed-in owner, those only the anonymous assessment has as the browser session that holds it, the public
pages as a visitor, and the pages behind the sign-in as the owner. Files (PDF, DOCX, CSV, JSON, calendars) are not
pages and are left out. Each page is opened once and both checks run on that visit, with the browser's console.

axe-core comes from npm (a development dependency, package.json) and is read from node_modules here and injected
through chromedriver: the app never serves it, and the page's CSP is never loosened for it.
"""

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from .test_url_walker import object_urls, public_urls

pytestmark = [pytest.mark.browser]

AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"width": 390, "height": 844}
BLOCKING = ("serious", "critical")

# One round trip per page: how wide it is, what sticks out past the right edge, and axe's serious findings.
MEASURE = """
const done = arguments[arguments.length - 1];
const blocking = arguments[0];
const width = window.innerWidth;
const scrolled = el => el.parentElement && el.parentElement.closest('.table-responsive, .overflow-auto');
const describe = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
  + (typeof el.className === 'string' && el.className ? '.' + el.className.trim().split(/\\s+/).join('.') : '')
  + ' (' + Math.round(el.getBoundingClientRect().right) + ')';
const wider = [...document.querySelectorAll('body *')]
  .filter(el => el.getBoundingClientRect().right > width + 0.5 && !scrolled(el)).slice(0, 5).map(describe);
axe.run(document, {resultTypes: ['violations']}).then(result => done({
  path: location.pathname, rules: result.passes.length + result.violations.length,
  scrollWidth: document.documentElement.scrollWidth, innerWidth: width, wider: wider,
  violations: result.violations.filter(v => blocking.includes(v.impact)).map(v => ({
    id: v.id, impact: v.impact, help: v.help, count: v.nodes.length,
    nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ': ' + n.failureSummary.replace(/\\s+/g, ' ')),
  })),
}), error => done({error: String(error)}));
"""


@dataclass(frozen=True)
class Page:
    who: str
    name: str
    url: str


# Files, not pages: left out before asking (rendering a PDF or a DOCX only to throw it away costs seconds). What is
# left is asked too (is_page), so a file route missing here is still never opened as a page.
FILES = (".csv", ".xlsx", ".json", ".ics", "/docx/", "/pdf/")


def is_page(client: Client, url: str) -> bool:
    if url.endswith(FILES):
        return False
    response = client.get(url)
    return response.status_code == 200 and response["Content-Type"].startswith("text/html")


def every_page(world) -> list[tuple[Page, Client]]:
    """Acme's assessment as its owner (signed in; it has answers, an SSP version, a snapshot), then the routes the
    anonymous assessment has a page for and Acme's has not (its recovery key); the templates are the same."""
    pages: list[tuple[Page, Client]] = []
    for target_name, who in (("org", "the owner"), ("anonymous", "the anonymous holder")):
        target, client = world["targets"][target_name]
        walked = {page.name for page, _ in pages}
        pages += [(Page(who, name, url), client) for name, url in object_urls(target_name, target)
                  if name not in walked and is_page(client, url)]
    visitor, owner = Client(), world["targets"]["org"][1]
    for name, url in public_urls():
        if is_page(visitor, url):
            pages.append((Page("a visitor", name, url), visitor))
        elif name != "account_logout" and is_page(owner, url):  # behind the sign-in (signing out ends the walk)
            pages.append((Page("the owner", name, url), owner))
    return pages


def open_as(browser, base: str, client: Client, url: str) -> None:
    """The browser takes over ``client``'s session (its cookie), so it sees what that person sees."""
    session = client.cookies.get(settings.SESSION_COOKIE_NAME)
    cookies = {c["name"]: c["value"] for c in browser.get_cookies()}
    wanted = session.value if session else None
    if cookies.get(settings.SESSION_COOKIE_NAME) != wanted:
        browser.delete_all_cookies()
        if wanted:
            browser.add_cookie({"name": settings.SESSION_COOKIE_NAME, "value": wanted, "path": "/"})
    browser.get(base + url)


@pytest.fixture
def phone(browser):
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                            PHONE | {"deviceScaleFactor": 1, "mobile": False})
    browser.set_script_timeout(60)
    yield browser
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_every_page_fits_a_phone_and_axe_finds_nothing_serious(live_server, catalog_db, world, phone):
    axe_source = AXE.read_text()
    pages = every_page(world)
    assert len(pages) >= 45  # the walk reached the pages it promises
    phone.get(live_server.url + "/")  # cookies are set for the live server's host
    failures, seen = [], set()
    for page, client in pages:
        open_as(phone, live_server.url, client, page.url)
        phone.execute_script(axe_source)
        found = phone.execute_async_script(MEASURE, list(BLOCKING))
        assert "error" not in found, (page, found)
        assert found["path"] == page.url and found["rules"] > 20, (page, found)  # that page, and axe checked it
        seen.add(page.name)
        where = f"{page.url} ({page.name}, as {page.who})"
        failures += [f"{where}: console: {entry['message']}" for entry in phone.get_log("browser")
                     if entry["level"] == "SEVERE" or "Content Security Policy" in entry["message"]]
        if found["scrollWidth"] > found["innerWidth"]:
            failures.append(f"{where}: {found['scrollWidth']} px wide at {found['innerWidth']}: {found['wider']}")
        for violation in found["violations"]:
            failures.append(f"{where}: {json.dumps(violation)}")
    assert not failures, f"{len(failures)} problems:\n" + "\n".join(failures)
    # The walk reached the pages the issue named.
    assert {"ssp:overview", "ssp:identification", "ssp:environment", "assessments:family"} <= seen
