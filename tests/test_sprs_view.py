from datetime import date, timedelta

import lxml.html
import pytest
from django.test import Client
from django.urls import reverse

from assessments.models import Answer, Assessment, today
from ssp.models import SystemSecurityPlan, create_ssp, record_version

from .personas import make_assessment
from .questionnaire_helpers import enabled_post_controls
from .report_helpers import ONE_POINT_POAM, answer, start

pytestmark = pytest.mark.django_db



def url(assessment: Assessment) -> str:
    return reverse("assessments:sprs", args=[assessment.public_id])


def get(client: Client, assessment: Assessment):
    response = client.get(url(assessment))
    assert response.status_code == 200
    return response, lxml.html.fromstring(response.content)


def text_of(doc, testid: str) -> str:
    nodes = doc.xpath(f'//*[@data-testid="{testid}"]')
    assert nodes, f"no {testid}"
    return " ".join(" ".join("".join(n.itertext()).split()) for n in nodes)


def field_block(doc, name: str):
    """The form group crispy renders around one field: its input and its error message."""
    return doc.xpath(f'//*[@id="div_id_{name}"]')[0]


def details(**values) -> dict:
    base = {"assessment_date": "", "affirming_official": "", "ssp_name": "", "ssp_version": "", "ssp_date": "",
            "conditional_status_date": ""}
    return base | values


def test_owner_sees_the_worksheet_and_it_is_private(client):
    assessment = start(client)
    response, doc = get(client, assessment)
    assert doc.xpath("//h1")[0].text_content().startswith("SPRS worksheet: Acme")
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert response["X-Robots-Tag"] == "noindex, nofollow"


def test_outsider_and_anonymous_get_404_and_cannot_post(client):
    assessment = start(client)
    outsider = Client()
    start(outsider, name="Other Co")
    anonymous = Client()
    for other in (outsider, anonymous):
        assert other.get(url(assessment)).status_code == 404
        assert other.post(url(assessment), details(affirming_official="Mallory")).status_code == 404
    assessment.refresh_from_db()
    assert assessment.affirming_official == ""


def rows(doc, testid: str) -> list[str]:
    return [th.text_content() for th in doc.xpath(f'//table[@data-testid="{testid}"]//th')]


def test_worksheet_lists_first_what_32_cfr_170_16_asks_sprs_for_then_what_is_useful_to_have(client):
    assessment = start(client, cage_codes="1abc2 3DEF4", employee_count="42", scope="enclave")
    answer(assessment, {
        "3.1.3": {"status": "not_met", "planned_date": date(2027, 3, 1)},
        "3.1.4": {"status": "not_met", "planned_date": date(2027, 5, 15)},
        "3.1.6": {"status": "not_met", "planned_date": date(2027, 4, 1)},
        # A planned date on a met requirement is not part of the plan of action.
        "3.1.1": {"status": "met", "planned_date": date(2029, 1, 1)},
    })
    Assessment.objects.filter(pk=assessment.pk).update(
        assessment_date=date(2026, 11, 2), affirming_official="Jo Smith, CEO", ssp_name="Acme SSP",
        ssp_version="2.1", ssp_date=date(2026, 10, 30), conditional_status_date=date(2026, 11, 20))
    _, doc = get(client, assessment)
    # 170.16(a)(1)(i)(A)-(F), in the rule's order; then the affirmation (170.22); then the rest, plainly labelled.
    assert rows(doc, "sprs-fields") == ["CMMC level", "CMMC status date", "CMMC assessment scope", "CAGE code(s)",
                                        "Overall Level 2 self-assessment score",
                                        "POA&M usage and compliance status"]
    assert "32 CFR 170.16(a)(1)(i)" in text_of(doc, "sprs-fields-source")
    assert rows(doc, "sprs-affirmation") == ["Affirming official"]
    assert rows(doc, "sprs-extra") == ["Date of the assessment", "Employee count", "System Security Plan",
                                       "Plan of Action completion date"]
    headings = [" ".join(h.text_content().split()) for h in doc.xpath("//article//h2")]
    assert headings == ["What SPRS asks for", "The CMMC status SPRS will show", "Affirmation",
                        "Also useful to have at hand"]
    assert "32 CFR 170.16(a)(1)(i) does not list these" in text_of(doc, "sprs-extra-note")
    assert text_of(doc, "level") == "Level 2 (Self)"
    # The status date is the day of submission (170.4), never the assessment date.
    status_date = text_of(doc, "status-date")
    assert status_date.startswith("The date you submit") and "32 CFR 170.4" in status_date
    assert "2026-11-02" not in status_date
    assert text_of(doc, "assessment-date") == "2026-11-02"
    assert text_of(doc, "score") == "107 out of 110"
    assert text_of(doc, "poam-usage") == (
        "POA&M used for 3 open requirements, all of which a POA&M may hold (32 CFR 170.21(a)(2)); to be closed out "
        "within 180 days of the CMMC status date (32 CFR 170.21(b)).")
    assert text_of(doc, "scope").startswith("Enclave")
    assert text_of(doc, "cage-codes") == "1ABC2, 3DEF4"
    assert text_of(doc, "employee-count") == "42"
    assert text_of(doc, "ssp") == "As entered in the worksheet details below: Name: Acme SSP Version: 2.1 Date: " \
                                  "2026-10-30"
    assert text_of(doc, "poam-date").startswith("2027-05-15 (the latest planned completion date of the 3 open")
    status = text_of(doc, "status")
    assert status.startswith("Conditional Level 2 (Self)")
    assert "It is not something you choose or type." in status
    assert "POA&M closeout deadline: 2027-05-19, 180 days from the Conditional status date (2026-11-20)" in status
    assert text_of(doc, "affirming-official") == "Jo Smith, CEO"
    affirmation = text_of(doc, "affirmation-rule")
    assert "name, title and contact information" in affirmation and "32 CFR 170.22(a)(2)" in affirmation
    assert "32 CFR 170.22(a)(3)" in affirmation
    # The status is computed, never typed: the only field with "status" in its name is the date SPRS showed.
    assert doc.xpath("//form//*[contains(@name, 'status')]/@name") == ["conditional_status_date"]
    assert not doc.xpath('//*[starts-with(@data-testid, "missing-")]')
    assert not doc.xpath('//*[@data-testid="unanswered"]')
    assert not doc.xpath('//*[@data-testid="poam-late"]')
    Answer.objects.filter(assessment=assessment, requirement__nist_id="3.1.6").update(planned_date=date(2027, 6, 1))
    _, doc = get(client, assessment)
    assert text_of(doc, "poam-date").startswith("2027-06-01")
    assert "(2027-06-01) is after this deadline" in text_of(doc, "poam-late")


def test_missing_values_say_not_set_and_link_to_where_they_are_set(client):
    assessment = start(client)
    answer(assessment, {"3.1.3": "not_met"})
    _, doc = get(client, assessment)
    settings_url = reverse("assessments:edit", args=[assessment.public_id])
    for name in ("assessment_date", "ssp_name", "ssp_version", "ssp_date", "affirming_official"):
        missing = doc.xpath(f'//*[@data-testid="missing-{name}"]')[0]
        assert missing.text == "Not set"
        assert missing.getnext().get("href") == f"#id_{name}"
        assert doc.xpath(f'//*[@id="id_{name}"]'), f"the link to {name} must land on its field"
    for name in ("cage_codes", "employee_count"):
        assert doc.xpath(f'//*[@data-testid="missing-{name}"]')[0].getnext().get("href") == settings_url
    assert "no planned completion date" in text_of(doc, "poam-undated")
    assert "Estimated" not in text_of(doc, "status")
    assert "an estimate until the Conditional status date is set" in text_of(doc, "status")


def record(assessment: Assessment, label: str, on: date, *, draft: bool) -> None:
    """A generated version, as the SSP's Generate button keeps it (the documents' bytes do not matter here)."""
    ssp = SystemSecurityPlan.objects.filter(assessment=assessment).first() or create_ssp(assessment=assessment)
    ssp.system_name = "Acme CUI Enclave"
    record_version(ssp=ssp, label=label, generated_on=on, description="v", made_by="Pat", catalog_revision="x",
                   draft=draft, docx=b"docx", pdf=b"%PDF")


def test_with_only_draft_versions_the_worksheet_says_there_is_no_final_version_yet(client):
    assessment = start(client)
    record(assessment, "0.1", date(2026, 1, 5), draft=True)
    record(assessment, "0.2", date(2026, 2, 7), draft=True)
    _, doc = get(client, assessment)
    assert text_of(doc, "ssp-draft") == "No final version yet (latest draft: v0.2, 2026-02-07)."
    assert "SPRS names your final plan" in text_of(doc, "ssp")
    assert doc.xpath('//*[@data-testid="ssp"]//a[@href=$u]',
                     u=reverse("ssp:overview", args=[assessment.public_id]) + "#readiness")
    assert "Not set" not in text_of(doc, "ssp")


def test_the_worksheet_names_the_latest_final_version_and_says_so(client):
    assessment = start(client)
    record(assessment, "1.0", date(2026, 1, 5), draft=False)
    record(assessment, "1.1", date(2026, 3, 9), draft=False)
    _, doc = get(client, assessment)
    assert text_of(doc, "ssp") == ("The latest final version, generated on the SSP pages: Name: Acme CUI Enclave "
                                   "Version: 1.1 Date: 2026-03-09")
    # A newer draft does not replace the final plan: it is only mentioned.
    record(assessment, "1.2", date(2026, 4, 1), draft=True)
    _, doc = get(client, assessment)
    assert "Version: 1.1 Date: 2026-03-09" in text_of(doc, "ssp")
    assert text_of(doc, "ssp-draft") == "A newer draft (v1.2, 2026-04-01) is not final yet."


def test_details_entered_by_hand_are_shown_as_entered_next_to_the_final_version_generated_here(client):
    assessment = start(client)
    record(assessment, "1.0", date(2026, 1, 5), draft=False)
    client.post(url(assessment), details(ssp_name="Corporate SSP", ssp_version="7", ssp_date="2026-02-01"))
    _, doc = get(client, assessment)
    assert text_of(doc, "ssp-source") == ("As entered in the worksheet details below (the latest final version "
                                          "generated here is v1.0 of 2026-01-05):")
    assert "Version: 7 Date: 2026-02-01" in text_of(doc, "ssp")


def test_poam_date_is_not_needed_at_110_and_unknown_without_planned_dates(client):
    assessment = start(client)
    answer(assessment, {})
    _, doc = get(client, assessment)
    assert text_of(doc, "score") == "110 out of 110"
    assert text_of(doc, "poam-date") == "Not needed: every requirement is met (score 110)."
    assert text_of(doc, "status").startswith("Final Level 2 (Self) Computed from the score")
    assert text_of(doc, "poam-usage") == "No POA&M: every requirement is met."
    answer(assessment, {"3.1.3": "not_met", "3.1.4": {"status": "not_met", "planned_date": date(2027, 1, 1)}})
    _, doc = get(client, assessment)
    assert text_of(doc, "poam-date").startswith("2027-01-01")
    assert "1 open requirement has no planned completion date, so this date is not final" in text_of(
        doc, "poam-undated")


def test_no_ssp_means_no_score_and_a_blank_assessment_never_shows_110(client):
    assessment = start(client, has_ssp="no")
    _, doc = get(client, assessment)
    assert text_of(doc, "score").startswith("No score yet")
    assert "109 requirements still unanswered" in text_of(doc, "unanswered")
    assert text_of(doc, "status").startswith("Not decided: 109 requirements unanswered")
    assert text_of(doc, "poam-usage") == "Not decided: 109 requirements unanswered."
    with_ssp = start(client, name="Blank Co")
    _, doc = get(client, with_ssp)
    assert text_of(doc, "score") == "-203 out of 110 (provisional: 109 unanswered)"


def test_blocked_assessment_has_no_cmmc_status(client):
    assessment = start(client)
    answer(assessment, {"3.5.3": "partial"})
    _, doc = get(client, assessment)
    assert text_of(doc, "score") == "107 out of 110"
    assert text_of(doc, "status").startswith("No CMMC status")
    assert text_of(doc, "poam-usage") == ("A POA&M cannot give Conditional status here: 1 open requirement is never "
                                          "allowed on one (32 CFR 170.21(a)(2)).")


def test_post_saves_the_details_and_only_them(client):
    assessment = start(client, cage_codes="1ABC2")
    response = client.post(url(assessment), details(
        assessment_date="2026-11-02", affirming_official="  Jo Smith, CEO ", ssp_name="Acme SSP", ssp_version="3",
        ssp_date="2026-10-01", conditional_status_date="2026-11-10"))
    assert response.status_code == 302 and response["Location"] == url(assessment)
    assessment.refresh_from_db()
    assert (assessment.assessment_date, assessment.affirming_official, assessment.ssp_name, assessment.ssp_version,
            assessment.ssp_date, assessment.conditional_status_date) == (
        date(2026, 11, 2), "Jo Smith, CEO", "Acme SSP", "3", date(2026, 10, 1), date(2026, 11, 10))
    assert assessment.organization_name == "Acme" and assessment.cage_codes == "1ABC2"
    _, doc = get(client, assessment)
    assert text_of(doc, "affirming-official") == "Jo Smith, CEO"
    assert "Saved the SPRS details." in doc.text_content()


def test_post_with_a_bad_date_shows_the_error_at_the_field_and_keeps_the_other_values(client):
    assessment = start(client)
    future = (today() + timedelta(days=3)).isoformat()
    response = client.post(url(assessment), details(
        assessment_date=future, affirming_official="Jo Smith", ssp_name="Acme SSP", ssp_date="2026-02-30"))
    assert response.status_code == 400
    errors = response.context["form"].errors.as_data()
    assert errors["assessment_date"][0].code == "date_in_future"
    assert errors["ssp_date"][0].code == "invalid"
    doc = lxml.html.fromstring(response.content)
    block = field_block(doc, "assessment_date")
    assert "The assessment date cannot be in the future." in block.text_content()
    assert block.xpath(".//input")[0].get("value") == future
    assert "Enter a valid date." in field_block(doc, "ssp_date").text_content()
    assert field_block(doc, "ssp_date").xpath(".//input")[0].get("value") == "2026-02-30"
    assert field_block(doc, "affirming_official").xpath(".//input")[0].get("value") == "Jo Smith"
    assert field_block(doc, "ssp_name").xpath(".//input")[0].get("value") == "Acme SSP"
    assert "Jo Smith" not in field_block(doc, "assessment_date").text_content()
    # Nothing was saved, and the worksheet does not pretend otherwise.
    assessment.refresh_from_db()
    assert assessment.affirming_official == "" and assessment.assessment_date is None
    assert text_of(doc, "affirming-official").startswith("Not set")


@pytest.mark.parametrize("values, field, code", [
    ({"assessment_date": "2026-11-02", "conditional_status_date": "2026-11-01"}, "conditional_status_date",
     "status_before_assessment"),
    ({"ssp_date": "1999-12-31"}, "ssp_date", "date_too_early"),
    ({"ssp_version": "v" * 51}, "ssp_version", "max_length"),
])
def test_each_validation_error_has_its_code(client, values, field, code):
    assessment = start(client)
    response = client.post(url(assessment), details(**values))
    assert response.status_code == 400
    assert [e.code for e in response.context["form"].errors.as_data()[field]] == [code]


def test_an_empty_post_clears_the_details(client):
    assessment = start(client)
    Assessment.objects.filter(pk=assessment.pk).update(affirming_official="Jo", assessment_date=date(2026, 1, 5))
    assert client.post(url(assessment), details()).status_code == 302
    assessment.refresh_from_db()
    assert assessment.affirming_official == "" and assessment.assessment_date is None


def test_level1_worksheet_shows_the_level1_fields_and_no_score(client):
    assessment = start(client, target_level="l1", cage_codes="1ABC2")
    answer(assessment, {})
    Assessment.objects.filter(pk=assessment.pk).update(assessment_date=date(2026, 11, 2), affirming_official="Jo")
    response, doc = get(client, assessment)
    # 170.15(a)(1)(i)(A)-(E), then the affirmation, then the assessment date as something useful to have.
    assert rows(doc, "sprs-fields") == ["CMMC level", "CMMC status date", "CMMC assessment scope", "CAGE code(s)",
                                        "Compliance result"]
    assert "32 CFR 170.15(a)(1)(i)" in text_of(doc, "sprs-fields-source")
    assert rows(doc, "sprs-affirmation") == ["Affirming official"]
    assert rows(doc, "sprs-extra") == ["Date of the assessment"]
    assert text_of(doc, "level") == "Level 1 (Self)"
    assert text_of(doc, "status-date").startswith("The date you submit")
    assert "2026-11-02" not in text_of(doc, "status-date")
    assert text_of(doc, "assessment-date") == "2026-11-02"
    assert text_of(doc, "compliance").startswith("Met")
    assert text_of(doc, "status").startswith("Final Level 1 (Self) Computed from the compliance result")
    assert "32 CFR 170.22(b)(1)" in text_of(doc, "affirmation-rule")
    assert not doc.xpath('//*[@data-testid="score"]') and "out of 110" not in response.content.decode()
    assert set(response.context["form"].fields) == {"assessment_date", "affirming_official"}
    answer(assessment, {"3.1.1": "not_met"})
    _, doc = get(client, assessment)
    assert text_of(doc, "compliance").startswith("Not met: 1 requirement not met; Level 1 allows no POA&M")
    assert text_of(doc, "status").startswith("No CMMC status")


def test_level1_post_ignores_level2_fields(client):
    assessment = start(client, target_level="l1")
    assert client.post(url(assessment), details(assessment_date="2026-11-02", ssp_name="Sneaky")).status_code == 302
    assessment.refresh_from_db()
    assert assessment.assessment_date == date(2026, 11, 2) and assessment.ssp_name == ""


def test_query_count_is_constant_whatever_the_number_of_answers(client, django_assert_num_queries):
    assessment = start(client)
    for overrides in (None, {n: {"status": "not_met", "planned_date": date(2027, 1, 1)} for n in ONE_POINT_POAM}):
        if overrides is not None:
            answer(assessment, overrides)  # from 1 answer to all 110
        # 1 session, 2 assessment, 3 the catalog revision (the rules are in memory per revision:
        # controls/snapshot.py), 4 answers (score), 5 planned completion dates, 6 the SSP's generated versions
        # (assessments.plans).
        with django_assert_num_queries(6):
            assert client.get(url(assessment)).status_code == 200


def test_overview_links_to_results_and_the_worksheet(client):
    assessment = start(client)
    body = client.get(reverse("assessments:overview", args=[assessment.public_id])).content.decode()
    assert f'href="{url(assessment)}"' in body
    assert f'href="{reverse("assessments:results", args=[assessment.public_id])}"' in body


def test_a_viewer_reads_the_worksheet_and_its_details_read_only_and_an_editor_can_still_save_them(org_people):
    """A viewer's save would get 403: the details show in disabled fields, without Save or links to set them."""
    assessment = make_assessment(org_people["acme"])
    Assessment.objects.filter(pk=assessment.pk).update(affirming_official="Pat Doe")
    clients = org_people["clients"]
    _, doc = get(clients["viewer"], assessment)
    assert "only editors and owners can change them" in text_of(doc, "read-only")
    assert not enabled_post_controls(doc) and not doc.xpath("//main//button")
    assert doc.xpath("//input[@name='affirming_official']/@value") == ["Pat Doe"]
    assert text_of(doc, "affirming-official").startswith("Pat Doe")
    for name in ("ssp_name", "cage_codes"):
        missing = doc.xpath(f'//*[@data-testid="missing-{name}"]')[0]
        assert missing.text == "Not set" and missing.getnext() is None  # nothing offers to set it
    assert clients["viewer"].post(url(assessment), details(affirming_official="Eve")).status_code == 403
    assessment.refresh_from_db()
    assert assessment.affirming_official == "Pat Doe"
    for role in ("editor", "owner"):
        _, doc = get(clients[role], assessment)
        assert not doc.xpath("//*[@data-testid='read-only']") and not doc.xpath("//fieldset[@disabled]")
        assert set(details()) <= {el.get("name") for el in enabled_post_controls(doc)}
        assert doc.xpath("//main//form//button[normalize-space()='Save the details']")
        assert doc.xpath('//*[@data-testid="missing-ssp_name"]')[0].getnext().get("href") == "#id_ssp_name"
