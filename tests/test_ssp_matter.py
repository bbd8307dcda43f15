"""The plan's front and back matter (ssp/matter.py) and the assessor-level detail of each requirement block."""

from datetime import date

import pytest

from assessments.models import Answer, ObjectiveAnswer
from assessments.records import score_assessment
from controls.models import Objective
from ssp import matter
from ssp.blocks import Milestone, Signature, cells
from ssp.document import build_document
from ssp.models import PolicyDocument

from .ssp_helpers import PLANNED_DATE, answer_all, complete, plan_for, start_assessment

pytestmark = pytest.mark.django_db


@pytest.fixture
def assessment(client):
    assessment = start_assessment(client)
    answer_all(assessment, not_met=("3.1.3",), na=("3.1.16",))
    return assessment


def fields(section) -> dict[str, str]:
    return dict(next(b for b in section.blocks if b.kind == "fields").rows)


def entry(doc, nist_id: str):
    return next(e for e in doc.requirements if e.nist_id == nist_id)


def test_the_summary_states_the_score_status_dates_scope_and_official_as_the_site_computes_them(assessment):
    Answer.objects.filter(assessment=assessment, requirement__nist_id="3.12.4").update(status="met")
    assessment.assessment_date, assessment.conditional_status_date = date(2026, 11, 20), date(2026, 11, 25)
    assessment.affirming_official, assessment.cage_codes, assessment.scope = "Pat Doe, CEO", "1ABC5 2DEF6", "enclave"
    assessment.save()
    ssp = complete(plan_for(assessment))
    result = score_assessment(assessment)
    summary = fields(build_document(ssp).section_titled("Assessment summary"))
    # 3.1.3 not met (1 point) and 3.1.16 N/A: 109, Conditional.
    assert result.score == 109 and summary["SPRS score"] == "109 of 110"
    assert summary["CMMC status"] == "Level 2 Conditional, status date November 25, 2026"
    assert summary["Assessment date"] == "November 20, 2026"
    assert summary["Assessment scope"].startswith("Enclave") and summary["CAGE codes"] == "1ABC5, 2DEF6"
    assert summary["POA&M closeout date"] == "May 24, 2027 (180 days after the Conditional status date)"
    planned = f"{PLANNED_DATE:%B} {PLANNED_DATE.day}, {PLANNED_DATE.year}"
    assert summary["Planned completion of every open item"] == planned
    assert summary["Affirming official"] == "Pat Doe, CEO"
    assert summary["Requirements open"] == "1 of 110"


def test_without_the_plan_met_the_summary_says_no_score_and_why_with_what_it_would_be(assessment):
    ssp = complete(plan_for(assessment))
    Answer.objects.filter(assessment=assessment, requirement__nist_id="3.12.4").update(status="not_met")
    summary = fields(build_document(ssp).section_titled("Assessment summary"))
    assert summary["SPRS score"].startswith("None yet: no score exists until this plan (requirement 3.12.4)")
    assert summary["SPRS score"].endswith("the score would be 109 of 110.")
    assert summary["CMMC status"] == "No CMMC status"
    assert summary["POA&M closeout date"].startswith("None: the assessment has no Conditional status")


def test_each_requirement_block_has_its_cmmc_id_points_provider_and_a_link_to_its_poam_row(assessment):
    Answer.objects.filter(assessment=assessment, requirement__nist_id="3.1.1").update(
        responsibility="shared", provider="Contoso MSP", evidence="Entra ID export")
    Answer.objects.filter(assessment=assessment, requirement__nist_id="3.5.3").update(status="partial")
    doc = build_document(complete(plan_for(assessment)))
    first = entry(doc, "3.1.1")
    assert first.heading == "3.1.1 (AC.L2-3.1.1) Authorized Access Control"
    details = {d.label: d for d in first.details}
    assert details["Value"].value == "5 points" and details["Carried out by"].value == "Shared with Contoso MSP"
    assert details["Evidence"].value == "Entra ID export"
    mfa = {d.label: d for d in entry(doc, "3.5.3").details}
    assert mfa["Status"].value == "Partially implemented: costs 3 points now"
    assert mfa["Value"].value == "5 points (3 if partially implemented)"
    assert mfa["POA&M"].link == "poam-3-5-3"
    assert "poam-3-5-3" in {row.anchor for row in doc.poam_section.blocks[1].rows}
    open_ = {d.label: d for d in entry(doc, "3.1.3").details}
    assert open_["POA&M"].link == "poam-3-1-3" and open_["Planned completion"].value == PLANNED_DATE.isoformat()


def test_not_applicable_carries_its_rationale_and_who_approved_it_and_when(assessment):
    doc = build_document(complete(plan_for(assessment)))
    na = {d.label: d.value for d in entry(doc, "3.1.16").details}
    assert na["Not applicable approved by"] == "Pat Doe, February 20, 2026"
    Answer.objects.filter(assessment=assessment, requirement__nist_id="3.1.16").update(
        na_approved_by="", na_approved_on=None)
    na = {d.label: d.value for d in entry(build_document(plan_for(assessment)), "3.1.16").details}
    assert na["Not applicable approved by"] == "Not approved yet."


def test_every_objective_is_listed_and_in_objective_mode_with_its_answer(assessment):
    doc = build_document(complete(plan_for(assessment)))
    lines = entry(doc, "3.1.1").objectives
    texts = [o.statement for o in Objective.objects.filter(requirement__nist_id="3.1.1")]  # each a sentence
    assert texts[0] == "Authorized users are identified"
    assert [line.letter for line in lines] == list("abcdef")[:len(texts)] and [line.text for line in lines] == texts
    assert {line.status for line in lines} == {""}
    assessment.objective_mode = True
    assessment.save()
    first = Objective.objects.filter(requirement__nist_id="3.1.1").order_by("position")[0]
    ObjectiveAnswer.objects.create(assessment=assessment, objective=first, status="not_met")
    lines = entry(build_document(plan_for(assessment)), "3.1.1").objectives
    assert lines[0].status == "Not met" and {line.status for line in lines[1:]} == {"Not assessed"}


def test_the_poam_rows_hold_the_38_usc_5727_fields_in_its_order(assessment):
    ssp = complete(plan_for(assessment))
    Answer.objects.filter(assessment=assessment, requirement__nist_id="3.1.3").update(
        weakness="CUI flow is not enforced at the boundary.", identified_by="Self-assessment",
        identified_on=date(2026, 11, 20), resources="USD 4,000 for a firewall licence",
        milestones="2027-01-10 Order the licence\n2027-02-01: Configure the rules\nTrain staff",
        milestone_changes="Configuration moved from January to February.")
    row = next(r for r in build_document(ssp).poam_section.blocks[1].rows
               if r.requirement == "3.1.3")
    assert row.milestones == (Milestone(date(2027, 1, 10), "Order the licence"),
                              Milestone(date(2027, 2, 1), "Configure the rules"), Milestone(None, "Train staff"))
    text = cells(row)
    assert text[0] == "3.1.3 (AC.L2-3.1.3) Control CUI Flow\n1 point"
    assert text[1:4] == ("CUI flow is not enforced at the boundary.", "IT lead", "USD 4,000 for a firewall licence")
    assert text[4] == PLANNED_DATE.isoformat()
    assert text[5] == "2027-01-10: Order the licence\n2027-02-01: Configure the rules\nTrain staff"
    assert text[6:] == ("Configuration moved from January to February.", "Self-assessment\n2026-11-20",
                        "Open\nNot met")
    assert build_document(plan_for(assessment)).poam_section.landscape


def test_a_milestone_with_an_impossible_date_is_kept_as_text():
    assert matter.milestones("2027-02-30 Later\n\n  ") == (Milestone(None, "2027-02-30 Later"),)


def test_the_cover_carries_the_cui_designation_indicator_on_a_plan_marked_cui(assessment):
    ssp = complete(plan_for(assessment))
    ssp.cui_controlled_by, ssp.cui_category_marking = "Acme Engineering, IT office", "CTI"
    ssp.cui_poc = "Pat Doe, 555-0100"
    ssp.save()
    assert build_document(ssp).designation == (
        ("Controlled by", "Acme Engineering, IT office"), ("CUI Category", "CTI"),
        ("Distribution/Dissemination Control", "None"), ("POC", "Pat Doe, 555-0100"))
    ssp.cui_banner = False
    ssp.save()
    assert build_document(ssp).designation == ()


def test_the_approval_page_has_the_approver_and_date_and_the_policy_index_the_listed_documents(assessment):
    ssp = complete(plan_for(assessment))
    PolicyDocument.objects.create(ssp=ssp, title="Access Control Policy", reference="POL-01 on SharePoint",
                                  version="2.1")
    doc = build_document(ssp)
    signature = doc.section_titled("Plan approval").blocks[1]
    assert signature == Signature("Pat Doe", "CEO", date(2026, 3, 1))
    policies = doc.section("B").blocks[1]
    assert [cells(r) for r in policies.rows] == [("Access Control Policy", "POL-01 on SharePoint", "2.1")]


def test_the_acronyms_are_those_the_plan_uses(assessment):
    ssp = complete(plan_for(assessment))
    Answer.objects.filter(assessment=assessment, requirement__nist_id="3.1.1").update(
        note="Entra ID enforces MFA through Conditional Access for every user of the GCC High tenant, daily.")
    acronyms = {row.acronym for row in build_document(ssp).section("C").blocks[0].rows}
    assert {"MFA", "GCC", "CUI", "NIST", "POA&M", "CMMC", "SPRS"} <= acronyms
    assert "VLAN" not in acronyms and "EDR" not in acronyms
