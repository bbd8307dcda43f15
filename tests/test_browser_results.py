"""The results page as a dashboard, in a real Chromium with JavaScript on and off: what is at the top, the long
lists folded away until opened, printed whole, and each next action leading to its question."""

import pytest
from django.urls import reverse

from assessments.models import Assessment
from assessments.next_actions import next_actions
from assessments.records import score_assessment
from controls.models import Requirement

from . import test_browser_every_form as every_form
from .report_helpers import answer
from .test_browser_every_form import Visitor, start_assessment

# The live-server visitors of the every-form tests: with JavaScript on and off (visitor), or on (js_visitor).
js_visitor = every_form.js_visitor
visitor = every_form.visitor

pytestmark = [pytest.mark.browser]


def visible(v: Visitor, selector: str) -> list[bool]:
    """Whether each match is rendered (a closed <details> renders nothing of its content but the summary)."""
    return [v.driver.execute_script("return arguments[0].checkVisibility();", el) for el in v.find_all(selector)]


def many_gaps(assessment: Assessment) -> None:
    gaps = {r.nist_id: "not_met" for r in Requirement.objects.all() if r.position % 3 == 0}
    answer(assessment, gaps | {"3.12.4": "met"})


def test_the_top_shows_the_dashboard_and_long_lists_open_on_demand_and_print_whole(visitor):
    v = visitor
    assessment = start_assessment(v, "Dashboard Co")
    many_gaps(assessment)
    result = score_assessment(assessment)
    v.open(reverse("assessments:results", args=[assessment.public_id]))

    top = v.find("[data-testid='dashboard']")
    assert v.find("[data-testid='score']", top).text == str(result.score)
    assert v.find("[data-testid='outcome']", top).text == "No CMMC status"
    actions = v.find_all("[data-testid='next-actions'] > li", top)
    assert [a.get_attribute("data-nist") for a in actions] == [a.nist_id for a in next_actions(result)]
    assert all(a.is_displayed() for a in actions) and v.find(".family-chart", top.find_element(
        "xpath", "following-sibling::div")).is_displayed()

    folded = "[data-testid='gap-more-blockers'] tr[data-nist]"
    assert visible(v, folded) and not any(visible(v, folded))
    assert all(visible(v, "table[data-group='blockers']:not(details table) tr[data-nist]"))
    v.click(v.find("[data-testid='gap-more-blockers'] > summary"))
    assert all(visible(v, folded))
    v.click(v.find("[data-testid='gap-more-blockers'] > summary"))
    assert not any(visible(v, folded))

    # On paper every list is whole (app.css; app.js opens them where a browser lacks ::details-content).
    v.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        assert all(visible(v, "details.fold tr[data-nist], details.fold li[data-nist]"))
    finally:
        v.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})

    # A next action leads to its question.
    first = next_actions(result)[0]
    v.press(v.find(f"[data-testid='next-actions'] > li[data-nist='{first.nist_id}'] a"))
    family = Requirement.objects.select_related("family").get(nist_id=first.nist_id).family.code
    assert v.path == reverse("assessments:family", args=[assessment.public_id, family])
    assert v.driver.current_url.endswith(f"#req-{first.nist_id}")
    if v.javascript:
        assert v.console_problems() == []


def test_before_printing_the_script_opens_the_folded_lists_and_closes_them_after(js_visitor):
    v = js_visitor
    assessment = start_assessment(v, "Print Co")
    many_gaps(assessment)
    v.open(reverse("assessments:results", args=[assessment.public_id]))
    opened = "return [...document.querySelectorAll('details.fold')].map(d => d.open);"
    assert not any(v.driver.execute_script(opened))
    v.driver.execute_script("window.dispatchEvent(new Event('beforeprint'));")
    assert all(v.driver.execute_script(opened))
    v.driver.execute_script("window.dispatchEvent(new Event('afterprint'));")
    assert not any(v.driver.execute_script(opened))
    assert v.console_problems() == []
