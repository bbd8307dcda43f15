"""Step 3, a family's requirements: each from the assessment's answers, starting text flagged."""

import pytest

from assessments.models import Answer
from controls.models import ExampleNarrative
from ssp import starting_text

from .personas import make_assessment
from .ssp_helpers import (
    assessment_fixture,  # noqa: F401  (the assessment fixture)
    fresh_render_slots_fixture,  # noqa: F401  (autouse: a fresh render guard)
    page,
    plan_for,
    ssp_fixture,  # noqa: F401  (the ssp fixture: the assessment's plan)
    textarea,
    url,
)

pytestmark = pytest.mark.django_db


def example(nist_id: str, variant: str) -> str:
    return ExampleNarrative.objects.get(requirement__nist_id=nist_id, variant=variant).text


def test_family_page_shows_each_requirement_from_the_answers_and_flags_starting_text(client, ssp):
    html = page(client.get(url("family", ssp.assessment, "AC")))
    assert len(html.xpath("//section[starts-with(@id, 'req-')]")) == 22
    assert html.xpath("//input[@name='r3-1-3-status'][@value='not_met']/@checked")
    radio = html.xpath("//input[@name='r3-1-3-status'][@value='not_met']/@id")[0]
    assert html.xpath("string(//label[@for=$i])", i=radio) == "Planned to be implemented"
    assert html.xpath("//*[@data-testid='pending-3.1.1']")
    assert textarea(html, "id_r3-1-1-note").splitlines()[1] == "Acme meets this requirement as follows."


def test_the_requirement_step_offers_the_chosen_environments_examples_as_starting_text(client, ssp):
    ssp.narrative_variant = "on_prem"
    ssp.save()
    html = page(client.get(url("family", ssp.assessment, "AC")))
    # 3.1.1 is met: the example as it stands; 3.1.3 is not met: the example is its target; 3.1.16 is N/A: empty.
    assert textarea(html, "id_r3-1-1-note") == "Acme meets this requirement as follows.\n" + example("3.1.1", "on_prem")
    assert f"Planned (the target state): {example('3.1.3', 'on_prem')}" in textarea(html, "id_r3-1-3-note")
    assert textarea(html, "id_r3-1-16-note") == ""
    assert html.xpath("//*[@data-testid='pending-3.1.1']") and html.xpath("//*[@data-testid='pending-3.1.3']")
    body = html.text_content()
    assert starting_text.which_example() not in body
    assert not any(example(f"3.1.{n}", "gcc_high") in body for n in range(1, 23))


def test_until_an_environment_is_chosen_the_gcc_high_examples_are_offered_and_say_so(client, ssp):
    assert ssp.narrative_variant == ""
    note = textarea(page(client.get(url("family", ssp.assessment, "AC"))), "id_r3-1-2-note")
    assert note.splitlines() == [starting_text.which_example(), "Acme meets this requirement as follows.",
                                 example("3.1.2", "gcc_high")]


def test_choosing_another_environment_changes_only_descriptions_not_yet_written(client, ssp):
    Answer.objects.filter(assessment=ssp.assessment, requirement__nist_id="3.1.2").update(
        note="Our own description: roles in Entra ID groups, reviewed quarterly by the IT lead.")
    ssp.narrative_variant = "gcc_high"
    ssp.save()
    html = page(client.get(url("family", ssp.assessment, "AC")))
    assert textarea(html, "id_r3-1-2-note") == "Our own description: roles in Entra ID groups, reviewed quarterly by " \
                                               "the IT lead."
    assert not html.xpath("//*[@data-testid='pending-3.1.2']")
    assert textarea(html, "id_r3-1-1-note").endswith(example("3.1.1", "gcc_high"))


@pytest.mark.parametrize("objective_mode", [False, True])
def test_the_plan_requirement_offers_no_not_applicable_and_no_box_for_why(org_people, objective_mode):
    """3.12.4 cannot be not applicable (an SSP always applies): its form has no such status, no "why" and no
    approval of it, for every member; 3.12.1 beside it has all three."""
    assessment = make_assessment(org_people["acme"], objective_mode=objective_mode,
                                 answers={"3.12.4": "not_met", "3.12.1": "na"})
    plan_for(assessment)
    for persona in ("owner", "editor", "viewer"):
        html = page(org_people["clients"][persona].get(url("family", assessment, "CA")))
        plan, beside = (html.xpath(f"//section[@id='req-{nist_id}']")[0] for nist_id in ("3.12.4", "3.12.1"))
        assert plan.xpath(".//input[@name='r3-12-4-status']/@value") == ["met", "not_met"]
        # Beside it, in objective mode the status comes from the objectives (no choice); else N/A is offered.
        assert beside.xpath(".//input[@name='r3-12-1-status']/@value") == ([] if objective_mode else
                                                                         ["met", "not_met", "na"])
        assert not plan.xpath(".//textarea[@name='r3-12-4-justification']")
        assert "If not applicable" not in plan.text_content()
        assert not plan.xpath(".//*[@data-testid='na-approval-3.12.4']")
        assert beside.xpath(".//textarea[@name='r3-12-1-justification']")
        assert beside.xpath(".//*[@data-testid='na-approval-3.12.1']")
