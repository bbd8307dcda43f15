import base64
import hashlib
import io
import json
from datetime import date

import pytest

from assessments import assessment_file
from assessments.models import Answer, Assessment, ObjectiveAnswer
from assessments.records import score_assessment
from controls.models import Objective, Requirement, catalog_revision

from .export_helpers import answer, make

pytestmark = pytest.mark.django_db


def full_assessment() -> Assessment:
    assessment = make(organization_name="Acme <b>&</b> \u202eSons", target_level="l2", scope="enclave",
                      cage_codes="1ABC2 3DEF4", employee_count=42, objective_mode=True,
                      assessment_date=date(2025, 5, 30), affirming_official="Jane Doe, CEO", ssp_name="=SSP",
                      ssp_version="1.2", ssp_date=date(2025, 5, 1), conditional_status_date=None)
    answer(assessment, "3.12.4", status="met")
    answer(assessment, "3.1.1", status="met", note="=1+1\r\nline 2", evidence="@ev", responsible="-r",
           planned_date=date(2030, 1, 2))
    answer(assessment, "3.5.3", status="partial", justification="")
    answer(assessment, "3.1.12", status="na", justification="no remote access")
    answer(assessment, "3.1.2", status="", note="not decided")
    for objective in Objective.objects.filter(requirement__nist_id__in=["3.1.1", "3.5.3"]):
        ObjectiveAnswer.objects.create(assessment=assessment, objective=objective, status="met")
    # Objective answers without a requirement answer, and one cleared objective.
    ObjectiveAnswer.objects.create(assessment=assessment, objective=Objective.objects.get(objective_id="3.1.3[a]"),
                                   status="not_met")
    ObjectiveAnswer.objects.create(assessment=assessment, objective=Objective.objects.get(objective_id="3.1.3[b]"),
                                   status="")
    return assessment


def test_export_json_is_the_documented_format_without_any_secret(django_assert_num_queries):
    assessment = full_assessment()
    assessment.set_recovery_key()
    # 1: answers; 2: objective answers; 3: catalog revision (its text's hash is in memory per revision:
    # controls/snapshot.py); the sections: 4 the plan (none here), 5 the ISO head start (none here).
    with django_assert_num_queries(5):
        data = assessment_file.export_json(assessment)
    assert list(data) == ["format", "version", "exported_at", "catalog_revision", "assessment", "requirements"]
    assert (data["format"], data["version"], data["catalog_revision"]) == (
        "cmmc-ready.assessment", 2, catalog_revision())
    assert data["assessment"]["assessment_date"] == "2025-05-30" and data["assessment"]["employee_count"] == 42
    assert list(data["requirements"]) == ["3.1.1", "3.1.2", "3.1.3", "3.1.12", "3.5.3", "3.12.4"]  # catalog order
    assert data["requirements"]["3.1.1"]["planned_date"] == "2030-01-02"
    assert data["requirements"]["3.1.2"]["status"] is None
    assert data["requirements"]["3.1.3"] == {"status": None, "justification": "", "note": "", "evidence": "",
                                             "responsible": "", "planned_date": None, "poam_reference": "",
                                             "responsibility": "", "provider": "", "na_approved_by": "",
                                             "na_approved_on": None, "weakness": "", "identified_by": "",
                                             "identified_on": None, "resources": "", "milestones": "",
                                             "milestone_changes": "",
                                             "objectives": {"3.1.3[a]": "not_met", "3.1.3[b]": None}}
    assert list(data["requirements"]["3.1.1"]["objectives"]) == sorted(
        data["requirements"]["3.1.1"]["objectives"], key=lambda o: o[-2])
    text = assessment_file.dumps(data).decode()
    for secret in (str(assessment.access_id), assessment.recovery_key_hash, assessment.public_id):
        assert secret not in text


def comparable(data: dict) -> dict:
    return {k: v for k, v in data.items() if k != "exported_at"}


def test_import_makes_a_new_assessment_that_exports_identically():
    original = full_assessment()
    original.set_recovery_key()
    exported = assessment_file.export_json(original)
    copy = assessment_file.import_json(data=json.loads(assessment_file.dumps(exported)))
    assert copy.pk != original.pk
    assert copy.public_id != original.public_id and copy.access_id != original.access_id
    assert copy.recovery_key_hash == "" and copy.organization_id is None  # its key is made when first shown
    assert comparable(assessment_file.export_json(copy)) == comparable(exported)
    assert score_assessment(copy) == score_assessment(original)
    assert Answer.objects.get(assessment=copy, requirement__nist_id="3.1.1").history.count() == 1


def test_the_minimal_form_imports_with_defaults_and_objective_mode_follows_the_objectives():
    copy = assessment_file.import_json(data={"requirements": {"3.1.1": {"status": "met"},
                                                              "3.5.3": {"status": "partial"}}})
    assert (copy.organization_name, copy.target_level, copy.scope, copy.objective_mode) == (
        assessment_file.DEFAULT_NAME, "l2", "enterprise", False)
    assert dict(Answer.objects.filter(assessment=copy).values_list("requirement__nist_id", "status")) == {
        "3.1.1": "met", "3.5.3": "partial"}
    by_objective = assessment_file.import_json(data={"requirements": {"3.1.1": {"objectives": {"3.1.1[a]": "met"}}}})
    assert by_objective.objective_mode is True


BAD_DOCUMENTS = [
    ([], "the file: expected an object"),
    ({}, "requirements: missing"),
    ({"requirements": [], }, "requirements: expected an object"),
    ({"requirements": {}, "extra": 1}, 'the file: unknown key "extra"'),
    ({"format": "something.else", "version": 1, "requirements": {}}, "format: expected"),
    ({"format": assessment_file.FORMAT, "requirements": {}}, "version: missing"),
    ({"format": assessment_file.FORMAT, "version": 3, "requirements": {}}, "version: 3 is not supported"),
    ({"format": assessment_file.FORMAT, "version": 1, "requirements": {"3.1.1": {"poam_reference": "P1"}}},
     'unknown key "poam_reference"'),
    ({"format": assessment_file.FORMAT, "version": 1, "requirements": {}, "ssp": {}}, 'unknown key "ssp"'),
    ({"version": True, "requirements": {}}, "version: true is not supported"),
    ({"exported_at": 5, "requirements": {}}, "exported_at: expected text"),
    ({"requirements": {"3.99.1": {"status": "met"}}}, 'requirements: unknown requirement id "3.99.1"'),
    ({"requirements": {"3.1.1": "met"}}, 'requirements["3.1.1"]: expected an object'),
    ({"requirements": {"3.1.1": {"status": "maybe"}}}, 'requirements["3.1.1"].status: unknown status "maybe"'),
    ({"requirements": {"3.1.1": {"status": "partial"}}}, 'requirements["3.1.1"]: 3.1.1 has no partial credit'),
    ({"requirements": {"3.12.4": {"status": "partial"}}}, "3.12.4 has no partial credit"),
    ({"assessment": {"objective_mode": True}, "requirements": {"3.1.1": {"status": "partial"}}},
     "3.1.1 has no partial credit"),
    ({"assessment": {"target_level": "l1"}, "requirements": {"3.1.3": {"status": "partial"}}},
     "3.1.3 has no partial credit"),  # refused even where the level does not score it
    ({"requirements": {"3.12.4": {"status": "na"}}}, 'requirements["3.12.4"]: 3.12.4 '),
    ({"requirements": {"3.1.1": {"state": "met"}}}, 'requirements["3.1.1"]: unknown key "state"'),
    ({"requirements": {"3.1.1": {"note": "n" * 10_001}}}, "at most 10000 characters allowed, this has 10001"),
    ({"requirements": {"3.1.1": {"note": None}}}, 'requirements["3.1.1"].note: expected text, got null'),
    ({"requirements": {"3.1.1": {"note": "a\x00b"}}}, "contains a NUL character"),
    ({"requirements": {"3.1.1": {"note": "a\ud800b"}}}, "unpaired surrogate"),
    ({"requirements": {"3.1.1": {"planned_date": "2025-02-30"}}}, '"2025-02-30" is not a real date'),
    ({"requirements": {"3.1.1": {"planned_date": "20250201"}}}, "expected a date as YYYY-MM-DD"),
    ({"requirements": {"3.1.1": {"objectives": {"3.1.2[a]": "met"}}}}, "not an objective of 3.1.1"),
    ({"requirements": {"3.1.1": {"objectives": {"3.1.1[a]": "partial"}}}}, 'unknown status "partial"'),
    ({"assessment": {"target_level": "l3"}, "requirements": {}}, 'assessment.target_level: unknown value "l3"'),
    ({"assessment": {"organization_name": "  "}, "requirements": {}}, "organization_name: must not be empty"),
    ({"assessment": {"organization_name": "x" * 201}, "requirements": {}}, "at most 200 characters"),
    ({"assessment": {"employee_count": "12"}, "requirements": {}}, "employee_count: expected a whole number"),
    ({"assessment": {"employee_count": -1}, "requirements": {}}, "employee_count: expected a whole number"),
    ({"assessment": {"objective_mode": "yes"}, "requirements": {}}, "objective_mode: expected true or false"),
    ({"assessment": {"owner": 1}, "requirements": {}}, 'assessment: unknown key "owner"'),
    ({"assessment": {"public_id": "x" * 22}, "requirements": {}}, 'assessment: unknown key "public_id"'),
]


@pytest.mark.parametrize("data, message", BAD_DOCUMENTS)
def test_a_bad_file_is_refused_with_one_line_naming_the_entry_and_nothing_is_written(data, message):
    before = (Assessment.objects.count(), Answer.objects.count())
    with pytest.raises(assessment_file.AssessmentFileError) as caught:
        assessment_file.import_json(data=data)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value) and "\r" not in str(caught.value)
    assert (Assessment.objects.count(), Answer.objects.count()) == before


@pytest.mark.parametrize("raw, message", [
    (b"", "the file is empty"),
    (b"\xff\xfe{}", "not a UTF-8 text file"),
    (b'{"requirements": {', "not valid JSON"),
    (b'{"requirements": {}, "requirements": {}}', 'the key "requirements" appears twice'),
    (b"[" * 100_000 + b"]" * 100_000, "not valid JSON"),
])
def test_read_document_refuses_what_is_not_one_json_document(raw, message):
    with pytest.raises(assessment_file.AssessmentFileError, match=message):
        assessment_file.read_document(raw)


def test_read_document_accepts_a_byte_order_mark():
    assert assessment_file.read_document(b'\xef\xbb\xbf{"requirements": {}}') == {"requirements": {}}


def test_a_failure_half_way_through_an_import_leaves_no_rows(monkeypatch):
    source = full_assessment()
    data = assessment_file.export_json(source)
    before = (Assessment.objects.count(), Answer.objects.count(), ObjectiveAnswer.objects.count())

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(ObjectiveAnswer.objects, "bulk_create", boom)
    with pytest.raises(RuntimeError):
        assessment_file.import_json(data=data)
    assert (Assessment.objects.count(), Answer.objects.count(), ObjectiveAnswer.objects.count()) == before


@pytest.mark.slow
def test_the_largest_possible_export_fits_the_upload_limit_and_imports_back():
    from ssp.images import MAX_UPLOAD_BYTES
    from ssp.models import NARRATIVE_MAX, SystemSecurityPlan, create_ssp

    from .ssp_helpers import maximal_plan

    # Every text field at its maximum length, made of a character JSON escapes most expensively (\u001b).
    limits = {name: Answer._meta.get_field(name).max_length for name in ("justification", "note", "evidence",
                                                                         "responsible", "poam_reference")}
    assessment = make(organization_name="\x1b" * 200, cage_codes="\x1b" * 300, affirming_official="\x1b" * 200,
                      ssp_name="\x1b" * 200, ssp_version="\x1b" * 50)
    Answer.objects.bulk_create([
        Answer(assessment=assessment, requirement=req, status="not_met",
               **{name: "\x1b" * length for name, length in limits.items()})
        for req in Requirement.objects.all()
    ])
    ssp = create_ssp(assessment=assessment)
    maximal_plan(ssp)  # every plan field and table at its limit
    SystemSecurityPlan.objects.filter(pk=ssp.pk).update(**{name: "\x1b" * NARRATIVE_MAX for name in (
        "purpose", "boundary", "environment")})
    Answer.objects.filter(assessment=assessment).update(status="not_met",
                                                         **{name: "\x1b" * length for name, length in limits.items()})
    body = assessment_file.dumps(assessment_file.export_json(assessment))
    diagram = (MAX_UPLOAD_BYTES * 4) // 3 + 4  # the largest diagram, as base64 (none here: the bound is added)
    assert len(body) + diagram <= assessment_file.MAX_FILE_BYTES
    copy = assessment_file.import_json(data=assessment_file.read_document(body))
    assert comparable(assessment_file.export_json(copy)) == comparable(assessment_file.export_json(assessment))


# --- Version 2: the whole assessment, with the plan and the ISO 27001 head start ---------------------------------


def png(color: str = "teal") -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (90, 40), color).save(buffer, format="PNG")
    return buffer.getvalue()


def whole_assessment() -> Assessment:
    """full_assessment() with a complete plan (every step, a row in every table, a diagram, two versions) and an
    ISO 27001 head start."""
    from iso27001.models import save_head_start
    from ssp import images
    from ssp.models import (
        Contact,
        HardwareItem,
        Interconnection,
        NetworkDiagram,
        PlanReview,
        PolicyDocument,
        ServiceProvider,
        SoftwareItem,
        record_version,
        sha256,
    )

    from .ssp_helpers import complete, plan_for

    assessment = full_assessment()
    Answer.objects.filter(assessment=assessment, requirement__nist_id="3.1.1").update(poam_reference="POA&M 12")
    ssp = complete(plan_for(assessment))
    ssp.cui_categories = ["Controlled Technical Information", "Export Controlled"]
    ssp.maintained_by_org = "no"
    ssp.maintenance_explanation = "The MSP patches the firewall."
    ssp.save()
    Contact.objects.filter(ssp=ssp, role="security_officer").update(phone="+1 555 0100")
    HardwareItem.objects.create(ssp=ssp, component="Firewall", make_model="FG-60F", version="7.4",
                                responsible="MSP")
    SoftwareItem.objects.create(ssp=ssp, name="Intune", vendor="Microsoft")
    Interconnection.objects.create(ssp=ssp, system="Prime's portal", connection="HTTPS")
    ServiceProvider.objects.create(ssp=ssp, name="Acme MSP", responsibility="shared", notes="Patching")
    PolicyDocument.objects.create(ssp=ssp, title="Access Control Policy", reference="POL-01", version="2.1")
    PlanReview.objects.create(ssp=ssp, reviewed_on=date(2026, 10, 1), reviewer="Pat Doe", outcome="No changes")
    ssp.cui_controlled_by, ssp.cui_poc, ssp.narrative_variant = "Acme, IT office", "Pat Doe, 555-0100", "gcc_high"
    ssp.save()
    Answer.objects.filter(assessment=assessment, requirement__nist_id="3.1.1").update(
        responsibility="shared", provider="Acme MSP", weakness="Stale accounts", identified_on=date(2026, 11, 1),
        milestones="2027-01-10 Review every account")
    image = images.reencode(png())
    NetworkDiagram.objects.create(ssp=ssp, image=image.data, content_type=image.content_type, width=image.width,
                                  height=image.height, sha256=sha256(image.data), caption="Enclave")
    for label, draft in (("0.9", True), ("1.0", False)):
        record_version(ssp=ssp, label=label, generated_on=date(2026, 11, 20), description=f"Version {label}",
                       made_by="Pat Doe", catalog_revision="abc123def456", draft=draft,
                       docx=b"PK docx " + label.encode(),
                       pdf=b"%PDF " + label.encode())
    save_head_start(assessment=assessment, edition="2022", control_ids=["A.5.15", "A.8.5", "A.5.1"])
    return Assessment.objects.get(pk=assessment.pk)


def test_version_2_holds_the_plan_and_the_head_start_and_round_trips():
    from ssp.models import SspVersion

    original = whole_assessment()
    exported = assessment_file.export_json(original)
    assert list(exported) == ["format", "version", "exported_at", "catalog_revision", "assessment", "requirements",
                              "ssp", "iso27001"]
    plan = exported["ssp"]
    assert plan["system_name"] == "Acme CUI Enclave" and plan["maintained_by_org"] == "no"
    assert plan["contacts"]["security_officer"]["phone"] == "+1 555 0100"
    assert plan["hardware"] == [{"component": "Firewall", "make_model": "FG-60F", "version": "7.4",
                                 "responsible": "MSP"}]
    assert plan["providers"][0]["responsibility"] == "shared"
    assert plan["diagram"]["sha256"] == hashlib.sha256(base64.b64decode(plan["diagram"]["image_base64"])).hexdigest()
    assert [(v["label"], v["draft"]) for v in plan["versions"]] == [("0.9", True), ("1.0", False)]
    assert "docx" not in plan["versions"][0] and "pdf" not in plan["versions"][0]  # no document bytes
    assert exported["iso27001"] == {"edition": "2022", "controls": ["A.5.1", "A.5.15", "A.8.5"]}
    assert exported["requirements"]["3.1.1"]["poam_reference"] == "POA&M 12"
    assert (exported["requirements"]["3.1.1"]["identified_on"], exported["requirements"]["3.1.1"]["provider"]) == (
        "2026-11-01", "Acme MSP")
    assert plan["approval_date"] == "2026-03-01" and plan["cui_poc"] == "Pat Doe, 555-0100"
    assert plan["policies"] == [{"title": "Access Control Policy", "reference": "POL-01", "version": "2.1"}]
    assert plan["reviews"] == [{"reviewed_on": "2026-10-01", "reviewer": "Pat Doe", "outcome": "No changes"}]

    copy = assessment_file.import_json(data=json.loads(assessment_file.dumps(exported)))
    assert comparable(assessment_file.export_json(copy)) == comparable(exported)
    assert score_assessment(copy) == score_assessment(original)
    # The versions are listed, but their documents were not in the file: none can be downloaded from the copy.
    assert list(SspVersion.objects.filter(ssp__assessment=copy).values_list("label", "imported", "docx")) == [
        ("0.9", True, b""), ("1.0", True, b"")]


def test_a_version_1_file_still_imports():
    v1 = {"format": "cmmc-ready.assessment", "version": 1, "assessment": {"organization_name": "Old Co"},
          "requirements": {"3.1.1": {"status": "met", "justification": "", "note": "AD", "evidence": "",
                                     "responsible": "IT", "planned_date": None, "objectives": {}}}}
    copy = assessment_file.import_json(data=v1)
    assert copy.organization_name == "Old Co"
    assert Answer.objects.get(assessment=copy, requirement__nist_id="3.1.1").note == "AD"


def plan_document(**plan) -> dict:
    return {"format": "cmmc-ready.assessment", "version": 2, "requirements": {}, "ssp": plan}


@pytest.mark.parametrize("data, message", [
    (plan_document(diagram={"image_base64": base64.b64encode(b"not the image").decode(), "sha256": "0" * 64}),
     "ssp.diagram.sha256: does not match the image"),
    (plan_document(diagram={"image_base64": base64.b64encode(b"GIF89a").decode(),
                            "sha256": hashlib.sha256(b"GIF89a").hexdigest()}), "ssp.diagram: Upload a PNG or JPEG"),
    (plan_document(diagram={"image_base64": "***", "sha256": "0" * 64}), "ssp.diagram.image_base64: not valid base64"),
    (plan_document(hardware=[{"make_model": "no component"}]), "ssp.hardware[0].component: must not be empty"),
    (plan_document(hardware=[{"component": "x"}] * 51), "ssp.hardware: expected a list of at most 50 rows"),
    (plan_document(contacts={"ceo": {}}), 'ssp.contacts: unknown role "ceo"'),
    (plan_document(review_frequency="weekly"), 'ssp.review_frequency: unknown value "weekly"'),
    (plan_document(cui_categories="CTI"), "ssp.cui_categories: expected a list of texts"),
    (plan_document(versions=[{"number": 1, "label": "1.0"}]), "ssp.versions[0]: missing generated_on"),
    (plan_document(purpose="p" * 20_001), "ssp.purpose: at most 20000 characters allowed"),
    ({"version": 2, "requirements": {}, "iso27001": {"edition": "2022", "controls": ["A.99"]}},
     'iso27001.controls: "A.99" is not an ISO/IEC 27001:2022 control'),
])
def test_a_bad_plan_or_head_start_is_refused_with_one_line_and_nothing_is_written(data, message):
    from ssp.models import SystemSecurityPlan

    before = (Assessment.objects.count(), SystemSecurityPlan.objects.count())
    with pytest.raises(assessment_file.AssessmentFileError) as refused:
        assessment_file.import_json(data=data)
    assert message in str(refused.value) and "\n" not in str(refused.value)
    assert (Assessment.objects.count(), SystemSecurityPlan.objects.count()) == before
