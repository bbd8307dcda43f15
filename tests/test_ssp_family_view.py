"""Step 3, a family's requirements: each from the assessment's answers, starting text flagged."""

import pytest

from .ssp_helpers import (
    assessment_fixture,  # noqa: F401  (the assessment fixture)
    fresh_render_slots_fixture,  # noqa: F401  (autouse: a fresh render guard)
    page,
    ssp_fixture,  # noqa: F401  (the ssp fixture: the assessment's plan)
    textarea,
    url,
)

pytestmark = pytest.mark.django_db


def test_family_page_shows_each_requirement_from_the_answers_and_flags_starting_text(client, ssp):
    html = page(client.get(url("family", ssp.assessment, "AC")))
    assert len(html.xpath("//section[starts-with(@id, 'req-')]")) == 22
    assert html.xpath("//input[@name='r3-1-3-status'][@value='not_met']/@checked")
    radio = html.xpath("//input[@name='r3-1-3-status'][@value='not_met']/@id")[0]
    assert html.xpath("string(//label[@for=$i])", i=radio) == "Planned to be implemented"
    assert html.xpath("//*[@data-testid='pending-3.1.1']")
    assert textarea(html, "id_r3-1-1-note").startswith("Acme meets this requirement")
