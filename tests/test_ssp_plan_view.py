"""Step 4, plan details: review frequency, approval, the CUI marking and designation indicator, the policy index
and the review log."""

from datetime import date, timedelta

import pytest

from ssp.models import PlanReview, PolicyDocument

from .personas import make_assessment
from .ssp_helpers import (
    assessment_fixture,  # noqa: F401  (the assessment fixture)
    fresh_render_slots_fixture,  # noqa: F401  (autouse: a fresh render guard)
    page,
    plan_for,
    refusal,
    ssp_fixture,  # noqa: F401  (the ssp fixture: the assessment's plan)
    url,
)

pytestmark = pytest.mark.django_db


def plan_data(**overrides) -> dict:
    data = {"review_frequency": "quarterly", "approver_name": "Pat Doe", "approver_title": "CEO",
            "approval_date": "2026-11-30", "cui_controlled_by": "Acme Engineering, IT", "cui_category_marking": "CTI",
            "cui_dissemination": "FEDCON", "cui_poc": "Pat Doe, 555-0100"}
    for prefix in ("policies", "reviews"):
        data |= {f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0", f"{prefix}-MIN_NUM_FORMS": "0",
                 f"{prefix}-MAX_NUM_FORMS": "50"}
    data |= {"policies-TOTAL_FORMS": "1", "policies-0-title": "Access Control Policy",
             "policies-0-reference": "POL-01", "policies-0-version": "2.1",
             "reviews-TOTAL_FORMS": "1", "reviews-0-reviewed_on": "2026-11-15", "reviews-0-reviewer": "Pat Doe",
             "reviews-0-outcome": "No changes"}
    return data | overrides


def test_plan_details_the_policies_and_a_review_are_saved_together(client, ssp):
    response = client.post(url("plan", ssp.assessment), plan_data())
    assert response.status_code == 302 and response["Location"] == url("plan", ssp.assessment)
    ssp.refresh_from_db()
    assert (ssp.review_frequency, ssp.approver_name, ssp.approval_date, ssp.cui_banner) == (
        "quarterly", "Pat Doe", date(2026, 11, 30), False)
    assert (ssp.cui_controlled_by, ssp.cui_category_marking, ssp.cui_dissemination, ssp.cui_poc) == (
        "Acme Engineering, IT", "CTI", "FEDCON", "Pat Doe, 555-0100")
    assert list(PolicyDocument.objects.values_list("title", "reference", "version")) == [
        ("Access Control Policy", "POL-01", "2.1")]
    assert list(PlanReview.objects.values_list("reviewed_on", "reviewer", "outcome")) == [
        (date(2026, 11, 15), "Pat Doe", "No changes")]
    # The page shows what was stored.
    html = page(client.get(url("plan", ssp.assessment)))
    assert html.xpath("//input[@name='approval_date']/@value") == ["2026-11-30"]
    assert html.xpath("//input[@name='policies-0-title']/@value") == ["Access Control Policy"]


def test_save_and_continue_goes_to_the_overview(client, ssp):
    response = client.post(url("plan", ssp.assessment), plan_data(next="1"))
    assert response["Location"] == url("overview", ssp.assessment)


def test_an_approval_date_in_the_future_is_refused_next_to_the_field_and_nothing_is_lost(client, ssp):
    later = (date.today() + timedelta(days=30)).isoformat()
    response = client.post(url("plan", ssp.assessment), plan_data(approval_date=later))
    status, messages = refusal(response)
    assert status == 400
    assert "The approval date is in the future: give the date the plan was signed." in messages
    html = page(response)
    assert html.xpath("//input[@name='approval_date']/@value") == [later]
    assert html.xpath("//input[@name='policies-0-title']/@value") == ["Access Control Policy"]
    ssp.refresh_from_db()
    assert ssp.approval_date is None and not PolicyDocument.objects.exists() and not PlanReview.objects.exists()


def test_a_review_without_its_date_or_reviewer_is_refused_next_to_the_field(client, ssp):
    response = client.post(url("plan", ssp.assessment), plan_data(**{"reviews-0-reviewed_on": "2026-02-30"}))
    status, messages = refusal(response)
    assert status == 400 and "Enter a valid date." in messages
    response = client.post(url("plan", ssp.assessment), plan_data(**{"reviews-0-reviewer": ""}))
    assert refusal(response) == (400, ["4. Plan details", "This field is required."])
    assert not PlanReview.objects.exists()


def test_a_viewer_sees_the_plan_details_and_cannot_change_them(org_people):
    assessment = make_assessment(org_people["acme"])
    plan_for(assessment)
    viewer = org_people["clients"]["viewer"]
    html = page(viewer.get(url("plan", assessment)))
    assert html.xpath("//fieldset[@disabled]") and not html.xpath("//button[not(ancestor::fieldset[@disabled])]"
                                                                  "[contains(., 'Save')]")
    assert viewer.post(url("plan", assessment), plan_data()).status_code == 403
    assert not PolicyDocument.objects.exists()


def test_an_editor_may_save_and_an_outsider_gets_nothing(org_people):
    assessment = make_assessment(org_people["acme"])
    ssp = plan_for(assessment)
    assert org_people["clients"]["editor"].post(url("plan", assessment), plan_data()).status_code == 302
    ssp.refresh_from_db()
    assert ssp.approver_name == "Pat Doe"
    for outsider in ("other_org", "loner"):
        response = org_people["clients"][outsider].post(url("plan", assessment), plan_data(approver_name="Mallory"))
        assert response.status_code == 404
        assert org_people["clients"][outsider].get(url("plan", assessment)).status_code == 404
    ssp.refresh_from_db()
    assert ssp.approver_name == "Pat Doe"
