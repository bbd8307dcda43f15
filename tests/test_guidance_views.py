import re
from urllib.parse import parse_qs, urlparse

import pytest
from django.urls import reverse

from assessments import scoring
from assessments.records import catalog_rules
from controls.models import Requirement
from guidance.examples import EXAMPLE_GAPS, example_answers, no_ssp_answers, variant_answers

from .questionnaire_helpers import by_testid, html, text

pytestmark = pytest.mark.django_db

HELPER = "guidance:do_i_need_cmmc"
PAGES = ["guidance:index", HELPER, "guidance:cmmc_vs_iso", "guidance:nist_vs_cmmc", "guidance:sprs_score"]


def ask(client, **params):
    return client.get(reverse(HELPER), params)


def hidden(doc) -> dict[str, str]:
    return {n.get("name"): n.get("value") for n in doc.xpath("//main//form//input[@type='hidden']")}


def start_link_level(doc) -> str | None:
    hrefs = doc.xpath("//*[@data-testid='start-link']/@href")
    assert len(hrefs) == 1
    url = urlparse(hrefs[0])
    assert url.path == reverse("assessments:start")
    return parse_qs(url.query)["target_level"][0]


# --- Public, printable, linkable ----------------------------------------------------------------------------

@pytest.mark.parametrize("name", PAGES)
def test_every_guide_is_public_indexable_and_has_no_inline_script_or_style(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 200
    body = response.content.decode()
    assert '<meta name="robots" content="index, follow">' in body
    assert "style=" not in body and "<style" not in body
    assert not re.search(r"<script(?![^>]*\bsrc=)", body)
    assert "not legal advice" in body


def test_the_navigation_links_to_the_guides_and_the_index_to_every_guide(client):
    assert reverse("guidance:index") in client.get(reverse("home")).content.decode()
    body = client.get(reverse("guidance:index")).content.decode()
    for name in PAGES[1:]:
        assert reverse(name) in body


# --- "Do I need CMMC?": every branch ---------------------------------------------------------------------------

def test_the_index_counts_the_helpers_questions_as_the_helper_asks_them(client):
    asked, params = [], {}
    while (doc := html(ask(client, **params))).xpath("//form[starts-with(@data-testid, 'question-')]"):
        question = doc.xpath("//form[starts-with(@data-testid, 'question-')]/@data-testid")[0].removeprefix("question-")
        asked.append(question)
        params[question] = {"dod": "yes", "info": "cui", "assessment": "self"}[question]
    assert asked == ["dod", "info", "assessment"]  # the longest way through
    intro = by_testid(html(client.get(reverse("guidance:index"))), "helper-intro")
    assert intro.startswith(f"At most {len(asked)} questions, then the level that applies to you")


def test_the_helper_starts_with_the_dod_question_and_no_back_link(client):
    doc = html(ask(client))
    assert doc.xpath("//*[@data-testid='question-dod']")
    assert set(doc.xpath("//input[@name='dod']/@value")) == {"yes", "no"}
    assert hidden(doc) == {"asked": "dod"}
    assert not doc.xpath("//a[text()='Back']")
    assert "16 December 2024" in text(doc.xpath("//section[@id='timeline']")[0])


def test_no_dod_work_means_no_cmmc(client):
    response = ask(client, dod="no")
    doc = html(response)
    assert "You probably do not need CMMC" in by_testid(doc, "result-not_dod")
    assert start_link_level(doc) == "l1"  # an optional look at Level 1
    assert doc.xpath("//a[text()='Back']/@href") == [reverse(HELPER)]


def test_dod_work_asks_about_the_information_and_keeps_the_first_answer(client):
    doc = html(ask(client, dod="yes"))
    assert doc.xpath("//*[@data-testid='question-info']")
    assert hidden(doc) == {"dod": "yes", "asked": "info"}
    assert set(doc.xpath("//input[@name='info']/@value")) == {"fci", "cui", "unsure"}
    assert doc.xpath("//a[text()='Back']/@href") == [reverse(HELPER)]


def test_fci_only_leads_to_level1_and_a_level1_assessment(client):
    doc = html(ask(client, dod="yes", info="fci"))
    assert "CMMC Level 1 (Self)" in by_testid(doc, "result-level1")
    assert start_link_level(doc) == "l1"
    assert doc.xpath("//a[text()='Back']/@href") == [reverse(HELPER) + "?dod=yes"]


def test_not_sure_about_the_information_explains_how_to_tell_and_asks_again(client):
    doc = html(ask(client, dod="yes", info="unsure"))
    assert doc.xpath("//*[@data-testid='question-info']")
    assert "How to tell" in by_testid(doc, "how-to-tell")
    assert hidden(doc) == {"dod": "yes", "asked": "info"}


def test_the_fci_help_quotes_the_definition_and_its_exclusions_with_examples_that_are_always_fci(client):
    help_text = by_testid(html(ask(client, dod="yes", info="unsure")), "how-to-tell")
    assert "“not intended for public release, that is provided by or generated for the Government under a contract" \
           in help_text
    assert "“simple transactional information, such as necessary to process payments”" in help_text
    assert "“provided by the Government to the public”" in help_text
    # The order, prices and schedules can be simple transactional information: not examples of FCI in every case.
    assert "the order itself" not in help_text and "prices" not in help_text


def test_the_level1_result_applies_when_the_solicitation_names_level1_and_cots_only_contracts_are_exempt(client):
    result = by_testid(html(ask(client, dod="yes", info="fci")), "result-level1")
    assert "Level 1 applies when the solicitation names Level 1" in result
    assert "Contracts solely for commercially available off-the-shelf (COTS) items are exempt" in result
    assert "“except those exclusively for COTS items” (32 CFR 170.3(c))" in result


def test_cui_asks_which_assessment_the_solicitation_names(client):
    doc = html(ask(client, dod="yes", info="cui"))
    assert doc.xpath("//*[@data-testid='question-assessment']")
    assert hidden(doc) == {"dod": "yes", "info": "cui", "asked": "assessment"}
    assert doc.xpath("//a[text()='Back']/@href") == [reverse(HELPER) + "?dod=yes"]


@pytest.mark.parametrize("assessment, result, heading", [
    ("self", "level2_self", "CMMC Level 2"),
    ("c3pao", "level2_c3pao", "CMMC Level 2 (C3PAO)"),
    ("level3", "level3", "CMMC Level 3"),
    ("unsure", "level2_unsure", "CMMC Level 2"),
])
def test_every_cui_answer_leads_to_a_level2_assessment(client, assessment, result, heading):
    doc = html(ask(client, dod="yes", info="cui", assessment=assessment))
    assert by_testid(doc, f"result-{result}").startswith(heading)
    assert start_link_level(doc) == "l2"
    assert doc.xpath("//a[text()='Back']/@href") == [reverse(HELPER) + "?dod=yes&info=cui"]


def test_a_later_answer_is_ignored_when_an_earlier_one_ends_the_helper(client):
    doc = html(ask(client, dod="yes", info="fci", assessment="c3pao"))
    assert doc.xpath("//*[@data-testid='result-level1']")


@pytest.mark.parametrize("params, question, kept", [
    ({"dod": "maybe"}, "dod", {"asked": "dod"}),
    ({"dod": "yes", "info": "secret"}, "info", {"dod": "yes", "asked": "info"}),
    ({"dod": "yes", "info": "cui", "assessment": "level9"}, "assessment", {"dod": "yes", "info": "cui",
                                                                           "asked": "assessment"}),
    ({"dod": "yes", "asked": "info"}, "info", {"dod": "yes", "asked": "info"}),  # "Next" with nothing chosen
])
def test_a_bad_or_missing_answer_is_asked_again_with_a_message_and_the_earlier_answers_kept(client, params,
                                                                                               question, kept):
    response = ask(client, **params)
    assert response.status_code == 400
    doc = html(response)
    assert doc.xpath(f"//*[@data-testid='question-{question}']")
    assert "Choose one of the answers below." in text(doc.xpath("//*[@id='decision-error']")[0])
    assert hidden(doc) == kept


@pytest.mark.parametrize("level", ["l1", "l2"])
def test_the_start_link_preselects_the_target_level(client, level):
    doc = html(client.get(reverse("assessments:start"), {"target_level": level}))
    assert doc.xpath("//input[@name='target_level'][@checked]/@value") == [level]


def test_an_unknown_target_level_on_the_start_link_falls_back_to_level2(client):
    doc = html(client.get(reverse("assessments:start"), {"target_level": "l9"}))
    assert doc.xpath("//input[@name='target_level'][@checked]/@value") == ["l2"]


# --- The SPRS page's worked example is the scoring module's answer ----------------------------------------------

def test_the_worked_example_equals_what_the_scoring_module_returns(client, django_assert_num_queries):
    rules = catalog_rules()
    expected = scoring.score(rules, example_answers(rules), scoring.Level.L2)
    # 1 the catalog revision (the rules are in memory per revision: controls/snapshot.py), 2 requirement titles.
    with django_assert_num_queries(2):
        response = client.get(reverse("guidance:sprs_score"))
    doc = html(response)
    assert by_testid(doc, "example-score") == str(expected.score)
    items = {i.rule.nist_id: i for i in expected.items}
    for gap in EXAMPLE_GAPS:
        assert doc.xpath(f"//tr[@data-testid='deduction-{gap.nist_id}']//*[@data-testid='points']/text()") == [
            str(items[gap.nist_id].deduction)]
    outcome = {"final": "Level 2 Final", "conditional": "Level 2 Conditional", "no_status": "No CMMC status"}
    assert by_testid(doc, "example-outcome") == outcome[expected.outcome]
    variant = scoring.score(rules, variant_answers(rules), scoring.Level.L2)
    assert by_testid(doc, "variant-score") == str(variant.score)
    assert by_testid(doc, "variant-outcome") == outcome[variant.outcome]
    # The status closes its sentence with no space before the full stop or the bracket.
    example, variant_text = (" ".join(doc.xpath(f"//*[@data-testid='{testid}']/..")[0].text_content().split())
                             for testid in ("example-outcome", "variant-outcome"))
    assert f"Status: {outcome[expected.outcome]}. " in example
    assert f"({outcome[variant.outcome]})" in variant_text
    assert scoring.score(rules, no_ssp_answers(rules), scoring.Level.L2).score is None
    assert "no score at all" in by_testid(doc, "no-ssp")


def test_the_worked_example_agrees_with_plain_arithmetic_over_the_catalog(client):
    points = {r.nist_id: (r.points, r.partial_points) for r in Requirement.objects.all()}
    lost = sum(points[g.nist_id][1] if g.status is scoring.Status.PARTIAL else points[g.nist_id][0]
               for g in EXAMPLE_GAPS)
    doc = html(client.get(reverse("guidance:sprs_score")))
    assert by_testid(doc, "example-score") == str(110 - lost)
    body = text(doc.xpath("//main")[0])
    floor = 110 - sum(p for p, _ in points.values() if p)
    assert f"lowest possible score is {floor}" in body and floor == -203


# --- The comparison pages ----------------------------------------------------------------------------------------

def test_cmmc_vs_iso_has_the_comparison_and_the_sections(client):
    doc = html(client.get(reverse("guidance:cmmc_vs_iso")))
    rows = [text(th) for th in doc.xpath("//table//th[@scope='row']")]
    assert rows == ["Who requires it", "What it is based on", "Scope", "Approach", "Who assesses", "Result",
                    "How long it lasts"]
    assert set(doc.xpath("//h2/@id")) >= {"comparison", "why-not", "both", "head-start"}
    assert "3.13.11" in text(doc.xpath("//main")[0]) and "3.5.3" in text(doc.xpath("//main")[0])


def test_nist_vs_cmmc_explains_the_revision_and_the_timeline_with_caution(client):
    doc = html(client.get(reverse("guidance:nist_vs_cmmc")))
    body = text(doc.xpath("//main")[0])
    assert "Revision 2" in body and "10 November 2025" in body and "check it" in body
