"""Every editable form on the site, edited in a real Chromium as a person does it (typing, clicking, choosing a
file), then read back after a reload, from the page and from the database. Each test fails on any console error.

The forms: the intake and the settings; the questionnaire's answers in requirement and in objective mode; the SSP's
identification, environment (with the network diagram), plan details and Generate; the SPRS worksheet's details;
the ISO 27001 head start (ticked, pasted and uploaded ids); creating an organisation, inviting someone, changing a
member's role.

The questionnaire and the SSP steps promise to work without JavaScript: their tests run twice, with JavaScript on
and with it off (a second Chromium, ``browser_without_js``). ``fill_form`` gives every control of a form a new value
and says what each should hold after the save; ``read_form`` reads them back after the reload, so a field that does
not save fails by name.

The "never lose an edit" journeys are at the end: an answer changed just before "Next family" is saved before the
page moves on, and a save that failed keeps the user on the page and says so.
"""

import itertools
import time
from dataclasses import dataclass
from datetime import timedelta
from io import BytesIO
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.urls import reverse
from PIL import Image
from selenium.common.exceptions import (
    ElementNotInteractableException,
    StaleElementReferenceException,
    WebDriverException,
)
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait

from assessments.models import Answer, Assessment, ObjectiveAnswer, today
from controls.models import Family, Objective, Requirement
from iso27001.models import HeadStart, IsoControl
from orgs.models import Invitation, Membership, Organization, Role
from ssp.models import Contact, HardwareItem, NetworkDiagram, ServiceProvider, SspVersion, SystemSecurityPlan, UserRole

from .personas import make_user
from .test_browser_security import sign_in_through_the_pages

pytestmark = [pytest.mark.browser, pytest.mark.slow]


# --- The person at the browser --------------------------------------------------------------------------------


@dataclass
class Visitor:
    """A Chromium, the live server's address, and whether the page's JavaScript runs."""

    driver: object
    base: str
    javascript: bool

    def open(self, path: str) -> None:
        self.driver.get(self.base + path)
        self.loaded()

    def loaded(self) -> None:
        self.wait(lambda: self.driver.execute_script("return document.readyState") == "complete")

    @property
    def path(self) -> str:
        return urlsplit(self.driver.current_url).path

    def wait(self, condition, timeout: float = 20):
        # htmx replaces a requirement block with each save: an element found a moment ago may be gone.
        return WebDriverWait(self.driver, timeout, ignored_exceptions=(StaleElementReferenceException,)).until(
            lambda driver: condition())

    def find(self, selector: str, within: WebElement | None = None) -> WebElement:
        return (within or self.driver).find_element(By.CSS_SELECTOR, selector)

    def find_all(self, selector: str, within: WebElement | None = None) -> list[WebElement]:
        return (within or self.driver).find_elements(By.CSS_SELECTOR, selector)

    def button(self, text: str, within: WebElement | None = None) -> WebElement:
        """The button or link of that text in ``within``, or anywhere in the page's main part."""
        where = ".//" if within is not None else "//main//"
        return (within or self.driver).find_element(
            By.XPATH, f"{where}*[self::button or self::a][normalize-space()='{text}']")

    def click(self, element: WebElement) -> None:
        # Scrolled to the middle at once (Bootstrap makes scrolling smooth, and a moving button is missed).
        self.driver.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'});", element)
        element.click()

    def press(self, element: WebElement) -> None:
        """Click a button or link that loads a new page, and wait for that page."""
        page = self.find("html")
        self.click(element)
        # While the old page goes, chromedriver may answer with an error other than "stale": ask again.
        WebDriverWait(self.driver, 120, ignored_exceptions=(WebDriverException,)).until(
            expected_conditions.staleness_of(page))
        self.loaded()

    def again_if_replaced(self, action) -> None:
        """Do ``action`` (which finds its elements itself) again if what it found was replaced meanwhile: with
        JavaScript, the save a field sends when it loses focus replaces its whole block while the next field is
        typed. A person's typing goes on in the new block (htmx keeps the focus, app.js what was typed), but an
        element found before is gone."""
        for attempt in range(5):
            try:
                action()
                return
            except (StaleElementReferenceException, ElementNotInteractableException):
                if attempt == 4:
                    raise
                time.sleep(0.3)

    def type(self, element: WebElement, text: str) -> None:
        element.clear()
        element.send_keys(text)

    def main_text(self) -> str:
        return self.find("main").text

    def console_problems(self, *allowed: str) -> list[dict]:
        """SEVERE entries and CSP violations since the log was last read, but those naming one of ``allowed``."""
        return [entry for entry in self.driver.get_log("browser")
                if (entry["level"] == "SEVERE" or "Content Security Policy" in entry["message"])
                and not any(text in entry["message"] for text in allowed)]


@pytest.fixture(params=[True, False], ids=["javascript on", "javascript off"])
def visitor(request, live_server, catalog_db) -> Visitor:
    """For the pages that promise to work without JavaScript: each test runs with it on, then off."""
    driver = request.getfixturevalue("browser" if request.param else "browser_without_js")
    driver.delete_all_cookies()
    return Visitor(driver, live_server.url, javascript=request.param)


@pytest.fixture
def js_visitor(live_server, catalog_db, browser) -> Visitor:
    browser.delete_all_cookies()
    return Visitor(browser, live_server.url, javascript=True)


# --- Any form: a new value in every control, read back after the reload -----------------------------------------

Expected = dict[str, str | bool]
SKIPPED_TYPES = ("hidden", "submit", "button", "file", "reset", "image")

# One round trip for the whole form: chromedriver answers each attribute read separately, and step 3 of the SSP has
# some twenty controls per requirement. The script keeps what the person can change: named, enabled, not the hidden
# template row of a table, not Delete; ``type`` is the property Selenium's get_attribute reads ("select-one",
# "textarea", "text" for an input with no type).
DESCRIBE_CONTROLS = """
const [form, skipped] = arguments;
return Array.from(form.querySelectorAll('input, textarea, select'))
  .filter(el => el.name && !el.matches(':disabled') && !skipped.includes((el.type || '').toLowerCase())
                && !el.name.includes('__prefix__') && !el.name.endsWith('-DELETE'))
  .map(el => ({el: el, name: el.name, kind: (el.type || '').toLowerCase(), tag: el.tagName.toLowerCase(),
               value: el.value, checked: el.checked,
               options: el.tagName === 'SELECT' ? Array.from(el.options, o => [o.value, o.selected]) : []}));
"""


@dataclass
class Control:
    el: WebElement
    name: str
    kind: str
    tag: str
    value: str
    checked: bool
    options: list[list]

    @property
    def key(self) -> str:
        """A checkbox is known by name and value (a multiple choice shares one name); anything else by name."""
        return f"{self.name}={self.value}" if self.kind == "checkbox" else self.name


def controls(v: Visitor, form: WebElement) -> list[Control]:
    return [Control(**found) for found in v.driver.execute_script(DESCRIBE_CONTROLS, form, SKIPPED_TYPES)]


def fill_form(v: Visitor, form: WebElement, overrides: dict[str, str | bool] | None = None,
              skip: tuple[str, ...] = (), only: tuple[str, ...] | None = None) -> Expected:
    """Give every control of ``form`` (or those named in ``only``) a new value the way a person does: type, click,
    choose. ``overrides`` gives a field the value it must have (a CAGE code, a past date); every other one gets a
    value made from its name and type. Returns what each control must show after the save."""
    overrides = overrides or {}
    # Folded parts (<details>) are opened first, as a person does to reach the fields inside.
    for summary in v.find_all("details:not([open]) > summary", form):
        v.click(summary)
    counter = itertools.count(1)
    expected: Expected = {}
    found = controls(v, form)
    radio_groups: dict[str, list[Control]] = {}
    for control in found:
        if control.kind == "radio":
            radio_groups.setdefault(control.name, []).append(control)
    done_groups: set[str] = set()
    for control in found:
        name, kind, el = control.name, control.kind, control.el
        if name in skip or (only is not None and name not in only):
            continue
        n = next(counter)
        if kind == "radio":
            if name in done_groups:
                continue
            done_groups.add(name)
            group = radio_groups[name]
            wanted = overrides.get(name)
            if wanted is None:  # any option but the one chosen now
                wanted = next(r.value for r in reversed(group) if not r.checked)
            v.click(next(r.el for r in group if r.value == wanted))
            expected[name] = wanted
        elif kind == "checkbox":
            wanted = overrides.get(control.key, not control.checked)
            if control.checked != wanted:
                v.click(el)
            expected[control.key] = wanted
        elif control.tag == "select":
            wanted = overrides.get(name) or next(value for value, selected in reversed(control.options)
                                                 if not selected)
            Select(el).select_by_value(wanted)
            expected[name] = wanted
        elif kind == "date":
            wanted = overrides.get(name) or today().isoformat()
            year, month, day = wanted.split("-")
            el.clear()
            el.send_keys(f"{month}{day}{year}")  # as typed into Chromium's (en-US) date field
            expected[name] = wanted
        else:
            if name in overrides:
                wanted = overrides[name]
            elif kind == "email":
                wanted = f"person{n}@example.com"
            elif kind == "number":
                wanted = str(n)
            elif control.tag == "textarea":
                wanted = f"typed {n}\nline <&> two"  # short: Chromium takes a few ms a key
            else:
                wanted = f"{name.rsplit('-', 1)[-1]} {n} <&>"
            v.type(el, wanted)
            expected[name] = wanted
    return expected


def read_form(v: Visitor, form: WebElement, expected: Expected) -> Expected:
    """What the page's controls hold now, for the keys of ``expected``."""
    found: Expected = {}
    for control in controls(v, form):
        if control.kind == "radio":
            if control.checked:
                found[control.name] = control.value
        elif control.kind == "checkbox":
            found[control.key] = control.checked
        else:
            found[control.name] = control.value
    return {k: found.get(k) for k in expected}


def choose_file(v: Visitor, input_: WebElement, path: Path) -> None:
    input_.send_keys(str(path))


def png_file(tmp_path: Path, name: str = "network.png", size: tuple[int, int] = (64, 40)) -> Path:
    buffer = BytesIO()
    Image.new("RGB", size, "teal").save(buffer, format="PNG")
    path = tmp_path / name
    path.write_bytes(buffer.getvalue())
    return path


# --- Getting somewhere --------------------------------------------------------------------------------------------


def start_assessment(v: Visitor, name: str = "Every Form Co", **overrides: str | bool) -> Assessment:
    """The intake form, as a new visitor: every field given, then the recovery key page."""
    v.open(reverse("assessments:start"))
    v.driver.delete_all_cookies()
    v.open(reverse("assessments:start"))
    form = v.find("main form")
    fill_form(v, form, {"organization_name": name, "target_level": "l2", "has_ssp": "yes", "scope": "enterprise",
                        "cage_codes": "1abc2, 3DEF4", "employee_count": "42", "objective_mode=on": False} | overrides)
    v.press(v.button("Start"))
    assert v.path.endswith("/key/"), v.main_text()
    return Assessment.objects.get(organization_name=name)


def start_ssp(v: Visitor) -> tuple[Assessment, SystemSecurityPlan]:
    assessment = start_assessment(v)
    v.open(reverse("ssp:overview", args=[assessment.public_id]))
    v.press(v.button("Start the System Security Plan"))
    assert v.path == reverse("ssp:identification", args=[assessment.public_id])
    return assessment, SystemSecurityPlan.objects.get(assessment=assessment)


# --- Intake and settings --------------------------------------------------------------------------------------


def test_the_intake_and_the_settings_store_every_field(js_visitor):
    v = js_visitor
    assessment = start_assessment(v, "Intake Co")
    assert (assessment.target_level, assessment.scope, assessment.cage_codes, assessment.employee_count) == (
        "l2", "enterprise", "1ABC2 3DEF4", 42)
    assert Answer.objects.get(assessment=assessment, requirement__nist_id="3.12.4").status == "met"

    settings_path = reverse("assessments:edit", args=[assessment.public_id])
    v.open(settings_path)
    form = v.find("main form")
    # Objective mode is switched on the assessment directly in the questionnaire tests below.
    expected = fill_form(v, form, {"organization_name": "Intake Co Renamed", "cage_codes": "5GHI6",
                                   "employee_count": "7", "has_ssp": "no", "target_level": "l2"},
                         skip=("objective_mode",))
    v.press(v.button("Save"))
    assert v.path == reverse("assessments:overview", args=[assessment.public_id])
    v.open(settings_path)
    assert read_form(v, v.find("main form"), expected) == expected
    assessment.refresh_from_db()
    assert (assessment.organization_name, assessment.scope, assessment.cage_codes, assessment.employee_count) == (
        "Intake Co Renamed", expected["scope"], "5GHI6", 7)
    assert Answer.objects.get(assessment=assessment, requirement__nist_id="3.12.4").status == "not_met"
    assert v.console_problems() == []


# --- The questionnaire ----------------------------------------------------------------------------------------


def block(v: Visitor, nist_id: str) -> WebElement:
    return v.find(f"#req-{nist_id.replace('.', '\\.')}")


def answer_control(v: Visitor, nist_id: str, name: str, value: str | None = None) -> WebElement:
    selector = f"[name='r{nist_id.replace('.', '-')}-{name}']" + (f"[value='{value}']" if value else "")
    return v.find(selector)


def saved_by_htmx(v: Visitor, nist_id: str, before: WebElement) -> None:
    """Wait until a save's reply has replaced the block (``before``) and says "Saved", and nothing more is on its way:
    the same block still says so half a second later (an answer waits 200 ms before it saves). Only the page is
    watched meanwhile: the test reading the database while the server writes would lock SQLite's shared tables."""
    WebDriverWait(v.driver, 20).until(expected_conditions.staleness_of(before))

    def quiet() -> bool:
        now = block(v, nist_id)
        if v.find(f"[data-testid='save-state-{nist_id}']").text != "Saved":
            return False
        time.sleep(0.5)
        return block(v, nist_id) == now and v.find(f"[data-testid='save-state-{nist_id}']").text == "Saved"
    v.wait(quiet)


def type_answer_field(v: Visitor, nist_id: str, name: str, value: str) -> None:
    element = answer_control(v, nist_id, name)
    if name == "planned_date":
        year, month, day = value.split("-")
        element.clear()
        element.send_keys(f"{month}{day}{year}")
    else:
        v.type(element, value)


def give_answer(v: Visitor, nist_id: str, status: str | None = None, **fields: str) -> None:
    """Fill one requirement's answer as a person does. With JavaScript each change saves by itself (the status is
    chosen last, so everything typed goes with it); without, the block's Save button posts it."""
    before = block(v, nist_id)
    for name, value in fields.items():
        v.again_if_replaced(lambda: type_answer_field(v, nist_id, name, value))  # noqa: B023 - called at once
    if status:
        v.again_if_replaced(lambda: v.click(answer_control(v, nist_id, "status", status)))
    if v.javascript:
        if not status:  # a text field saves when it loses focus
            v.again_if_replaced(lambda: v.click(v.find(".answer-form button.btn-primary", block(v, nist_id))))
        saved_by_htmx(v, nist_id, before)
    else:
        v.press(v.find(".answer-form button.btn-primary", block(v, nist_id)))
        assert f"Saved {nist_id}." in v.main_text()


def stored_answer(assessment: Assessment, nist_id: str) -> tuple[str | None, dict[str, str]] | None:
    row = Answer.objects.filter(assessment=assessment, requirement__nist_id=nist_id).first()
    if row is None:
        return None
    values = {"note": row.note, "evidence": row.evidence, "responsible": row.responsible,
              "justification": row.justification,
              "planned_date": row.planned_date.isoformat() if row.planned_date else ""}
    return row.status or None, {k: v.replace("\r\n", "\n") for k, v in values.items() if v}


ANSWERS = {
    "3.1.1": ("met", {"note": "Badge readers at both doors\nand a visitor log", "evidence": "AC policy v3 §2",
                      "responsible": "Pat Doe, IT"}),
    "3.1.2": ("not_met", {"note": "Roles are not yet enforced", "responsible": "Sam Lee",
                          "planned_date": (today() + timedelta(days=90)).isoformat()}),
    "3.1.3": ("na", {"justification": "No CUI flows inside the company <none> & never"}),
}


def test_questionnaire_answers_in_requirement_mode_are_stored(visitor):
    v = visitor
    assessment = start_assessment(v)
    family = reverse("assessments:family", args=[assessment.public_id, "AC"])
    v.open(family)
    for nist_id, (status, fields) in ANSWERS.items():
        give_answer(v, nist_id, status, **fields)

    v.open(family)
    for nist_id, (status, fields) in ANSWERS.items():
        assert answer_control(v, nist_id, "status", status).is_selected(), nist_id
        for name, value in fields.items():
            assert answer_control(v, nist_id, name).get_attribute("value") == value, (nist_id, name)
        assert stored_answer(assessment, nist_id) == (status, fields)
    assert "Answered 4 of 110" in v.find("#progress").text  # and 3.12.4 from the intake
    assert v.console_problems() == []


def test_questionnaire_answers_in_objective_mode_are_stored(visitor):
    v = visitor
    assessment = start_assessment(v)
    Assessment.objects.filter(pk=assessment.pk).update(objective_mode=True)
    family = reverse("assessments:family", args=[assessment.public_id, "AC"])
    v.open(family)
    # 3.1.1: every objective met or not applicable, so met; 3.1.2: one objective not met, so not met.
    count = Objective.objects.filter(requirement__nist_id="3.1.1").count()
    chosen = {"3.1.1": ["met"] * (count - 1) + ["na"], "3.1.2": ["met", "not_met"]}
    for nist_id, statuses in chosen.items():
        for index, status in enumerate(statuses):
            before = block(v, nist_id)
            form = v.find_all("form.objective-form", before)[index]
            v.click(v.find(f"input[type=radio][value='{status}']", form))
            if v.javascript:  # saved on the click
                saved_by_htmx(v, nist_id, before)
            else:
                v.press(v.find("button", form))
    give_answer(v, "3.1.1", note="Objectives checked on site")

    v.open(family)
    for nist_id, statuses in chosen.items():
        shown = [next((r.get_attribute("value") for r in v.find_all("input[type=radio]", form) if r.is_selected()),
                      "") for form in v.find_all("form.objective-form", block(v, nist_id))]
        assert shown[:len(statuses)] == statuses and not any(shown[len(statuses):]), nist_id
        assert stored_objectives(assessment, nist_id) == statuses, nist_id
    assert answer_control(v, "3.1.1", "note").get_attribute("value") == "Objectives checked on site"
    assert v.find("[data-testid='state-3.1.1']").text == "Met"
    assert v.find("[data-testid='state-3.1.2']").text.startswith("Not met")
    assert v.console_problems() == []


def stored_objectives(assessment: Assessment, nist_id: str) -> list[str]:
    return list(ObjectiveAnswer.objects.filter(assessment=assessment, objective__requirement__nist_id=nist_id)
                .order_by("objective__position").values_list("status", flat=True))


# --- The SSP: one test per step, each with the same helpers ----------------------------------------------------


def test_ssp_identification_stores_every_field(visitor):
    v = visitor
    assessment, ssp = start_ssp(v)
    form = v.find("form[data-testid='identification-form']")
    expected = fill_form(v, form, {"roles-0-users": "9", "roles-0-privileged_users": "2",
                                   "roles-1-users": "3", "roles-1-privileged_users": "1"})
    v.press(v.button("Save", form))
    assert "Identification saved." in v.main_text()
    v.open(reverse("ssp:identification", args=[assessment.public_id]))
    assert read_form(v, v.find("form[data-testid='identification-form']"), expected) == expected
    ssp.refresh_from_db()
    assert ssp.system_name == expected["system_name"]
    assert ssp.purpose.replace("\r\n", "\n") == expected["purpose"]
    assert ssp.cui_categories == [k.split("=", 1)[1] for k, ticked in expected.items()
                                  if k.startswith("cui_categories=") and ticked]
    assert Contact.objects.get(ssp=ssp, role="security_officer").email == expected["security_officer-email"]
    assert list(UserRole.objects.filter(ssp=ssp).values_list("role", "users", "privileged_users")) == [
        (expected["roles-0-role"], 9, 2), (expected["roles-1-role"], 3, 1)]
    assert v.console_problems() == []


def test_ssp_environment_stores_every_field_and_the_diagram_chosen_on_the_page(visitor, tmp_path):
    v = visitor
    assessment, ssp = start_ssp(v)
    page = reverse("ssp:environment", args=[assessment.public_id])
    v.open(page)

    # A file over the limit: refused next to the field, with everything typed still there, and nothing saved.
    too_big = tmp_path / "huge.png"
    too_big.write_bytes(b"\x89PNG" + b"\0" * (5 * 2**20))
    form = v.find("form[data-testid='environment-form']")
    v.type(v.find("#id_boundary", form), "Typed before the big file")
    choose_file(v, v.find("input[type=file][name='image']", form), too_big)
    if v.javascript:
        v.click(v.button("Save", form))  # app.js refuses it before anything is sent
        message = v.wait(lambda: v.find("[data-testid='file-too-large']"))
        assert "larger than 5 MB" in message.text and v.path == page
    else:
        v.press(v.button("Save", form))  # the server refuses it
        assert "The file is larger than 5 MB." in v.find("#id_image_error").text
    assert v.find("#id_boundary").get_attribute("value") == "Typed before the big file"
    assert not NetworkDiagram.objects.exists()
    SystemSecurityPlan.objects.filter(pk=ssp.pk, boundary="").get()
    # Without JavaScript the refusal is the server's 400, as it should be; with it nothing was sent.
    assert v.console_problems(*([] if v.javascript else ["status of 400"])) == []

    v.open(page)
    form = v.find("form[data-testid='environment-form']")
    expected = fill_form(v, form)
    choose_file(v, v.find("input[type=file][name='image']", form), png_file(tmp_path))
    v.press(v.button("Save", form))
    assert "Environment saved." in v.main_text()
    v.open(page)
    form = v.find("form[data-testid='environment-form']")
    assert read_form(v, form, expected) == expected
    diagram = NetworkDiagram.objects.get(ssp=ssp)
    assert (diagram.width, diagram.height, diagram.caption) == (64, 40, expected["caption"])
    image = v.find("#diagram img.ssp-diagram")
    assert image.get_attribute("alt") == expected["caption"]
    assert v.driver.execute_script("return arguments[0].complete && arguments[0].naturalWidth", image) == 64
    ssp.refresh_from_db()
    assert ssp.boundary.replace("\r\n", "\n") == expected["boundary"]
    assert list(HardwareItem.objects.filter(ssp=ssp).values_list("component", flat=True)) == [
        expected["hardware-0-component"], expected["hardware-1-component"]]
    assert ServiceProvider.objects.filter(ssp=ssp).first().responsibility == expected["providers-0-responsibility"]

    # The next Save edits the caption alone and keeps the image.
    v.type(v.find("input[name='caption']", form), "Office network, 2026")
    v.press(v.button("Save and continue", form))
    assert v.path.startswith(reverse("ssp:requirements", args=[assessment.public_id]))
    assert NetworkDiagram.objects.get(ssp=ssp).caption == "Office network, 2026"
    assert NetworkDiagram.objects.get(ssp=ssp).sha256 == diagram.sha256
    assert v.console_problems() == []


def test_ssp_plan_details_are_stored(visitor):
    v = visitor
    assessment, ssp = start_ssp(v)
    page = reverse("ssp:plan", args=[assessment.public_id])
    v.open(page)
    form = v.find("form[data-testid='plan-form']")
    expected = fill_form(v, form)
    v.press(v.button("Save", form))
    assert "Plan details saved." in v.main_text()
    v.open(page)
    assert read_form(v, v.find("form[data-testid='plan-form']"), expected) == expected
    ssp.refresh_from_db()
    assert (ssp.review_frequency, ssp.approver_name, ssp.cui_banner, ssp.approval_date.isoformat()) == (
        expected["review_frequency"], expected["approver_name"], expected["cui_banner=on"], expected["approval_date"])
    assert (ssp.cui_controlled_by, ssp.cui_poc) == (expected["cui_controlled_by"], expected["cui_poc"])
    # The policy index and the review log: every row typed is stored.
    assert list(ssp.policies.values_list("title", flat=True)) == [
        expected["policies-0-title"], expected["policies-1-title"]]
    assert [(r.reviewed_on.isoformat(), r.reviewer) for r in ssp.reviews.all()] == [
        (expected["reviews-0-reviewed_on"], expected["reviews-0-reviewer"]),
        (expected["reviews-1-reviewed_on"], expected["reviews-1-reviewer"])]
    assert v.console_problems() == []


def test_ssp_generate_stores_a_version_with_what_was_typed(visitor):
    v = visitor
    assessment, ssp = start_ssp(v)
    overview = reverse("ssp:overview", args=[assessment.public_id])
    v.open(overview)
    form = v.find("form[action$='/ssp/generate/']")
    expected = fill_form(v, form, {"label": "0.9-draft"})
    v.press(v.button("Generate DOCX and PDF", form))
    assert "Version 0.9-draft is generated" in v.main_text()
    v.open(overview)
    row = v.find("[data-testid='versions'] tbody tr").text
    assert "0.9-draft" in row and expected["description"] in row and expected["made_by"] in row
    version = SspVersion.objects.get(ssp=ssp)
    assert (version.label, version.description, version.made_by) == (
        "0.9-draft", expected["description"], expected["made_by"])
    assert bytes(version.docx)[:2] == b"PK" and bytes(version.pdf)[:4] == b"%PDF"
    # The next version number is offered for the next one.
    assert v.find("form[action$='/ssp/generate/'] input[name='label']").get_attribute("value") != "0.9-draft"
    assert v.console_problems() == []


def test_ssp_requirement_descriptions_are_stored_in_every_family_and_are_the_questionnaires_record(visitor):
    """Step 3, one requirement in each of the 14 families: its Save (htmx with JavaScript, a plain post without)
    writes the assessment's one record of it, which the questionnaire then shows. Every control is changed in the
    first family; in the others the status, the planned date and the description, which show the save reached that
    requirement's record (typing into every control of every family took a minute per run)."""
    v = visitor
    assessment, _ = start_ssp(v)
    planned = (today() + timedelta(days=60)).isoformat()
    for n, family in enumerate(Family.objects.order_by("position")):
        first = Requirement.objects.filter(family=family).order_by("position").first()
        prefix = "r" + first.nist_id.replace(".", "-")
        page = reverse("ssp:family", args=[assessment.public_id, family.code])
        v.open(page)
        before = block(v, first.nist_id)
        form = v.find("form", before)
        only = None if n == 0 else tuple(f"{prefix}-{name}" for name in ("status", "planned_date", "note"))
        expected = fill_form(v, form, {f"{prefix}-status": "not_met", f"{prefix}-planned_date": planned},
                             skip=(f"{prefix}-confirm",), only=only)
        if v.javascript:
            v.click(v.button("Save", form))
            WebDriverWait(v.driver, 20).until(expected_conditions.staleness_of(before))
            v.wait(lambda nist_id=first.nist_id: v.find(f"[data-testid='save-state-{nist_id}']").text == "Saved")
            assert v.path == page  # the block replaced itself; the page stayed
        else:
            v.press(v.button("Save", form))
            assert f"Saved {first.nist_id}." in v.main_text()
        v.open(page)
        assert read_form(v, v.find("form", block(v, first.nist_id)), expected) == expected, family.code
        answer = Answer.objects.get(assessment=assessment, requirement=first)
        assert (answer.status, answer.note.replace("\r\n", "\n"), answer.planned_date.isoformat()) \
            == ("not_met", expected[f"{prefix}-note"], planned), family.code
        # The rest of the record, where it was changed: the responsible role, and the plan's own parts (who carries
        # it out, the N/A approval and the POA&M row).
        changed = [name for name in ("responsible", "responsibility", "provider", "na_approved_by", "na_approved_on",
                                     "weakness", "identified_by", "identified_on", "resources", "milestones",
                                     "milestone_changes") if f"{prefix}-{name}" in expected]
        assert len(changed) == (11 if n == 0 else 0), changed
        stored = {name: str(getattr(answer, name) or "").replace("\r\n", "\n") for name in changed}
        assert stored == {name: expected[f"{prefix}-{name}"] for name in changed}, family.code
    # One record: the questionnaire shows what the plan saved.
    last = Requirement.objects.filter(family__code="SI").order_by("position").first()
    v.open(reverse("assessments:family", args=[assessment.public_id, "SI"]))
    note = answer_control(v, last.nist_id, "note").get_attribute("value")
    assert note == Answer.objects.get(assessment=assessment, requirement=last).note.replace("\r\n", "\n")
    assert v.console_problems() == []


def test_marking_3_12_4_met_after_a_final_ssp_version_is_stored(js_visitor):
    """The prompt a final SSP version brings: its button writes the 3.12.4 answer, and the prompt is gone after."""
    from datetime import date

    from ssp.models import record_version

    v = js_visitor
    assessment, ssp = start_ssp(v)
    Answer.objects.filter(assessment=assessment, requirement__nist_id="3.12.4").update(status="not_met")
    record_version(ssp=ssp, label="1.0", generated_on=date(2026, 12, 1), description="First", made_by="Pat",
                   catalog_revision="test", draft=False, docx=b"PK", pdf=b"%PDF")
    overview = reverse("ssp:overview", args=[assessment.public_id])
    v.open(overview)
    v.press(v.find("[data-testid='mark-ssp-met']"))
    v.open(overview)
    assert not v.find_all("[data-testid='mark-ssp-met']")
    assert Answer.objects.get(assessment=assessment, requirement__nist_id="3.12.4").status == "met"
    assert v.console_problems() == []


# --- The SPRS worksheet, the ISO head start --------------------------------------------------------------------


def test_the_sprs_worksheet_details_are_stored(js_visitor):
    v = js_visitor
    assessment = start_assessment(v)
    page = reverse("assessments:sprs", args=[assessment.public_id])
    v.open(page)
    form = v.find("#sprs-details form")
    day = today()
    expected = fill_form(v, form, {"assessment_date": (day - timedelta(days=20)).isoformat(),
                                   "ssp_date": (day - timedelta(days=30)).isoformat(),
                                   "conditional_status_date": (day - timedelta(days=10)).isoformat()})
    v.press(v.button("Save the details", form))
    assert "Saved the SPRS details." in v.main_text()
    v.open(page)
    assert read_form(v, v.find("#sprs-details form"), expected) == expected
    assert v.find("[data-testid='affirming-official']").text.startswith(expected["affirming_official"])
    assessment.refresh_from_db()
    stored = {name: str(getattr(assessment, name) or "") for name in expected}
    assert stored == expected
    assert v.console_problems() == []


def test_the_iso_head_start_stores_ticked_pasted_and_uploaded_controls(js_visitor, tmp_path):
    v = js_visitor
    assessment = start_assessment(v)
    page = reverse("iso27001:head_start", args=[assessment.public_id])
    v.open(page)
    form = v.find("main form[enctype='multipart/form-data']")
    edition = v.find("input[name='edition']", form).get_attribute("value")
    boxes = v.find_all("input[type=checkbox][name='controls']", form)
    ticked = [box.get_attribute("value") for box in boxes[:2]]
    for box in boxes[:2]:
        v.click(box)
    pasted, uploaded = [c.control_id for c in IsoControl.objects.filter(edition=edition).exclude(
        control_id__in=ticked).order_by("position")[5:7]]
    v.type(v.find("textarea[name='ids']", form), f"Our SoA lists {pasted} as implemented.")
    listed = tmp_path / "soa.txt"
    listed.write_text(f"{uploaded}\n")
    choose_file(v, v.find("input[type=file][name='ids_file']", form), listed)
    v.press(v.button("Save", form))
    assert "Saved: 4 ISO/IEC 27001" in v.main_text()

    v.open(page)
    checked = {box.get_attribute("value") for box in v.find_all("input[type=checkbox][name='controls']")
               if box.is_selected()}
    assert checked == {*ticked, pasted, uploaded}
    head = HeadStart.objects.get(assessment=assessment)
    assert (head.edition, set(head.controls.values_list("control_id", flat=True))) == (edition, checked)
    assert v.console_problems() == []


# --- Organisations ------------------------------------------------------------------------------------------------


def test_the_organisation_forms_create_invite_and_change_a_role(js_visitor):
    v = js_visitor
    owner = make_user("founder@newco.test")
    v.open("/")
    sign_in_through_the_pages(v.driver, v.base, owner)
    v.loaded()

    v.open(reverse("orgs:create"))
    v.type(v.find("main form input[name='name']"), "NewCo <Defense> & Sons")
    v.press(v.button("Create"))
    assert "Created NewCo <Defense> & Sons. You are its owner." in v.main_text()
    organization = Organization.objects.get(name="NewCo <Defense> & Sons")
    assert Membership.objects.get(organization=organization).user == owner
    v.open(reverse("orgs:dashboard"))
    assert "NewCo <Defense> & Sons" in v.main_text()

    members = reverse("orgs:members", args=[organization.public_id])
    v.open(members)
    invite = v.find(f"form[action='{reverse('orgs:invite', args=[organization.public_id])}']")
    expected = fill_form(v, invite, {"email": "new.hire@newco.test", "role": "editor"})
    v.press(v.button("Send invitation", invite))
    assert "Invitation sent to new.hire@newco.test" in v.main_text()
    v.open(members)
    assert "new.hire@newco.test · editor" in v.main_text()
    invitation = Invitation.objects.get(organization=organization)
    assert (invitation.email, invitation.role) == (expected["email"], "editor")

    colleague = make_user("colleague@newco.test")
    membership = Membership.objects.create(user=colleague, organization=organization, role=Role.VIEWER)
    v.open(members)
    change = v.find(f"form[action='{reverse('orgs:member_update', args=[organization.public_id, membership.pk])}']")
    Select(v.find("select[name='role']", change)).select_by_value("editor")
    v.press(v.button("Change role", change))
    v.open(members)
    change = v.find(f"form[action='{reverse('orgs:member_update', args=[organization.public_id, membership.pk])}']")
    assert Select(v.find("select[name='role']", change)).first_selected_option.get_attribute("value") == "editor"
    membership.refresh_from_db()
    assert membership.role == Role.EDITOR
    assert v.console_problems() == []


# --- Never lose an edit ---------------------------------------------------------------------------------------


def slow_network(v: Visitor, latency_ms: int) -> None:
    v.driver.execute_cdp_cmd("Network.enable", {})
    v.driver.execute_cdp_cmd("Network.emulateNetworkConditions", {
        "offline": False, "latency": latency_ms, "downloadThroughput": -1, "uploadThroughput": -1})


def test_an_answer_changed_just_before_next_family_is_saved_before_the_page_moves_on(js_visitor):
    v = js_visitor
    assessment = start_assessment(v)
    family = reverse("assessments:family", args=[assessment.public_id, "AC"])
    changed = {"3.1.1": "not_met", "3.1.2": "met", "3.1.3": "not_met"}
    for nist_id, status in changed.items():
        v.open(family)
        v.type(answer_control(v, nist_id, "note"), f"Typed just before leaving {nist_id}")
        # The choice and "Next family" in one go, as a quick hand does it: the answer's save is still waiting for
        # its 200 ms when the link is followed, and the next page would be there before it was sent.
        v.driver.execute_script("arguments[0].click(); arguments[1].click();",
                                answer_control(v, nist_id, "status", status), v.button("Next family →"))
        v.wait(lambda: v.path == reverse("assessments:family", args=[assessment.public_id, "AT"]))
        assert stored_answer(assessment, nist_id) == (status, {"note": f"Typed just before leaving {nist_id}"})

    # On a slow connection the save is still on its way when the link is clicked.
    v.open(family)
    try:
        slow_network(v, 400)
        v.click(answer_control(v, "3.1.4", "status", "met"))
        v.click(v.button("Next family →"))
        v.wait(lambda: v.path == reverse("assessments:family", args=[assessment.public_id, "AT"]))
    finally:
        slow_network(v, 0)
    assert stored_answer(assessment, "3.1.4") == ("met", {})

    v.open(family)
    for nist_id, status in changed.items():
        assert answer_control(v, nist_id, "status", status).is_selected()
        assert answer_control(v, nist_id, "note").get_attribute("value") == f"Typed just before leaving {nist_id}"
    assert answer_control(v, "3.1.4", "status", "met").is_selected()

    # Typed, and the tab closed while the cursor is still in the field: the browser asks first, and the text is sent.
    before = block(v, "3.1.5")
    answer_control(v, "3.1.5", "note").send_keys("Typed, then the tab is closed")
    assert unload_is_held_back(v)
    saved_by_htmx(v, "3.1.5", before)
    assert stored_answer(assessment, "3.1.5") == (None, {"note": "Typed, then the tab is closed"})
    assert v.console_problems() == []


def unload_is_held_back(v: Visitor) -> bool:
    """Whether the page asks before it is closed (a tab closing fires beforeunload; it is cancelled to ask)."""
    return v.driver.execute_script(
        "const e = new Event('beforeunload', {cancelable: true}); window.dispatchEvent(e); return e.defaultPrevented;")


def test_a_save_that_failed_keeps_the_user_on_the_page_and_says_so(js_visitor):
    v = js_visitor
    assessment = start_assessment(v)
    family = reverse("assessments:family", args=[assessment.public_id, "AC"])
    v.open(family)
    assert not unload_is_held_back(v)

    # Refused by the server (N/A needs a justification): "Next family" stays and says which answer is not saved.
    v.click(answer_control(v, "3.1.3", "status", "na"))
    v.click(v.button("Next family →"))
    notice = v.wait(lambda: v.find("[data-testid='leave-notice'][role='alert']"))
    assert "Your answer to 3.1.3 is not saved" in notice.text
    assert v.path == family and unload_is_held_back(v)
    v.click(v.find("button", notice))  # Stay on this page
    assert not v.find_all("[data-testid='leave-notice']")
    v.type(answer_control(v, "3.1.3", "justification"), "No CUI flows inside the company")
    v.click(v.find(".answer-form button.btn-primary", block(v, "3.1.3")))
    v.wait(lambda: v.find("[data-testid='save-state-3.1.3']").text == "Saved")
    assert not unload_is_held_back(v)

    # The server cannot be asked at all any more (the session has ended): the same, then "Leave anyway" leaves.
    v.driver.delete_cookie(settings.SESSION_COOKIE_NAME)
    v.click(answer_control(v, "3.1.1", "status", "met"))
    v.click(v.button("Next family →"))
    notice = v.wait(lambda: v.find("[data-testid='leave-notice'][role='alert']"))
    assert "Your answer to 3.1.1 is not saved" in notice.text
    assert "no longer has access" in v.find("[data-testid='save-state-3.1.1']").text
    assert v.path == family and unload_is_held_back(v)
    assert not Answer.objects.filter(assessment=assessment, requirement__nist_id="3.1.1").exists()
    v.press(v.find("button.btn-outline-danger", notice))  # Leave anyway
    assert v.path == reverse("assessments:family", args=[assessment.public_id, "AT"])
    # The refused N/A (422) and the saves and the page refused without a session (404, which htmx logs too).
    assert v.console_problems("status of 422", "status of 404", "Response Status Error Code 404") == []


def test_an_answer_changed_elsewhere_is_not_overwritten_and_keep_the_saved_version_shows_it(js_visitor):
    v = js_visitor
    assessment = start_assessment(v)
    family = reverse("assessments:family", args=[assessment.public_id, "AC"])
    v.open(family)
    # Saved in another tab after this page was opened.
    Answer.objects.create(assessment=assessment, requirement=Requirement.objects.get(nist_id="3.1.1"), status="met",
                          note="Saved in another tab", version=1)
    v.type(answer_control(v, "3.1.1", "note"), "Typed here")
    v.click(answer_control(v, "3.1.1", "status", "not_met"))
    v.wait(lambda: v.find("[data-testid='conflict-3.1.1']"))
    assert answer_control(v, "3.1.1", "note").get_attribute("value") == "Typed here"  # nothing typed is lost

    v.click(v.button("Next family →"))
    notice = v.wait(lambda: v.find("[data-testid='leave-notice'][role='alert']"))
    assert "Your answer to 3.1.1 is not saved" in notice.text and v.path == family
    v.click(v.button("Stay on this page", notice))

    v.click(v.button("Keep the saved version"))
    v.wait(lambda: not v.find_all("[data-testid='conflict-3.1.1']"))
    assert answer_control(v, "3.1.1", "status", "met").is_selected()
    assert answer_control(v, "3.1.1", "note").get_attribute("value") == "Saved in another tab"
    assert not unload_is_held_back(v)
    v.press(v.button("Next family →"))
    assert v.path == reverse("assessments:family", args=[assessment.public_id, "AT"])
    assert stored_answer(assessment, "3.1.1") == ("met", {"note": "Saved in another tab"})
    assert v.console_problems("status of 409") == []
