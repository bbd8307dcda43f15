from datetime import date, timedelta

import lxml.html
import pytest
from django.test import Client
from django.urls import reverse

from assessments.models import Assessment, today
from assessments.records import score_assessment
from controls.models import Family, Requirement

from .report_helpers import ONE_POINT_POAM, answer, start

pytestmark = pytest.mark.django_db

HOSTILE = '<script>alert("x")</script> & "Co"'


def page(client: Client, assessment: Assessment):
    response = client.get(reverse("assessments:results", args=[assessment.public_id]))
    assert response.status_code == 200
    return response, lxml.html.fromstring(response.content)


def text_of(doc, testid: str) -> str:
    nodes = doc.xpath(f'//*[@data-testid="{testid}"]')
    assert nodes, f"no {testid}"
    return " ".join(" ".join("".join(n.itertext()).split()) for n in nodes)


def nist_ids(doc, xpath: str) -> list[str]:
    return [el.get("data-nist") for el in doc.xpath(xpath)]


def test_owner_sees_results_and_the_page_is_private(client):
    assessment = start(client)
    answer(assessment, {"3.1.3": "not_met"})
    response, doc = page(client, assessment)
    assert text_of(doc, "score") == "109"
    assert text_of(doc, "outcome") == "Level 2 Conditional"
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert doc.xpath(f'//a[@href="{reverse("assessments:sprs", args=[assessment.public_id])}"]')


def test_outsider_and_anonymous_get_404(client):
    assessment = start(client)
    outsider = Client()
    start(outsider, name="Other Co")  # has a session and an assessment of its own, but not this one
    url = reverse("assessments:results", args=[assessment.public_id])
    assert outsider.get(url).status_code == 404
    assert Client().get(url).status_code == 404


def test_blank_assessment_never_shows_110_and_counts_the_unanswered(client):
    assessment = start(client)  # only 3.12.4 is answered (the intake's "we have an SSP")
    response, doc = page(client, assessment)
    assert text_of(doc, "score") == "-203"
    assert "109 requirements unanswered" in text_of(doc, "unanswered")
    assert text_of(doc, "outcome") == "Not decided yet (incomplete)"
    gauge_title = doc.xpath("//svg[contains(@class, 'gauge')]/title")[0].text
    assert gauge_title.endswith("-203 of 110")
    assert "110 of 110" not in response.content.decode()


def test_without_an_ssp_there_is_no_score_yet(client):
    assessment = start(client, has_ssp="no")
    answer(assessment, {"3.12.4": "not_met"})  # everything else met
    _, doc = page(client, assessment)
    assert text_of(doc, "score") == "No score yet"
    assert text_of(doc, "outcome") == "No CMMC status"
    assert not doc.xpath("//svg//polygon[@class='score-marker']")
    assert "No System Security Plan (3.12.4)" in text_of(doc, "reasons")
    assert doc.xpath(f'//a[@href="{reverse("ssp:overview", args=[assessment.public_id])}"]')  # the way out
    assert nist_ids(doc, '//*[@data-testid="path-88"]/li') == ["3.12.4"]
    assert nist_ids(doc, '//*[@data-testid="blockers"]/li') == ["3.12.4"]


def test_without_an_ssp_the_page_shows_the_score_once_you_have_one_labelled_as_not_a_score(client):
    assessment = start(client, has_ssp="no")
    answer(assessment, {"3.12.4": "not_met", "3.1.1": "not_met", "3.1.3": "not_met"})
    _, doc = page(client, assessment)
    assert text_of(doc, "score") == "No score yet"
    assert text_of(doc, "score-with-ssp-value") == "104"  # 110 - 5 (3.1.1) - 1 (3.1.3), from scoring.score_with_ssp
    box = text_of(doc, "score-with-ssp")
    assert box.startswith("Your score once you have an SSP: 104 of 110 Not a score. No SPRS score exists without a "
                          "System Security Plan")
    link = doc.xpath('//*[@data-testid="score-with-ssp"]//a/@href')
    assert link == [reverse("ssp:overview", args=[assessment.public_id])]
    assert not doc.xpath("//svg//polygon[@class='score-marker']")  # the gauge still shows no score


def test_the_score_once_you_have_an_ssp_is_gone_once_3_12_4_is_met(client):
    assessment = start(client, has_ssp="no")
    answer(assessment, {"3.12.4": "met", "3.1.1": "not_met"})
    _, doc = page(client, assessment)
    assert text_of(doc, "score") == "105"
    assert not doc.xpath('//*[@data-testid="score-with-ssp"]')


def test_a_level_1_assessment_has_no_score_once_you_have_an_ssp(client):
    assessment = start(client, target_level="l1", has_ssp="no")
    _, doc = page(client, assessment)
    assert not doc.xpath('//*[@data-testid="score-with-ssp"]')


def test_without_an_ssp_the_page_makes_the_same_queries(client, django_assert_num_queries):
    assessment = start(client, has_ssp="no")
    answer(assessment, {"3.12.4": "not_met", "3.1.3": "not_met"})
    # 1 session, 2 assessment, 3 the catalog revision (rules, titles and family names are in memory per revision:
    # controls/snapshot.py), 4 the answers with their responsible and planned date (the score once an SSP exists is
    # computed from them too).
    with django_assert_num_queries(4):
        response = client.get(reverse("assessments:results", args=[assessment.public_id]))
    assert b"Your score once you have an SSP" in response.content


@pytest.mark.parametrize("basis", ["conditional_status_date", "assessment_date", "today"])
def test_conditional_shows_the_180_day_poam_deadline_and_what_it_counts_from(client, basis):
    assessment = start(client)
    planned = today() + timedelta(days=30)
    answer(assessment, {nist_id: {"status": "not_met", "planned_date": planned, "responsible": "Pat"}
                        for nist_id in ONE_POINT_POAM})
    status_date, assessed = date(2025, 3, 1), date(2025, 2, 20)
    if basis == "conditional_status_date":
        Assessment.objects.filter(pk=assessment.pk).update(conditional_status_date=status_date,
                                                           assessment_date=assessed)
        expected = "POA&M deadline: 2025-08-28, 180 days from the Conditional status date (2025-03-01)"
    elif basis == "assessment_date":
        Assessment.objects.filter(pk=assessment.pk).update(assessment_date=assessed)
        expected = "Estimated POA&M deadline: 2025-08-19, 180 days from the assessment date (2025-02-20)"
    else:
        expected = f"Estimated POA&M deadline: {(today() + timedelta(days=180)).isoformat()}, 180 days from today"
    _, doc = page(client, assessment)
    assert text_of(doc, "score") == "107"
    assert text_of(doc, "outcome") == "Level 2 Conditional"
    deadline = text_of(doc, "deadline")
    assert expected in deadline
    # The planned dates of a 2025 status date are past its deadline: the page says so.
    assert ("after this deadline" in deadline) == (basis != "today")
    assert not doc.xpath('//*[@data-testid="reasons"]')


def test_blocked_case_names_3_5_3_partial_and_every_blocker_reason(client):
    assessment = start(client)
    answer(assessment, {"3.5.3": "partial", "3.1.20": "not_met", "3.13.11": "not_met", "3.1.3": "not_met"})
    result = score_assessment(assessment)
    _, doc = page(client, assessment)
    assert text_of(doc, "score") == "100"  # 110 - 3 - 1 - 5 - 1
    assert text_of(doc, "outcome") == "No CMMC status"
    blockers = doc.xpath('//*[@data-testid="blockers"]/li')
    assert [b.get("data-nist") for b in blockers] == ["3.1.20", "3.5.3", "3.13.11"]
    by_id = {i.rule.nist_id: i for i in result.blockers}
    for li in blockers:
        text = " ".join("".join(li.itertext()).split())
        assert by_id[li.get("data-nist")].blocker_reason in text
    mfa = " ".join("".join(blockers[1].itertext()).split())
    assert "3.5.3" in mfa and "Partially met" in mfa and "Even in its partial state it costs 3 points" in mfa
    assert "3.1.3" not in nist_ids(doc, '//*[@data-testid="blockers"]/li')  # 1 point: fine on a POA&M


def test_gap_list_order_and_path_to_88_follow_the_scoring_module(client):
    assessment = start(client)
    # Every third requirement not met, 3.5.3 partial, a few unanswered: a score well below 88.
    overrides: dict[str, str | dict] = {r.nist_id: "not_met" for r in Requirement.objects.all() if r.position % 3 == 0}
    overrides |= {"3.5.3": "partial", "3.1.1": "", "3.14.7": "", "3.12.4": "met"}
    overrides["3.1.3"] = {"status": "not_met", "responsible": "Pat <IT>", "planned_date": date(2031, 1, 31)}
    answer(assessment, overrides)
    result = score_assessment(assessment)
    assert result.score < 88
    _, doc = page(client, assessment)

    rows = nist_ids(doc, '//table[@data-testid="gap-list"]/tbody/tr[@data-nist]')
    assert rows == [i.rule.nist_id for i in result.gap_list]
    # The order itself: blockers first, then points recoverable (descending), then catalog order.
    catalog = {r.nist_id: r for r in Requirement.objects.all()}
    items = {i.rule.nist_id: i for i in result.items}
    keys = [(items[n].poam_eligible, -items[n].deduction, catalog[n].position) for n in rows]
    assert keys == sorted(keys)
    assert not items[rows[0]].poam_eligible and items[rows[-1]].poam_eligible

    path = nist_ids(doc, '//*[@data-testid="path-88"]/li')
    assert path == [i.rule.nist_id for i in result.path_to_88]
    gained = [items[n].deduction for n in path]
    assert result.score + sum(gained) >= 88 > result.score + sum(gained[:-1])  # enough, and none too many
    assert nist_ids(doc, '//*[@data-testid="path-110"]/a') == rows
    assert nist_ids(doc, '//*[@data-testid="path-conditional"]/li') == [
        i.rule.nist_id for i in result.path_to_conditional]

    row = doc.xpath('//tr[@data-nist="3.1.3"]')[0]
    cells = [" ".join("".join(td.itertext()).split()) for td in row.xpath("td")]
    assert cells == ["3.1.3", catalog["3.1.3"].cmmc_title, "Not met", "+1", "Yes", "Pat <IT>", "2031-01-31"]
    unanswered = [" ".join("".join(td.itertext()).split()) for td in doc.xpath('//tr[@data-nist="3.1.1"]/td')]
    assert unanswered[2] == "Unanswered (counted as not met)" and unanswered[6] == "—"


def test_every_gap_row_links_back_to_its_question(client):
    assessment = start(client)
    answer(assessment, {"3.5.3": "partial", "3.8.3": "not_met", "3.1.3": "not_met"})
    _, doc = page(client, assessment)
    links = doc.xpath('//table[@data-testid="gap-list"]//tr[@data-nist]/td[1]/a')
    assert len(links) == 3
    for link in links:
        nist_id = link.text
        req = Requirement.objects.select_related("family").get(nist_id=nist_id)
        url = reverse("assessments:family", args=[assessment.public_id, req.family.code])
        assert link.get("href") == f"{url}#req-{nist_id}"
        assert f'id="req-{nist_id}"' in client.get(url).content.decode()


def test_hostile_organisation_and_family_names_are_escaped_in_the_page_and_its_svg(client):
    assessment = start(client, name=HOSTILE)
    family = Family.objects.get(code="AC")
    family.name = HOSTILE
    family.save()
    answer(assessment, {"3.1.1": "not_met"})
    response, doc = page(client, assessment)
    body = response.content.decode()
    assert "<script>alert" not in body
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in body
    gauge, bars = doc.xpath("//svg[contains(@class, 'gauge')]")[0], doc.xpath("//svg[contains(@class, 'family')]")[0]
    assert HOSTILE in gauge.xpath("title")[0].text
    assert HOSTILE in bars.xpath("title")[0].text and HOSTILE in bars.xpath("desc")[0].text
    assert not doc.xpath("//script[contains(., 'alert')]")


def test_family_chart_shows_points_lost_per_family(client):
    assessment = start(client)
    answer(assessment, {"3.1.1": "not_met", "3.1.3": "not_met", "3.13.11": "partial"})
    _, doc = page(client, assessment)
    lost = {g.get("data-family"): int(g.get("data-lost")) for g in doc.xpath("//svg//g[@data-family]")}
    assert len(lost) == Family.objects.count()
    assert lost["AC"] == 6 and lost["SC"] == 3 and lost["AT"] == 0


def test_final_status_has_no_gap_list(client):
    assessment = start(client)
    answer(assessment, {})
    _, doc = page(client, assessment)
    assert text_of(doc, "score") == "110"
    assert text_of(doc, "outcome") == "Level 2 Final"
    assert text_of(doc, "gap-list") == "No open requirement: nothing left to implement."


def test_level1_results_show_the_practices_not_met_and_no_score(client):
    assessment = start(client, target_level="l1")
    answer(assessment, {"3.1.1": "not_met"})
    response, doc = page(client, assessment)
    assert text_of(doc, "outcome") == "Level 1 not met"
    assert nist_ids(doc, '//table[@data-testid="gap-list"]/tbody/tr') == ["3.1.1"]
    assert not doc.xpath("//svg") and not doc.xpath('//*[@data-testid="score"]')
    assert "POA&M-eligible" not in response.content.decode()


def test_query_count_is_constant_whatever_the_number_of_answers(client, django_assert_num_queries):
    assessment = start(client)
    url = reverse("assessments:results", args=[assessment.public_id])
    for overrides in (None, {"3.1.3": {"status": "not_met", "responsible": "Pat"}, "3.5.3": "partial"}):
        if overrides is not None:
            answer(assessment, overrides)  # from 1 answer to all 110
        # 1 session, 2 assessment, 3 the catalog revision (rules, titles and family names are in memory per
        # revision: controls/snapshot.py), 4 the answers with their responsible and planned date.
        with django_assert_num_queries(4):
            assert client.get(url).status_code == 200


def test_objective_mode_adds_one_query_for_the_objective_answers(client, django_assert_num_queries):
    assessment = start(client, objective_mode="on")
    # 1 session, 2 assessment, 3 the catalog revision, 4 answers with their details, 5 objective answers.
    with django_assert_num_queries(5):
        assert client.get(reverse("assessments:results", args=[assessment.public_id])).status_code == 200
