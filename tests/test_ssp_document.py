from datetime import date

import pytest

from assessments.models import Answer
from assessments.poam import poam_rows
from controls.models import ExampleNarrative, Family, Requirement
from ssp import starting_text
from ssp.blocks import ChangeRow, PoamRow, ProviderRow, Table, UserRoleRow, cells, clean, soften
from ssp.document import build_document
from ssp.models import ImplementationStatus, Responsibility, ServiceProvider, SystemSecurityPlan, create_ssp
from ssp.records import records

from .ssp_helpers import PLANNED_DATE, answer_all, complete, plan_for, start_assessment

pytestmark = pytest.mark.django_db


@pytest.fixture
def assessment(client):
    assessment = start_assessment(client)
    answer_all(assessment, not_met=("3.1.3", "3.13.11"), na=("3.1.16",))
    return assessment


def pairs(details) -> list[tuple[str, str]]:
    return [(d.label, d.value) for d in details]


def entry(ssp: SystemSecurityPlan, nist_id: str):
    return next(e for e in build_document(ssp).requirements if e.nist_id == nist_id)


def test_each_requirement_reads_the_assessments_record_in_the_plans_words(assessment):
    Answer.objects.filter(assessment=assessment, requirement__nist_id="3.5.3").update(status="partial")
    Answer.objects.filter(assessment=assessment, requirement__nist_id="3.1.2").delete()
    ssp = plan_for(assessment)
    assert entry(ssp, "3.1.1").status == ImplementationStatus.IMPLEMENTED
    na = entry(ssp, "3.1.16")
    assert na.status == ImplementationStatus.NA and na.rationale == "No such thing here (3.1.16)."
    not_met = entry(ssp, "3.1.3")
    assert not_met.status == ImplementationStatus.PLANNED
    assert (not_met.planned_date, not_met.responsible) == (PLANNED_DATE, "IT lead")
    # Partial is said as such (what is in place, what is planned), and is open on the POA&M.
    partial = entry(ssp, "3.5.3")
    assert partial.status == ImplementationStatus.PARTIAL and partial.status_label == "Partially implemented"
    assert partial.is_planned and partial.description_label == "What is in place, and what is planned"
    unanswered = entry(ssp, "3.1.2")
    assert unanswered.status == ImplementationStatus.PLANNED and not unanswered.answered  # never implemented
    assert ("Status", "Planned to be implemented (not assessed yet)") in pairs(unanswered.details)


def test_a_change_to_the_answer_shows_in_the_plan_at_once(assessment):
    ssp = plan_for(assessment)
    Answer.objects.filter(assessment=assessment, requirement__nist_id="3.1.3").update(
        status="met", note="Done with conditional access.", responsible="CISO", evidence="CA policy export")
    met = entry(ssp, "3.1.3")
    assert met.status == ImplementationStatus.IMPLEMENTED and met.description == "Done with conditional access."
    assert ("Responsible role", "CISO") in pairs(met.details) and "Evidence", "CA policy export" in pairs(met.details)


def test_starting_text_is_the_example_of_the_plans_environment_and_is_flagged_until_written(assessment):
    ssp = plan_for(assessment)
    ssp.narrative_variant = "on_prem"
    ssp.save()
    example = ExampleNarrative.objects.get(requirement__nist_id="3.1.1", variant="on_prem").text
    first = entry(ssp, "3.1.1")
    assert first.starting_text_pending
    assert first.description == f"Acme meets this requirement as follows.\n{example}"
    assert ("description_unconfirmed", "id_r3-1-1-note") in {(i.code, i.field) for i in build_document(ssp).issues}
    # Nothing is stored: the starting text follows the status until the user writes or confirms a description.
    assert Answer.objects.get(assessment=assessment, requirement__nist_id="3.1.1").note == ""
    Answer.objects.filter(assessment=assessment, requirement__nist_id="3.1.1").update(status="not_met")
    assert entry(ssp, "3.1.1").description.startswith("Acme has not fully implemented")
    # Not applicable starts without description: its rationale (the answer's justification) explains it.
    na = entry(ssp, "3.1.16")
    assert na.description == "" and not na.starting_text_pending


def test_the_plan_is_created_once_per_assessment_and_copies_no_requirement(assessment):
    answers = Answer.objects.count()
    first = create_ssp(assessment=assessment)
    assert create_ssp(assessment=assessment).pk == first.pk
    assert SystemSecurityPlan.objects.count() == 1 and Answer.objects.count() == answers


def test_document_has_the_nist_sections_in_order_and_all_110_requirements_by_family(assessment):
    doc = build_document(complete(plan_for(assessment)), version="1.0", on=date(2026, 3, 5))
    assert [s.number for s in doc.sections] == ["", "", "1", "2", "3", "4", "A", "B", "C"]
    assert [s.title for s in doc.sections] == [
        "Plan approval", "Assessment summary", "System identification", "System environment", "Requirements",
        "Record of changes", "Plan of action and milestones (POA&M)", "Policies and procedures", "Acronyms"]
    assert [e.nist_id for e in doc.requirements] == list(Requirement.objects.order_by("position")
                                                        .values_list("nist_id", flat=True))
    families = [b.full for b in doc.section("3").blocks if b.kind == "heading"]
    assert families[0] == "3.1 Access Control" and families[-1] == "3.14 System and Information Integrity"
    assert len(families) == Family.objects.count() == 14
    assert doc.header_text == "ACME CUI ENCLAVE SYSTEM SECURITY PLAN — Last updated March 5, 2026"
    level1 = [text for level, text, _ in doc.contents if level == 1]
    assert level1 == ["Plan approval", "Assessment summary", "1. System identification", "2. System environment",
                      "3. Requirements", "4. Record of changes", "Appendix A. Plan of action and milestones (POA&M)",
                      "Appendix B. Policies and procedures", "Appendix C. Acronyms"]


def test_complete_plan_is_clean_and_not_a_draft(assessment):
    doc = build_document(complete(plan_for(assessment)))
    assert doc.issues == () and doc.draft is False


def test_readiness_lists_exactly_what_is_missing(assessment):
    ssp = complete(plan_for(assessment))
    ssp.boundary = "  "
    ssp.save()
    Answer.objects.filter(assessment=assessment, requirement__nist_id="3.1.16").update(justification="")
    Answer.objects.filter(assessment=assessment, requirement__nist_id="3.1.3").update(planned_date=None)
    Answer.objects.filter(assessment=assessment, requirement__nist_id="3.1.4").update(status="")
    Answer.objects.filter(assessment=assessment, requirement__nist_id="3.2.1").update(note="")
    Answer.objects.filter(assessment=assessment, requirement__nist_id="3.2.2").update(note="We train <<who>> yearly.")
    doc = build_document(ssp)
    assert [(i.code, i.step, i.field, i.family) for i in doc.issues] == [
        ("boundary_missing", "environment", "id_boundary", ""),
        ("planned_date_missing", "requirements", "id_r3-1-3-planned_date", "AC"),
        ("status_missing", "requirements", "id_r3-1-4-status", "AC"),
        ("planned_date_missing", "requirements", "id_r3-1-4-planned_date", "AC"),
        ("poam_incomplete", "requirements", "id_r3-1-4-weakness", "AC"),
        ("rationale_missing", "requirements", "id_r3-1-16-justification", "AC"),
        ("description_unconfirmed", "requirements", "id_r3-2-1-note", "AT"),
        ("description_placeholder", "requirements", "id_r3-2-2-note", "AT"),
    ]
    assert doc.draft


def test_level1_assessment_asks_a_status_only_for_its_17_practices(client):
    assessment = start_assessment(client, "Tiny")
    assessment.target_level = "l1"
    assessment.save()
    Answer.objects.filter(assessment=assessment).exclude(requirement__nist_id="3.12.4").delete()
    answer_all(assessment)
    Answer.objects.filter(assessment=assessment, requirement__level1_id="").update(status="")
    ssp = complete(plan_for(assessment))
    assert "status_missing" not in {i.code for i in build_document(ssp).issues}


def test_records_take_a_constant_number_of_queries(assessment, django_assert_num_queries):
    # 1 the catalog revision (the rules are in memory per revision: controls/snapshot.py), 2 answers (the score and
    # the records); 3 requirements with their family, 4 objectives.
    with django_assert_num_queries(4):
        _, found = records(assessment)
    assert len(found) == 110


def test_building_the_document_takes_a_constant_number_of_queries(assessment, django_assert_num_queries):
    ssp = complete(plan_for(assessment))
    # 1 contacts, 2 user roles, 3 hardware, 4 software, 5 interconnections, 6 providers, 7 policies, 8 reviews,
    # 9 diagram, 10 earlier versions; the records (ssp/records.py): 11 the catalog revision, 12 answers (the score
    # and the records), 13 requirements with their family, 14 objectives.
    with django_assert_num_queries(14):
        doc = build_document(ssp)
    assert len(doc.requirements) == 110


def test_record_of_changes_ends_with_the_version_being_generated(assessment):
    ssp = complete(plan_for(assessment))
    doc = build_document(ssp, version="1.0", on=date(2026, 3, 5),
                         change=ChangeRow("1.0", date(2026, 3, 5), "Initial version", "Pat Doe"))
    table = doc.section("4").blocks[2]
    assert table.rows == (ChangeRow("1.0", date(2026, 3, 5), "Initial version", "Pat Doe"),)
    assert [cells(row) for row in table.rows] == [("1.0", "2026-03-05", "Initial version", "Pat Doe")]


def test_poam_appendix_is_the_assessments_poam(assessment):
    ssp = complete(plan_for(assessment))
    table = build_document(ssp).poam_section.blocks[1]
    expected = [r["requirement"] for r in poam_rows(assessment)]
    assert [row.requirement for row in table.rows] == expected == ["3.13.11", "3.1.3"]
    assert table.rows[1].planned_date == PLANNED_DATE and cells(table.rows[1])[4] == PLANNED_DATE.isoformat()


def test_table_rows_hold_typed_values_and_the_renderers_text_comes_from_them(assessment):
    ssp = complete(plan_for(assessment))
    ServiceProvider.objects.create(ssp=ssp, name="MSP", service="Help desk", responsibility="shared", notes="")
    doc = build_document(ssp)
    roles = next(b for b in doc.section("1").blocks if isinstance(b, Table))
    assert roles.rows == (UserRoleRow("Engineers", 12, 1), UserRoleRow("Total", 12, 1, total=True))
    assert [cells(row) for row in roles.rows] == [("Engineers", "12", "1"), ("Total", "12", "1")]
    providers = [b for b in doc.section("2").blocks if isinstance(b, Table)][-1]
    assert providers.rows == (ProviderRow("MSP", "Help desk", "shared", ""),)
    assert cells(providers.rows[0])[2] == Responsibility("shared").label
    first = doc.poam_section.blocks[1].rows[0]
    assert isinstance(first, PoamRow) and isinstance(first.points, int) and first.poam_eligible is False
    assert cells(first)[1].endswith(f"May not stay on a POA&M. {first.why_not}")


def test_the_plan_never_lists_itself_in_its_own_poam(assessment):
    Answer.objects.filter(assessment=assessment, requirement__nist_id="3.12.4").update(status="not_met")
    ssp = complete(plan_for(assessment))
    assert "3.12.4" in [r["requirement"] for r in poam_rows(assessment)]  # the assessment's POA&M has it
    table = build_document(ssp).poam_section.blocks[1]
    assert "3.12.4" not in [row.requirement for row in table.rows]
    assert "planned_date_missing" not in {i.code for i in build_document(ssp).issues if "3.12.4" in i.message}


def test_text_is_cleaned_once_for_every_renderer():
    assert clean("a\x00b\x0bc\x1bd\ufffee\r\nf\rg  \n") == "abcde\nf\ng"
    assert clean(None) == ""
    assert clean("emoji \U0001f600 stays") == "emoji \U0001f600 stays"
    # Bidi embedding, override and isolate controls go ("\u202eevil" would display as "live"); the letters of a
    # right-to-left script stay, and display right to left without them.
    controls = "".join(chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)])
    assert clean(f"{controls}\u202eevil") == "evil"
    assert clean("שלום مرحبا \u2067x\u2069") == "שלום مرحبا x"


def test_very_long_words_get_break_opportunities_and_short_ones_do_not():
    assert soften("short words stay as they are") == "short words stay as they are"
    softened = soften("x" * 100)
    assert softened.replace("\u200b", "") == "x" * 100 and softened.count("\u200b") == 4


def test_placeholders_are_detected_in_starting_text_and_user_text():
    text = starting_text.for_requirement(status="planned", organization="", objectives=[("[a]", "a thing")])
    assert text.startswith("The organization has not fully implemented")
    assert starting_text.has_placeholder(text)
    assert not starting_text.has_placeholder("objective [a] and a << b comparison")
