from datetime import date, timedelta

import lxml.html
import pytest
from django.test import Client
from django.urls import reverse

from assessments.models import Assessment, today
from assessments.next_actions import next_actions
from assessments.records import score_assessment
from controls.models import Family, Requirement

from .personas import make_assessment, start_anonymous
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


# --- The dashboard at the top -----------------------------------------------------------------------------------


def test_the_top_shows_the_score_the_status_with_its_date_the_next_actions_and_the_family_chart(client):
    assessment = start(client)
    Assessment.objects.filter(pk=assessment.pk).update(assessment_date=date(2026, 11, 2))
    answer(assessment, {"3.1.20": "not_met", "3.1.3": "not_met"})  # 108, blocked by 3.1.20 alone
    _, doc = page(client, assessment)
    top = doc.xpath('//*[@data-testid="dashboard"]')[0]
    assert top.xpath('.//*[@data-testid="score"]')[0].text == "108"
    assert " ".join("".join(top.xpath('.//*[@data-testid="outcome"]')[0].itertext()).split()) == "No CMMC status"
    assert text_of(doc, "status-date") == "As of 2026-11-02, the assessment date."
    assert nist_ids(top, './/*[@data-testid="next-actions"]/li') == ["3.1.20", "3.1.3"]
    assert text_of(doc, "gain-3.1.20") == "+1 point · blocks Conditional status · reaches Level 2 Conditional"
    assert text_of(doc, "gain-3.1.3") == "+1 point"
    assert doc.xpath("//svg[contains(@class, 'family-chart')]")  # the per-family chart, from assessments.charts
    # The dashboard comes before the explanations and the lists.
    body = lxml.html.tostring(doc).decode()
    assert body.index('data-testid="dashboard"') < body.index('id="status-heading"') < body.index('id="gap-heading"')


def test_the_next_actions_are_what_the_next_actions_module_ranks(client):
    assessment = start(client)
    overrides: dict[str, str | dict] = {r.nist_id: "not_met" for r in Requirement.objects.all() if r.position % 4 == 0}
    overrides |= {"3.5.3": "partial", "3.13.11": "partial", "3.1.1": "", "3.12.4": "met"}
    answer(assessment, overrides)
    _, doc = page(client, assessment)
    expected = [a.nist_id for a in next_actions(score_assessment(assessment))]
    assert len(expected) == 5
    assert nist_ids(doc, '//*[@data-testid="next-actions"]/li') == expected
    first = doc.xpath('//*[@data-testid="next-actions"]/li')[0]
    assert " ".join("".join(first.itertext()).split()).startswith("Answer 3.1.1 Authorized Access Control")


def test_without_an_ssp_the_first_next_action_is_the_plan(client):
    assessment = start(client, has_ssp="no")
    answer(assessment, {"3.12.4": "not_met", "3.1.1": "not_met"})
    _, doc = page(client, assessment)
    assert nist_ids(doc, '//*[@data-testid="next-actions"]/li') == ["3.12.4", "3.1.1"]
    assert text_of(doc, "gain-3.12.4") == "No score and no status without it"
    assert text_of(doc, "status-date") == f"As of {today():%Y-%m-%d} (today: no assessment date is set)."


@pytest.mark.parametrize("case, expected_chip, expected_date", [
    ("final", "Level 2 Final", "Since 2026-03-01, the Conditional status date it keeps."),
    ("conditional", "Level 2 Conditional",
     "Expires 2026-08-28 unless every POA&M item is closed: 180 days from the Conditional status date."),
    ("incomplete", "Not decided yet (incomplete)", "Decided once every requirement is answered."),
])
def test_the_status_chip_carries_the_date_that_goes_with_the_status(client, case, expected_chip, expected_date):
    assessment = start(client)
    Assessment.objects.filter(pk=assessment.pk).update(conditional_status_date=date(2026, 3, 1))
    answer(assessment, {"final": {}, "conditional": {"3.1.3": "not_met"}, "incomplete": {"3.1.3": ""}}[case])
    _, doc = page(client, assessment)
    assert text_of(doc, "outcome") == expected_chip
    assert text_of(doc, "status-date") == expected_date


def test_a_level_1_dashboard_has_the_status_its_date_and_the_practices_to_do(client):
    assessment = start(client, target_level="l1")
    answer(assessment, {"3.5.1": "not_met", "3.1.2": "not_met"})
    _, doc = page(client, assessment)
    assert text_of(doc, "outcome") == "Level 1 not met"
    assert text_of(doc, "status-date") == f"As of {today():%Y-%m-%d} (today: no assessment date is set)."
    assert nist_ids(doc, '//*[@data-testid="next-actions"]/li') == ["3.1.2", "3.5.1"]
    assert text_of(doc, "gain-3.1.2") == "Needed for Level 1"


# --- Long lists fold away ---------------------------------------------------------------------------------------


def test_long_lists_show_the_first_five_and_fold_the_rest_away_in_details(client):
    assessment = start(client)
    overrides = {r.nist_id: "not_met" for r in Requirement.objects.all() if r.position % 3 == 0}
    overrides |= dict.fromkeys(ONE_POINT_POAM, "not_met")
    answer(assessment, overrides)
    result = score_assessment(assessment)
    _, doc = page(client, assessment)
    blockers = [i.rule.nist_id for i in result.gap_list if not i.poam_eligible]
    poam = [i.rule.nist_id for i in result.gap_list if i.poam_eligible]
    assert len(blockers) > 5 and len(poam) > 5
    for group, ids in (("blockers", blockers), ("poam", poam)):
        visible = nist_ids(doc, f'//table[@data-group="{group}"][not(ancestor::details)]/tbody/tr')
        folded = nist_ids(doc, f'//details[@data-testid="gap-more-{group}"]//table/tbody/tr')
        assert visible == ids[:5] and folded == ids[5:]
        summary = doc.xpath(f'//details[@data-testid="gap-more-{group}"]/summary')[0].text_content()
        assert summary.startswith(f"Show the other {len(ids) - 5} ")
    # The whole gap list is still there, in the scoring module's order, for print and for the tests above.
    assert nist_ids(doc, '//table[@data-testid="gap-list"]/tbody/tr[@data-nist]') == blockers + poam
    # No <details> is open by default; the paths fold the same way.
    assert not doc.xpath("//details[@open]")
    path = [i.rule.nist_id for i in result.path_to_conditional]
    assert nist_ids(doc, '//ol[@data-testid="path-conditional"][not(ancestor::details)]/li') == path[:5]
    assert nist_ids(doc, '//details[@data-testid="path-conditional-more"]//li') == path[5:]
    assert doc.xpath('//details[@data-testid="path-conditional-more"]/ol/@start') == ["6"]


def test_a_short_gap_list_folds_nothing(client):
    assessment = start(client)
    answer(assessment, {"3.1.3": "not_met", "3.1.1": "not_met"})
    _, doc = page(client, assessment)
    assert not doc.xpath('//details[starts-with(@data-testid, "gap-more")]')
    assert nist_ids(doc, '//table[@data-testid="gap-list"]/tbody/tr') == ["3.1.1", "3.1.3"]


# --- Personas ---------------------------------------------------------------------------------------------------


def test_every_member_may_read_the_results_and_strangers_get_404(org_people):
    assessment = make_assessment(org_people["acme"])
    url = reverse("assessments:results", args=[assessment.public_id])
    clients = org_people["clients"]
    for who in ("owner", "editor", "viewer"):
        response = clients[who].get(url)
        assert response.status_code == 200, who
        assert b'data-testid="next-actions"' in response.content
    for who in ("other_org", "loner"):
        assert clients[who].get(url).status_code == 404, who
    other_session = Client()
    start_anonymous(other_session, "Someone else")
    assert other_session.get(url).status_code == 404
    assert Client().get(url).status_code == 404


def test_a_member_reads_the_results_in_a_fixed_number_of_queries(org_people, django_assert_num_queries):
    assessment = make_assessment(org_people["acme"])
    answer(assessment, {"3.1.3": "not_met", "3.1.20": "not_met"})
    client = org_people["clients"]["viewer"]
    url = reverse("assessments:results", args=[assessment.public_id])
    client.get(url)  # the session's first request may refresh what it records
    # 1 session, 2 user, 3 MFA authenticators (the MFA check), 4 assessment, 5 membership (the role), 6 the catalog
    # revision (controls/snapshot.py), 7 the answers with their responsible and planned date.
    with django_assert_num_queries(7):
        assert client.get(url).status_code == 200
