"""Strict readiness (ssp/readiness.py): a version is final only when everything an assessor reads first is there."""

from datetime import date

import pytest

from assessments.models import Answer
from controls.models import Requirement
from ssp import readiness
from ssp.document import build_document
from ssp.models import Contact, HardwareItem, NetworkDiagram, PlanReview, SoftwareItem, SystemSecurityPlan

from .ssp_helpers import answer_all, complete, plan_for, start_assessment

pytestmark = pytest.mark.django_db


@pytest.fixture
def assessment(client):
    assessment = start_assessment(client)
    answer_all(assessment, not_met=("3.1.3",), na=("3.1.16",))
    return assessment


def codes(ssp: SystemSecurityPlan) -> list[str]:
    return [issue.code for issue in build_document(ssp).issues]


def test_a_plan_that_answers_yes_for_every_description_and_nothing_else_stays_a_draft(assessment):
    # The review's plan: "Yes." for all 110 descriptions, no contacts, purpose, CUI types, inventory, diagram or
    # approver. It was generated as FINAL with no DRAFT mark.
    ssp = plan_for(assessment)
    ssp.system_name = "Acme CUI Enclave"
    ssp.boundary = "The office."
    ssp.save()
    Answer.objects.filter(assessment=assessment).update(note="Yes.")
    doc = build_document(ssp)
    assert doc.draft is True
    found = {issue.code for issue in doc.issues}
    assert {"contact_missing", "purpose_missing", "cui_categories_missing", "topology_missing", "diagram_missing",
            "hardware_missing", "software_missing", "approver_missing", "approval_date_missing",
            "description_too_short", "na_not_approved", "poam_incomplete"} <= found
    too_short = [i.nist_id for i in doc.issues if i.code == "description_too_short"]
    assert len(too_short) == 109  # every one but 3.1.16, which is not applicable (its rationale speaks for it)
    # Its first page lists the open items: the plan-wide ones as they are, the requirement ones grouped.
    assert "The system's purpose is not described (section 1.3)." in doc.open_items
    assert any(line.startswith("Description too short to assess (109): 3.1.1, 3.1.2,") and line.endswith(
        "and 97 more.") for line in doc.open_items)


def test_the_complete_plan_is_final_and_each_missing_piece_makes_it_a_draft_again(assessment):
    ssp = complete(plan_for(assessment))
    assert codes(ssp) == []
    checks = [
        (lambda: Contact.objects.filter(ssp=ssp, role="security_officer").update(email="", phone=""),
         "contact_missing"),
        (lambda: SystemSecurityPlan.objects.filter(pk=ssp.pk).update(cui_categories=[]), "cui_categories_missing"),
        (lambda: SystemSecurityPlan.objects.filter(pk=ssp.pk).update(diagram_none_reason=" "), "diagram_missing"),
        (lambda: SystemSecurityPlan.objects.filter(pk=ssp.pk).update(hardware_reference=""), "hardware_missing"),
        (lambda: SystemSecurityPlan.objects.filter(pk=ssp.pk).update(software_reference=""), "software_missing"),
        (lambda: SystemSecurityPlan.objects.filter(pk=ssp.pk).update(approval_date=None), "approval_date_missing"),
        (lambda: SystemSecurityPlan.objects.filter(pk=ssp.pk).update(approver_title=""), "approver_missing"),
        (lambda: Answer.objects.filter(assessment=assessment, requirement__nist_id="3.1.16").update(
            na_approved_on=None), "na_not_approved"),
        (lambda: Answer.objects.filter(assessment=assessment, requirement__nist_id="3.1.3").update(milestones=""),
         "poam_incomplete"),
        (lambda: Answer.objects.filter(assessment=assessment, requirement__nist_id="3.1.3").update(weakness=""),
         "poam_incomplete"),
        (lambda: Answer.objects.filter(assessment=assessment, requirement__nist_id="3.1.1").update(
            note="We use MFA everywhere and it is good."), "description_too_short"),
    ]
    for change, code in checks:
        snapshot = {a.pk: (a.note, a.na_approved_on, a.milestones, a.weakness)
                    for a in Answer.objects.filter(assessment=assessment)}
        change()
        ssp.refresh_from_db()
        assert code in codes(ssp), code
        complete(ssp)  # fills the plan back in
        for pk, (note, approved_on, milestones, weakness) in snapshot.items():
            Answer.objects.filter(pk=pk).update(note=note, na_approved_on=approved_on, milestones=milestones,
                                                weakness=weakness)
        assert codes(ssp) == [], code


def test_a_diagram_or_rows_stand_in_for_the_reason_and_the_references(assessment):
    ssp = complete(plan_for(assessment))
    SystemSecurityPlan.objects.filter(pk=ssp.pk).update(diagram_none_reason="", hardware_reference="",
                                                       software_reference="")
    NetworkDiagram.objects.create(ssp=ssp, image=b"x", content_type="image/png", width=1, height=1, sha256="0")
    HardwareItem.objects.create(ssp=ssp, component="Laptop")
    SoftwareItem.objects.create(ssp=ssp, name="Windows 11")
    ssp.refresh_from_db()
    assert codes(ssp) == []


def test_a_review_log_entry_is_not_needed_to_be_final_but_is_printed(assessment):
    ssp = complete(plan_for(assessment))
    PlanReview.objects.create(ssp=ssp, reviewed_on=date(2026, 6, 1), reviewer="Pat Doe", outcome="No changes")
    doc = build_document(ssp)
    assert not doc.draft
    log = [b for b in doc.section("4").blocks if b.kind == "table"][-1]
    assert [(r.date, r.reviewer, r.outcome) for r in log.rows] == [(date(2026, 6, 1), "Pat Doe", "No changes")]


def test_a_token_description_is_one_of_fewer_than_twelve_words():
    assert readiness.token("Yes.") and readiness.token("We comply with this requirement fully and completely.")
    assert not readiness.token("The IT lead reviews every account each quarter in Entra ID and removes any stale one.")


def test_open_items_name_at_most_twelve_requirements_per_line_and_count_the_rest(assessment):
    ssp = plan_for(assessment)
    Answer.objects.filter(assessment=assessment).update(note="")
    lines = build_document(ssp).open_items
    line = next(line for line in lines if line.startswith("Description still the starting text"))
    # Every requirement but 3.1.16: not applicable has no starting text (its rationale speaks for it).
    count = Requirement.objects.count() - 1
    assert line.startswith(f"Description still the starting text ({count}): 3.1.1, 3.1.2, ")
    assert line.split(": ", 1)[1].count(",") == 11 and line.endswith(f" and {count - 12} more.")
