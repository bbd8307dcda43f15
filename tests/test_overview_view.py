from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from assessments.models import Assessment
from ssp.models import SystemSecurityPlan, create_ssp, record_version

from .personas import make_assessment
from .questionnaire_helpers import (
    answer_all,
    assert_private,
    by_testid,
    enabled_post_controls,
    html,
    outsider,
    start,
    text,
)

pytestmark = pytest.mark.django_db


def overview_url(assessment: Assessment) -> str:
    return reverse("assessments:overview", args=[assessment.public_id])


def test_the_owner_sees_every_family_with_its_progress_and_a_link(client):
    assessment = start(client)
    response = client.get(overview_url(assessment))
    assert response.status_code == 200
    doc = html(response)
    links = doc.xpath("//div[@id='progress']//a/@href")
    assert len(links) == 14
    assert links[0] == reverse("assessments:family", args=[assessment.public_id, "AC"])
    assert "Answered 1 of 110 requirements" in text(doc.xpath("//div[@id='progress']")[0])
    assert_private(response)


def test_a_blank_assessment_never_shows_a_flattering_score(client):
    assessment = start(client)
    doc = html(client.get(overview_url(assessment)))
    assert by_testid(doc, "score") == "-203"
    assert "109 requirements unanswered" in text(doc.xpath("//*[@id='score-box']")[0])
    assert by_testid(doc, "outcome") == "Incomplete"


def test_without_an_ssp_the_overview_says_there_is_no_score(client):
    assessment = start(client, has_ssp="no")
    doc = html(client.get(overview_url(assessment)))
    assert by_testid(doc, "score") == "No score yet"


def test_a_level_1_overview_counts_only_the_17_practices(client):
    assessment = start(client, target_level="l1")
    doc = html(client.get(overview_url(assessment)))
    progress = text(doc.xpath("//div[@id='progress']")[0])
    assert "Answered 0 of 17 requirements" in progress
    codes = [href.rstrip("/").rsplit("/", 1)[1] for href in doc.xpath("//div[@id='progress']//a/@href")]
    assert codes == ["AC", "IA", "MP", "PE", "SC", "SI"]


@pytest.mark.parametrize("method", ["get", "post", "put", "delete"])
def test_an_outsider_and_no_link_get_404(client, method):
    assessment = start(client)
    for stranger in (outsider(), Client()):
        assert getattr(stranger, method)(overview_url(assessment)).status_code == 404


def test_the_owner_may_only_read(client):
    assessment = start(client)
    assert client.post(overview_url(assessment)).status_code == 405


def test_the_overview_makes_the_same_queries_with_no_answer_and_with_all_110(client, django_assert_num_queries):
    assessment = start(client)
    # 1 session, 2 assessment (access check), 3 the catalog revision (the rules and family names are in memory per
    # revision: controls/snapshot.py), 4 answers.
    with django_assert_num_queries(4):
        client.get(overview_url(assessment))
    assert answer_all(assessment) == 110
    with django_assert_num_queries(4):
        response = client.get(overview_url(assessment))
    assert by_testid(html(response), "score") == "110"


def test_a_viewer_reads_and_downloads_without_duplicate_or_activity_and_an_editor_still_duplicates(org_people):
    """A viewer's duplicate would get 403: the overview says why, offers no button, and keeps every download."""
    assessment = make_assessment(org_people["acme"])
    clients = org_people["clients"]
    duplicate = reverse("orgs:duplicate", args=[assessment.public_id])
    doc = html(clients["viewer"].get(overview_url(assessment)))
    assert "only editors and owners can change them" in by_testid(doc, "read-only")
    assert not enabled_post_controls(doc) and not doc.xpath("//form[@action=$u]", u=duplicate)
    assert not doc.xpath("//main//a[normalize-space()='Activity' or normalize-space()='Delete']")
    for name in ("export_csv", "export_xlsx", "export_json"):
        href = reverse(f"assessments:{name}", args=[assessment.public_id])
        assert doc.xpath("//main//a[@href=$u]", u=href)
        assert clients["viewer"].get(href).status_code == 200
    assert clients["viewer"].post(duplicate).status_code == 403  # the page hides it; the server still refuses
    for role, delete_links in (("editor", 0), ("owner", 1)):
        doc = html(clients[role].get(overview_url(assessment)))
        assert not doc.xpath("//*[@data-testid='read-only']")
        assert [(b.text, b.getparent().get("action")) for b in enabled_post_controls(doc)] == [("Duplicate", duplicate)]
        assert len(doc.xpath("//main//a[normalize-space()='Delete']")) == delete_links
        assert doc.xpath("//main//a[normalize-space()='Activity']")


# --- The SSP loop: a plan generated while 3.12.4 still says "no SSP" ---------------------------------------------


def record(assessment: Assessment, label: str, *, draft: bool) -> None:
    ssp = SystemSecurityPlan.objects.filter(assessment=assessment).first() or create_ssp(assessment=assessment)
    record_version(ssp=ssp, label=label, generated_on=date(2026, 3, 9), description="v", made_by="Pat",
                   catalog_revision="x", draft=draft, docx=b"docx", pdf=b"%PDF")


def test_a_final_plan_with_3_12_4_not_met_brings_a_prompt_whose_button_marks_it_met(client):
    assessment = start(client, has_ssp="no")
    record(assessment, "1.0", draft=True)
    record(assessment, "1.1", draft=False)
    doc = html(client.get(overview_url(assessment)))
    assert by_testid(doc, "ssp-prompt").startswith("Your System Security Plan version 1.1 (2026-03-09) is final, "
                                                   "but requirement 3.12.4 still says you have no SSP")
    form = doc.xpath("//*[@data-testid='ssp-prompt']//form")[0]
    assert form.get("action") == reverse("assessments:ssp_answer", args=[assessment.public_id])
    assert form.xpath(".//input[@name='next']/@value") == [overview_url(assessment)]
    assert text(form.xpath(".//button")[0]) == "Mark 3.12.4 (System Security Plan) as met"

    response = client.post(form.get("action"), {"next": overview_url(assessment)}, follow=True)
    doc = html(response)
    assert not doc.xpath("//*[@data-testid='ssp-prompt']")  # gone once 3.12.4 is met
    assert by_testid(doc, "score") == "-203"


def test_a_draft_plan_with_3_12_4_not_met_brings_a_prompt_to_finish_it_without_the_button(client):
    assessment = start(client, has_ssp="no")
    record(assessment, "0.1", draft=True)
    doc = html(client.get(overview_url(assessment)))
    prompt = by_testid(doc, "ssp-prompt")
    assert "has a draft (version 0.1, 2026-03-09)" in prompt and "generate a final version" in prompt
    assert not doc.xpath("//*[@data-testid='mark-ssp-met']")


def test_no_prompt_without_a_plan_once_3_12_4_is_met_or_for_a_viewer(client, org_people):
    assessment = start(client, has_ssp="no")
    assert not html(client.get(overview_url(assessment))).xpath("//*[@data-testid='ssp-prompt']")
    assessment = start(client, "Met Co")  # has an SSP
    record(assessment, "1.0", draft=False)
    assert not html(client.get(overview_url(assessment))).xpath("//*[@data-testid='ssp-prompt']")
    org = make_assessment(org_people["acme"], answers={"3.12.4": "not_met"})
    record(org, "1.0", draft=False)
    assert not html(org_people["clients"]["viewer"].get(overview_url(org))).xpath(
        "//*[@data-testid='ssp-prompt']")
    assert html(org_people["clients"]["editor"].get(overview_url(org))).xpath("//*[@data-testid='mark-ssp-met']")


def test_without_an_ssp_the_overview_adds_one_query_for_the_plans_versions(client, django_assert_num_queries):
    assessment = start(client, has_ssp="no")
    record(assessment, "1.0", draft=False)
    # 1 session, 2 assessment (access check), 3 the catalog revision, 4 answers, 5 the SSP's generated versions
    # (assessments.plans).
    with django_assert_num_queries(5):
        response = client.get(overview_url(assessment))
    assert html(response).xpath("//*[@data-testid='mark-ssp-met']")
