import pytest
from django.test import Client
from django.urls import reverse

from assessments.models import Answer, Assessment, ObjectiveAnswer
from assessments.paths import path_for_each
from controls.models import Family, Objective, Requirement

from .personas import make_assessment
from .questionnaire_helpers import (
    answer_all,
    assert_private,
    by_testid,
    enabled_post_controls,
    html,
    objective_prefix,
    outsider,
    post_answer,
    prefix,
    start,
    text,
)

pytestmark = pytest.mark.django_db


def family_url(assessment: Assessment, code: str) -> str:
    return reverse("assessments:family", args=[assessment.public_id, code])


def blocks(doc) -> list[str]:
    return [b.get("id").removeprefix("req-") for b in doc.xpath("//section[contains(@class, 'requirement-block')]")]


def status_options(doc, nist_id: str) -> list[str]:
    return doc.xpath(f"//input[@name='{prefix(nist_id)}-status']/@value")


def test_the_owner_sees_each_requirement_with_text_objectives_points_and_options(client):
    assessment = start(client)
    response = client.get(family_url(assessment, "AC"))
    assert response.status_code == 200
    doc = html(response)
    assert blocks(doc) == list(Requirement.objects.filter(family__code="AC").values_list("nist_id", flat=True))
    block = doc.xpath("//section[@id='req-3.1.1']")[0]
    req = Requirement.objects.get(nist_id="3.1.1")
    assert req.text in text(block)
    assert "5 pts" in text(block)
    objectives = Objective.objects.filter(requirement=req)
    assert len(block.xpath(".//details//li")) == objectives.count() == 6
    # Each objective stands alone as an item: it starts with a capital (SP 800-171A writes "authorized users...").
    assert text(block.xpath(".//details//li")[0]) == "[a] Authorized users are identified"
    assert status_options(doc, "3.1.1") == ["", "met", "not_met", "na"]
    # What the options mean is on the page.
    assert "Not applicable" in text(doc.xpath("//details[summary='What the answers mean']")[0])
    assert_private(response)


def test_partially_met_is_offered_only_for_3_5_3_and_3_13_11(client):
    assessment = start(client)
    offered = []
    for family in Family.objects.all():
        doc = html(client.get(family_url(assessment, family.code)))
        offered += [nist for nist in blocks(doc) if "partial" in status_options(doc, nist)]
    assert offered == ["3.5.3", "3.13.11"]
    doc = html(client.get(family_url(assessment, "IA")))
    assert "remote and privileged users" in text(doc.xpath("//section[@id='req-3.5.3']")[0]).lower()


def test_each_block_is_a_plain_form_that_works_without_javascript(client):
    assessment = start(client)
    doc = html(client.get(family_url(assessment, "AC")))
    form = doc.xpath("//section[@id='req-3.1.1']//form[contains(@class, 'answer-form')]")[0]
    url = reverse("assessments:answer", args=[assessment.public_id, "3.1.1"])
    assert form.get("method") == "post" and form.get("action") == url and form.get("hx-post") == url
    assert form.xpath(".//input[@name='csrfmiddlewaretoken']")
    assert form.xpath(".//button[not(@type) or @type='submit']")
    assert form.xpath(f".//input[@name='{prefix('3.1.1')}-version']/@value") == ["0"]


def test_the_stored_answer_is_shown_with_its_version_and_history_link(client):
    assessment = start(client)
    post_answer(client, assessment, "3.1.2", status="na", justification="No transactions exist")
    doc = html(client.get(family_url(assessment, "AC")))
    p = prefix("3.1.2")
    assert doc.xpath(f"//input[@name='{p}-status'][@checked]/@value") == ["na"]
    assert text(doc.xpath(f"//textarea[@name='{p}-justification']")[0]) == "No transactions exist"
    assert doc.xpath(f"//input[@name='{p}-version']/@value") == ["1"]
    assert doc.xpath(f"//a[@href='{reverse('assessments:answer_history', args=[assessment.public_id, '3.1.2'])}']")
    assert by_testid(doc, "state-3.1.2") == "Not applicable"


def test_progress_per_family_and_overall_with_previous_and_next(client):
    assessment = start(client)
    post_answer(client, assessment, "3.2.1", status="met")
    doc = html(client.get(family_url(assessment, "AT")))
    progress = doc.xpath("//div[@id='progress']")[0]
    assert "Answered 2 of 110 requirements" in text(progress)
    active = progress.xpath(".//li[contains(@class, 'active')]")[0]
    assert "1/3" in text(active)
    hrefs = doc.xpath("//nav[@aria-label='Families']//a/@href")
    assert hrefs == [family_url(assessment, "AC"), family_url(assessment, "AU")]


def test_the_last_family_leads_to_the_results(client):
    assessment = start(client)
    doc = html(client.get(family_url(assessment, "SI")))
    assert doc.xpath("//nav[@aria-label='Families']//a/@href")[-1] == reverse(
        "assessments:results", args=[assessment.public_id])


def test_a_level_1_assessment_shows_only_the_17_practices(client):
    assessment = start(client, target_level="l1")
    shown = []
    for family in Family.objects.all():
        response = client.get(family_url(assessment, family.code))
        if response.status_code == 404:
            continue  # a family with no Level 1 practice is not part of the assessment
        assert response.status_code == 200
        shown += blocks(html(response))
    assert sorted(shown) == sorted(Requirement.objects.exclude(level1_id="").values_list("nist_id", flat=True))
    assert len(shown) == 17
    assert client.get(family_url(assessment, "AT")).status_code == 404


def test_an_unknown_family_is_404(client):
    assessment = start(client)
    assert client.get(family_url(assessment, "ZZ")).status_code == 404


def test_objective_mode_shows_one_small_form_per_objective(client):
    assessment = start(client, objective_mode="on")
    doc = html(client.get(family_url(assessment, "AC")))
    forms = doc.xpath("//section[@id='req-3.1.1']//form[contains(@class, 'objective-form')]")
    assert len(forms) == 6
    assert text(forms[0]).startswith("[a] Authorized users are identified")
    assert forms[0].get("action") == reverse("assessments:objective", args=[assessment.public_id, "3.1.1[a]"])
    # The requirement's own status is derived, so only 3.5.3 / 3.13.11 offer a choice (their partial state).
    assert status_options(doc, "3.1.1") == []
    doc = html(client.get(family_url(assessment, "IA")))
    assert status_options(doc, "3.5.3") == ["", "partial"]


@pytest.mark.parametrize("method", ["get", "post", "put", "delete"])
def test_an_outsider_and_no_link_get_404(client, method):
    assessment = start(client)
    for stranger in (outsider(), Client()):
        assert getattr(stranger, method)(family_url(assessment, "AC")).status_code == 404


def test_a_viewer_sees_the_answers_read_only_and_an_editor_sees_the_controls(org_people):
    """A viewer's saves would get 403: the page shows the answers in disabled controls, without Save or History."""
    assessment = make_assessment(org_people["acme"], objective_mode=True)
    url = family_url(assessment, "AC")
    doc = html(org_people["clients"]["viewer"].get(url))
    assert "only editors and owners can change them" in by_testid(doc, "read-only")
    assert not enabled_post_controls(doc)
    block = doc.xpath("//section[@id='req-3.1.1']")[0]
    controls = block.xpath(".//input[not(@type='hidden')] | .//textarea | .//select")
    assert controls and all(c.xpath("ancestor::fieldset[@disabled]") for c in controls)
    assert block.xpath(".//textarea[@name='r3-1-1-note']")[0].text.strip() == "note for 3.1.1"
    assert block.xpath(f".//input[@name='{objective_prefix('3.1.1[a]')}-status' and @value='met']/@checked")
    assert not block.xpath(".//button") and not block.xpath(".//a[normalize-space()='History']")
    for role in ("editor", "owner"):
        doc = html(org_people["clients"][role].get(url))
        assert not doc.xpath("//*[@data-testid='read-only']") and not doc.xpath("//fieldset[@disabled]")
        assert doc.xpath("//section[@id='req-3.1.1']//button[normalize-space()='Save']")
        assert len(enabled_post_controls(doc)) > 100  # every answer's and every objective's controls


def test_the_owner_may_only_read(client):
    assessment = start(client)
    assert client.post(family_url(assessment, "AC")).status_code == 405


def test_the_questionnaire_page_makes_the_same_queries_with_no_answer_and_with_all_110(
    client, django_assert_num_queries
):
    assessment = start(client)
    Answer.objects.filter(assessment=assessment).delete()
    url = family_url(assessment, "AC")
    # 1 session, 2 assessment (access check), 3 the catalog revision (families, requirements, objectives and the
    # scoring rules are in memory per revision: controls/snapshot.py), 4 the assessment's answers, 5 the ISO 27001
    # head-start hints for the family's requirements.
    with django_assert_num_queries(5):
        assert client.get(url).status_code == 200
    assert answer_all(assessment) == 110
    with django_assert_num_queries(5):
        response = client.get(url)
    assert by_testid(html(response), "score") == "110"


def test_the_objective_mode_page_adds_one_query_whatever_the_number_of_answers(client, django_assert_num_queries):
    assessment = start(client, objective_mode="on")
    url = family_url(assessment, "AC")
    # As above, plus the objective answers.
    with django_assert_num_queries(6):
        client.get(url)
    answer_all(assessment)
    ObjectiveAnswer.objects.bulk_create(ObjectiveAnswer(assessment=assessment, objective=o, status="met")
                                        for o in Objective.objects.all())
    with django_assert_num_queries(6):
        response = client.get(url)
    assert by_testid(html(response), "score") == "110"


@pytest.mark.parametrize("objective_mode", ["", "on"])
def test_the_plan_requirement_has_no_not_applicable_box_and_says_what_not_met_costs(client, objective_mode):
    # 3.12.4 is never not applicable and costs no points: without it no score exists at all. In objective mode
    # it stays one answer (the SSP exists or not), with the same choices.
    assessment = start(client, objective_mode=objective_mode)
    Answer.objects.update_or_create(assessment=assessment, requirement=Requirement.objects.get(nist_id="3.12.4"),
                                    defaults={"status": "not_met"})
    doc = html(client.get(family_url(assessment, "CA")))
    assert not doc.xpath(f"//textarea[@name='{prefix('3.12.4')}-justification']")
    assert doc.xpath(f"//textarea[@name='{prefix('3.12.1')}-justification']")
    assert by_testid(doc, "state-3.12.4") == "Not met: no score without it"
    assert "(−0)" not in text(doc)
    assert status_options(doc, "3.12.4") == ["", "met", "not_met"]


def test_each_requirement_and_objective_path_is_what_reverse_gives():
    # The page builds them from one reverse() per route (assessments/paths.py).
    public_id = "Ab_-0123456789xyzQ"
    for route, ids in (("assessments:answer", Requirement.objects.values_list("nist_id", flat=True)),
                       ("assessments:answer_history", Requirement.objects.values_list("nist_id", flat=True)),
                       ("assessments:objective", Objective.objects.values_list("objective_id", flat=True)),
                       ("assessments:family", Family.objects.values_list("code", flat=True))):
        sample = {"assessments:objective": "3.1.1[a]", "assessments:family": "AC"}.get(route, "3.1.1")
        path = path_for_each(route, public_id, sample)
        for found in ids:
            assert path(found) == reverse(route, args=[public_id, found])
