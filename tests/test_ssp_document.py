from datetime import date

import pytest

from assessments.exports import poam_rows
from assessments.models import Answer
from controls.models import Family, Objective, Requirement
from ssp import starting_text
from ssp.document import ChangeRow, build_document, clean, soften
from ssp.models import (
    ImplementationStatus,
    RequirementImplementation,
    StaleWrite,
    SystemSecurityPlan,
    create_ssp,
    save_implementation,
    sync_from_assessment,
)

from .ssp_helpers import PLANNED_DATE, answer_all, complete, plan_for, start_assessment

pytestmark = pytest.mark.django_db


@pytest.fixture
def assessment(client):
    assessment = start_assessment(client)
    answer_all(assessment, not_met=("3.1.3", "3.13.11"), na=("3.1.16",))
    return assessment


def row(ssp: SystemSecurityPlan, nist_id: str) -> RequirementImplementation:
    return RequirementImplementation.objects.select_related("requirement").get(ssp=ssp, requirement__nist_id=nist_id)


def test_statuses_are_prefilled_from_the_answers(assessment):
    Answer.objects.filter(assessment=assessment, requirement__nist_id="3.5.3").update(status="partial")
    Answer.objects.filter(assessment=assessment, requirement__nist_id="3.1.2").delete()
    ssp = plan_for(assessment)
    assert RequirementImplementation.objects.filter(ssp=ssp).count() == 110
    met, na, not_met = row(ssp, "3.1.1"), row(ssp, "3.1.16"), row(ssp, "3.1.3")
    assert met.status == ImplementationStatus.IMPLEMENTED
    assert na.status == ImplementationStatus.NA and na.rationale == "No such thing here (3.1.16)."
    assert not_met.status == ImplementationStatus.PLANNED
    assert (not_met.planned_date, not_met.responsible, not_met.poam_reference) == (PLANNED_DATE, "IT lead",
                                                                                  "POA&M 3.1.3")
    assert row(ssp, "3.5.3").status == ImplementationStatus.PLANNED  # partial is planned: the template has no partial
    assert row(ssp, "3.1.2").status == ImplementationStatus.PLANNED  # unanswered is never implemented


def test_starting_text_walks_the_objectives_and_is_flagged_until_confirmed(assessment):
    ssp = plan_for(assessment)
    first = row(ssp, "3.1.1")
    letters = list(Objective.objects.filter(requirement__nist_id="3.1.1").values_list("objective_id", flat=True))
    assert first.starting_text_pending and first.description == first.starting_text
    assert first.description.startswith("Acme meets this requirement as follows.")
    assert first.description.count("<<how, and what shows it>>") == len(letters) == 6
    assert "[a] Authorized users are identified" in first.description
    doc = build_document(ssp)
    entry = next(e for e in doc.requirements if e.nist_id == "3.1.1")
    assert entry.starting_text_pending
    assert ("description_unconfirmed", "id_r3-1-1-description") in {(i.code, i.field) for i in doc.issues}
    # Not applicable starts without description: its rationale (the answer's justification) explains it.
    assert row(ssp, "3.1.16").description == "" and not row(ssp, "3.1.16").starting_text_pending


def test_the_plan_is_created_once_per_assessment(assessment):
    first = create_ssp(assessment=assessment)
    assert create_ssp(assessment=assessment).pk == first.pk
    assert SystemSecurityPlan.objects.count() == 1 and RequirementImplementation.objects.count() == 110


def test_document_has_the_nist_sections_in_order_and_all_110_requirements_by_family(assessment):
    doc = build_document(complete(plan_for(assessment)), version="1.0", on=date(2026, 3, 5))
    assert [s.number for s in doc.sections] == ["1", "2", "3", "4", "A"]
    assert [s.title for s in doc.sections][:4] == ["System identification", "System environment", "Requirements",
                                                   "Record of changes"]
    assert [e.nist_id for e in doc.requirements] == list(Requirement.objects.order_by("position")
                                                        .values_list("nist_id", flat=True))
    families = [b.full for b in doc.section("3").blocks if b.kind == "heading"]
    assert families[0] == "3.1 Access Control" and families[-1] == "3.14 System and Information Integrity"
    assert len(families) == Family.objects.count() == 14
    assert doc.header_text == "ACME CUI ENCLAVE SYSTEM SECURITY PLAN — Last updated March 5, 2026"
    level1 = [text for level, text, _ in doc.contents if level == 1]
    assert level1 == ["1. System identification", "2. System environment", "3. Requirements",
                      "4. Record of changes", "Appendix A. Plan of action and milestones (POA&M)"]


def test_complete_plan_is_clean_and_not_a_draft(assessment):
    doc = build_document(complete(plan_for(assessment)))
    assert doc.issues == () and doc.draft is False


def test_readiness_lists_exactly_what_is_missing(assessment):
    ssp = complete(plan_for(assessment))
    ssp.boundary = "  "
    ssp.save()
    RequirementImplementation.objects.filter(ssp=ssp, requirement__nist_id="3.1.16").update(rationale="")
    RequirementImplementation.objects.filter(ssp=ssp, requirement__nist_id="3.1.3").update(planned_date=None)
    RequirementImplementation.objects.filter(ssp=ssp, requirement__nist_id="3.2.1").update(description="")
    RequirementImplementation.objects.filter(ssp=ssp, requirement__nist_id="3.2.2").update(
        description="We train <<who>> yearly.")
    doc = build_document(ssp)
    assert [(i.code, i.step, i.field, i.family) for i in doc.issues] == [
        ("boundary_missing", "environment", "id_boundary", ""),
        ("planned_date_missing", "requirements", "id_r3-1-3-planned_date", "AC"),
        ("rationale_missing", "requirements", "id_r3-1-16-rationale", "AC"),
        ("description_missing", "requirements", "id_r3-2-1-description", "AT"),
        ("description_placeholder", "requirements", "id_r3-2-2-description", "AT"),
    ]
    assert doc.draft


def test_plan_and_assessment_disagreeing_is_flagged_and_sync_repairs_it(assessment):
    ssp = complete(plan_for(assessment))
    Answer.objects.filter(assessment=assessment, requirement__nist_id="3.1.3").update(status="met")
    Answer.objects.filter(assessment=assessment, requirement__nist_id="3.1.4").update(
        status="not_met", planned_date=PLANNED_DATE)
    Answer.objects.filter(assessment=assessment, requirement__nist_id="3.13.11").update(planned_date=date(2030, 1, 1))
    issues = [(i.code, i.field) for i in build_document(ssp).issues]
    assert issues == [("status_mismatch", "id_r3-1-3-status"), ("status_mismatch", "id_r3-1-4-status"),
                      ("planned_date_mismatch", "id_r3-13-11-planned_date")]
    assert sync_from_assessment(ssp=ssp) == ["3.1.3", "3.1.4", "3.13.11"]
    assert row(ssp, "3.1.3").status == ImplementationStatus.IMPLEMENTED
    assert (row(ssp, "3.1.4").status, row(ssp, "3.1.4").planned_date) == (ImplementationStatus.PLANNED, PLANNED_DATE)
    assert row(ssp, "3.13.11").planned_date == date(2030, 1, 1)
    # The user's own descriptions survive a sync.
    assert row(ssp, "3.1.4").description.startswith("How 3.1.4 is done")
    assert build_document(ssp).issues == ()


def test_level1_assessment_compares_only_its_17_practices(client):
    assessment = start_assessment(client, "Tiny")
    assessment.target_level = "l1"
    assessment.save()
    answer_all(assessment)
    ssp = complete(plan_for(assessment))
    codes = {i.code for i in build_document(ssp).issues}
    assert "status_mismatch" not in codes


def test_editing_the_starting_text_or_confirming_it_clears_the_flag(assessment):
    ssp = plan_for(assessment)
    objectives = list(Objective.objects.filter(requirement__nist_id="3.1.1"))
    first = row(ssp, "3.1.1")
    values = {"status": "implemented", "description": first.description}
    same = save_implementation(row=first, values=values, confirmed=False, expected_version=1, organization="Acme",
                               objectives=objectives)
    assert same.starting_text_pending and same.version == 2
    # Still untouched but now planned: the planned starting text replaces it, still flagged.
    planned = save_implementation(row=same, values=values | {"status": "planned"}, confirmed=False,
                                  expected_version=2, organization="Acme", objectives=objectives)
    assert planned.starting_text_pending and planned.description.startswith("Acme has not fully implemented")
    confirmed = save_implementation(row=planned, values={"description": planned.description}, confirmed=True,
                                    expected_version=3, organization="Acme", objectives=objectives)
    assert not confirmed.starting_text_pending
    # Saving again without ticking "confirm" does not flag a confirmed text again.
    again = save_implementation(row=confirmed, values={"description": confirmed.description}, confirmed=False,
                                expected_version=4, organization="Acme", objectives=objectives)
    assert not again.starting_text_pending
    rewritten = save_implementation(row=row(ssp, "3.1.2"), values={"description": "Our own words."},
                                    confirmed=False, expected_version=1, organization="Acme", objectives=[])
    assert not rewritten.starting_text_pending


def test_a_stale_version_is_refused_and_nothing_is_written(assessment):
    ssp = plan_for(assessment)
    first = row(ssp, "3.1.1")
    save_implementation(row=first, values={"description": "Tab one."}, confirmed=False, expected_version=1,
                        organization="Acme", objectives=[])
    with pytest.raises(StaleWrite) as stale:
        save_implementation(row=first, values={"description": "Tab two."}, confirmed=False, expected_version=1,
                            organization="Acme", objectives=[])
    assert stale.value.current.description == "Tab one." and row(ssp, "3.1.1").description == "Tab one."


def test_building_the_document_takes_a_constant_number_of_queries(assessment, django_assert_num_queries):
    ssp = complete(plan_for(assessment))
    # 1 contacts, 2 user roles, 3 hardware, 4 software, 5 interconnections, 6 providers, 7 diagram,
    # 8 requirement rows with requirement and family, 9 earlier versions; poam_rows: 10 catalog objectives,
    # 11 catalog requirements, 12 answers, 13 answer details, 14 requirement titles.
    with django_assert_num_queries(14):
        doc = build_document(ssp)
    assert len(doc.requirements) == 110


def test_record_of_changes_ends_with_the_version_being_generated(assessment):
    ssp = complete(plan_for(assessment))
    doc = build_document(ssp, version="1.0", on=date(2026, 3, 5),
                         change=ChangeRow("1.0", date(2026, 3, 5), "Initial version", "Pat Doe"))
    table = doc.section("4").blocks[1]
    assert table.rows == (("1.0", "2026-03-05", "Initial version", "Pat Doe"),)


def test_poam_appendix_is_the_assessments_poam(assessment):
    ssp = complete(plan_for(assessment))
    table = build_document(ssp).poam_section.blocks[1]
    expected = [r["requirement"] for r in poam_rows(assessment)]
    assert [cells[0].split()[0] for cells in table.rows] == expected == ["3.13.11", "3.1.3"]
    assert table.rows[1][5] == PLANNED_DATE.isoformat()


def test_text_is_cleaned_once_for_every_renderer():
    assert clean("a\x00b\x0bc\x1bd\ufffee\r\nf\rg  \n") == "abcde\nf\ng"
    assert clean(None) == ""
    assert clean("emoji \U0001f600 and rtl \u202e stay") == "emoji \U0001f600 and rtl \u202e stay"


def test_very_long_words_get_break_opportunities_and_short_ones_do_not():
    assert soften("short words stay as they are") == "short words stay as they are"
    softened = soften("x" * 100)
    assert softened.replace("\u200b", "") == "x" * 100 and softened.count("\u200b") == 4


def test_placeholders_are_detected_in_starting_text_and_user_text():
    text = starting_text.for_requirement(status="planned", organization="", objectives=[("[a]", "a thing")])
    assert text.startswith("The organization has not fully implemented")
    assert starting_text.has_placeholder(text)
    assert not starting_text.has_placeholder("objective [a] and a << b comparison")
