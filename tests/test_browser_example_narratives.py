"""The example narratives in a real Chromium, JavaScript on: the environment chosen on the SSP's identification step
is stored, shown again after a reload, and decides which example the requirement step offers as starting text."""

import pytest
from django.urls import reverse

from controls.models import ExampleNarrative
from ssp import starting_text
from ssp.models import SystemSecurityPlan

from .test_browser_every_form import Visitor, start_ssp

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(name="js_visitor")
def js_visitor_fixture(live_server, catalog_db, browser) -> Visitor:
    browser.delete_all_cookies()
    return Visitor(browser, live_server.url, javascript=True)


def example(nist_id: str, variant: str) -> str:
    return ExampleNarrative.objects.get(requirement__nist_id=nist_id, variant=variant).text


def note_of(v: Visitor, nist_id: str) -> str:
    """The description as the browser holds it (its value, not the markup)."""
    return v.find(f"[name='r{nist_id.replace('.', '-')}-note']").get_attribute("value").replace("\r\n", "\n")


def test_the_environment_chosen_on_identification_decides_the_starting_text(js_visitor):
    v = js_visitor
    assessment, ssp = start_ssp(v)
    family = reverse("ssp:family", args=[assessment.public_id, "AC"])
    identification = reverse("ssp:identification", args=[assessment.public_id])

    # Nothing chosen yet: the GCC High example, headed by the line that says so.
    v.open(family)
    assert note_of(v, "3.1.1").splitlines()[0] == starting_text.which_example()
    assert example("3.1.1", "gcc_high") in note_of(v, "3.1.1")

    v.open(identification)
    form = v.find("form[data-testid='identification-form']")
    assert "Example narratives written for" in form.text
    assert not any(r.is_selected() for r in v.find_all("input[name='narrative_variant']", form))
    v.click(v.find("input[name='narrative_variant'][value='on_prem']", form))
    v.press(v.button("Save", form))
    assert "Identification saved." in v.main_text()

    v.open(identification)
    chosen = [r.get_attribute("value") for r in v.find_all("input[name='narrative_variant']") if r.is_selected()]
    assert chosen == ["on_prem"]
    assert SystemSecurityPlan.objects.get(pk=ssp.pk).narrative_variant == "on_prem"

    # 3.1.1 has no status yet, so it is open: the on-premises example is its target state.
    v.open(family)
    note = note_of(v, "3.1.1")
    assert note.splitlines()[0] == "Every Form Co has not fully implemented this requirement yet."
    assert f"Planned (the target state): {example('3.1.1', 'on_prem')}" in note.splitlines()
    assert starting_text.which_example() not in note and example("3.1.1", "gcc_high") not in note
    assert v.find("[data-testid='pending-3.1.1']")
    assert v.console_problems() == []
