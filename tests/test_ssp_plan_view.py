"""Step 4, plan details: review frequency, approver and CUI marking."""

import pytest

from .ssp_helpers import (
    assessment_fixture,  # noqa: F401  (the assessment fixture)
    fresh_render_slots_fixture,  # noqa: F401  (autouse: a fresh render guard)
    ssp_fixture,  # noqa: F401  (the ssp fixture: the assessment's plan)
    url,
)

pytestmark = pytest.mark.django_db


def test_plan_details_are_saved(client, ssp):
    response = client.post(url("plan", ssp.assessment), {"review_frequency": "quarterly", "approver_name": "Pat",
                                                         "approver_title": "CEO"})
    assert response["Location"] == url("overview", ssp.assessment)
    ssp.refresh_from_db()
    assert (ssp.review_frequency, ssp.approver_name, ssp.cui_banner) == ("quarterly", "Pat", False)
