"""The SSP overview: the way in from the assessment, the readiness list, and the offer to mark 3.12.4 met
once a final version exists."""

from datetime import date

import pytest
from django.urls import reverse

from ssp.document import build_document
from ssp.models import record_version

from .personas import make_assessment
from .ssp_helpers import (
    assessment_fixture,  # noqa: F401  (the assessment fixture)
    complete,
    fresh_render_slots_fixture,  # noqa: F401  (autouse: a fresh render guard)
    page,
    plan_for,
    ssp_fixture,  # noqa: F401  (the ssp fixture: the assessment's plan)
    url,
)

pytestmark = pytest.mark.django_db


def test_the_assessment_overview_and_the_nav_link_to_the_plan(client, assessment):
    body = page(client.get(reverse("assessments:overview", args=[assessment.public_id])))
    assert body.xpath("//main//a[@href=$u]", u=url("overview", assessment))
    assert body.xpath("//nav//a[normalize-space()='SSP'][@href=$u]", u=url("overview", assessment))


def test_readiness_lists_exactly_what_is_missing_with_links_to_the_fields(client, ssp, django_assert_num_queries):
    complete(ssp)
    ssp.boundary = ""
    ssp.save()
    ssp.assessment.answers.filter(requirement__nist_id="3.1.3").update(planned_date=None)
    ssp.assessment.answers.filter(requirement__nist_id="3.1.16").update(justification="")
    # 1 session, 2 assessment (access check), 3 plan; build_document: 4 contacts, 5 user roles, 6 hardware,
    # 7 software, 8 interconnections, 9 providers, 10 policies, 11 reviews, 12 diagram, 13 version labels; the
    # records: 14 the catalog revision (the rules are in memory per revision: controls/snapshot.py), 15 answers (the
    # score and the records), 16 requirements with their family, 17 objectives; 18 the versions table.
    with django_assert_num_queries(18):
        response = client.get(url("overview", ssp.assessment))
    links = page(response).xpath("//*[@data-testid='readiness']//li/a")
    assert [(a.text, a.get("href")) for a in links] == [
        ("The system boundary is not described (section 2).", url("environment", ssp.assessment) + "#id_boundary"),
        ("3.1.3: open, but no scheduled completion date.",
         url("family", ssp.assessment, "AC") + "#id_r3-1-3-planned_date"),
        ("3.1.16: not applicable, but no rationale is given.",
         url("family", ssp.assessment, "AC") + "#id_r3-1-16-justification"),
    ]
    # Each link's target exists on its page.
    for _, href in [(a.text, a.get("href")) for a in links]:
        path, anchor = href.split("#")
        assert page(client.get(path)).xpath("//*[@id=$a]", a=anchor), href


def keep_version(ssp, label: str, *, draft: bool) -> None:
    record_version(ssp=ssp, label=label, generated_on=date(2026, 3, 9), description="v", made_by="Pat",
                   catalog_revision="x", draft=draft, docx=b"docx", pdf=b"%PDF")


def test_a_final_version_brings_the_offer_to_mark_3_12_4_met_until_it_is(client, ssp):
    ssp.assessment.answers.filter(requirement__nist_id="3.12.4").update(status="not_met")
    keep_version(ssp, "1.0", draft=True)
    assert not page(client.get(url("overview", ssp.assessment))).xpath("//*[@data-testid='ssp-prompt']")
    keep_version(ssp, "1.1", draft=False)
    html = page(client.get(url("overview", ssp.assessment)))
    button = html.xpath("//*[@data-testid='ssp-prompt']//button[@data-testid='mark-ssp-met']")
    assert [b.text_content().strip() for b in button] == ["Mark 3.12.4 (System Security Plan) as met"]
    form = button[0].getparent()
    assert form.xpath("./input[@name='next']/@value") == [url("overview", ssp.assessment)]
    response = client.post(form.get("action"), {"next": url("overview", ssp.assessment)})
    assert response["Location"] == url("overview", ssp.assessment)
    assert ssp.assessment.answers.get(requirement__nist_id="3.12.4").status == "met"
    assert not page(client.get(url("overview", ssp.assessment))).xpath("//*[@data-testid='ssp-prompt']")


def test_a_viewer_is_not_offered_to_mark_3_12_4_met_and_an_editor_is(org_people):
    assessment = make_assessment(org_people["acme"], answers={"3.12.4": "not_met"})
    keep_version(plan_for(assessment), "1.0", draft=False)
    viewer = page(org_people["clients"]["viewer"].get(url("overview", assessment)))
    assert not viewer.xpath("//*[@data-testid='ssp-prompt']") and not viewer.xpath("//*[@data-testid='mark-ssp-met']")
    assert page(org_people["clients"]["editor"].get(url("overview", assessment))).xpath(
        "//*[@data-testid='mark-ssp-met']")


def test_the_offer_costs_one_query_and_only_with_a_final_version(client, ssp, django_assert_num_queries):
    keep_version(ssp, "1.0", draft=False)
    # 1 session, 2 assessment (access check), 3 plan; build_document: 4-11 the plan's rows (contacts, roles,
    # hardware, software, interconnections, providers, policies, reviews), 12 diagram, 13 version labels,
    # 14 the catalog revision, 15 answers, 16 requirements with their family, 17 objectives; 18 the versions table,
    # 19 the 3.12.4 answer (there is a final version).
    with django_assert_num_queries(19):
        client.get(url("overview", ssp.assessment))


def test_every_kind_of_open_item_links_to_a_field_that_exists_on_its_page(client, ssp):
    # A bare plan with one of each kind of requirement issue: every link of the readiness list lands on its field.
    answers = ssp.assessment.answers
    answers.filter(requirement__nist_id="3.1.1").update(note="Yes.")
    answers.filter(requirement__nist_id="3.1.2").update(note="We train <<who>> every year on the rules.")
    answers.filter(requirement__nist_id="3.1.16").update(justification="")
    answers.filter(requirement__nist_id="3.1.3").update(planned_date=None)
    html = page(client.get(url("overview", ssp.assessment)))
    links = [a.get("href") for a in html.xpath("//*[@data-testid='readiness']//li/a")]
    kinds = {issue.code for issue in build_document(ssp).issues}
    assert {"contact_missing", "purpose_missing", "cui_categories_missing", "boundary_missing", "topology_missing",
            "diagram_missing", "hardware_missing", "software_missing", "approver_missing", "approval_date_missing",
            "description_too_short", "description_placeholder", "rationale_missing", "na_not_approved",
            "planned_date_missing", "poam_incomplete", "description_unconfirmed"} <= kinds
    pages: dict[str, object] = {}
    for href in links:
        path, anchor = href.split("#")
        if path not in pages:
            pages[path] = page(client.get(path))
        assert pages[path].xpath("//*[@id=$a]", a=anchor), href
