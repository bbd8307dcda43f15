"""The activity log: who changed what and when, for owners and editors of the assessment: answers, settings, the
System Security Plan and the ISO 27001 head start."""

import io
from datetime import date

import lxml.html
import pytest
from django.test import Client
from django.urls import reverse
from PIL import Image

from assessments.models import Answer, ObjectiveAnswer
from iso27001.models import IsoControl, save_head_start
from ssp.models import (
    Contact,
    HardwareItem,
    Interconnection,
    NetworkDiagram,
    ServiceProvider,
    SoftwareItem,
    SystemSecurityPlan,
    UserRole,
    create_ssp,
    record_version,
)
from tests.personas import make_assessment, start_anonymous
from tests.ssp_helpers import answer_all, complete

pytestmark = pytest.mark.django_db


def activity_rows(client: Client, assessment) -> list[tuple[str, str, str]]:
    """(who, what, change) of each row of the log, newest first, whitespace collapsed."""
    response = client.get(reverse("orgs:activity", args=[assessment.public_id]))
    assert response.status_code == 200
    doc = lxml.html.fromstring(response.content.decode())
    return [tuple(" ".join(" ".join(cell.itertext()).split()) for cell in row.xpath("td")[1:])
            for row in doc.xpath("//main//table/tbody/tr")]


def ssp_url(name: str, assessment, *args) -> str:
    return reverse(f"ssp:{name}", args=[assessment.public_id, *args])


def png(colour: str) -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), colour).save(buffer, format="PNG")
    buffer.seek(0)
    buffer.name = "net.png"
    return buffer


def environment_data(**overrides) -> dict:
    data = {"boundary": "Secret boundary text.", "environment": "Laptops.", "hardware_reference": "",
            "software_reference": "", "maintained_by_org": "yes", "maintenance_explanation": ""}
    for prefix in ("hardware", "software", "interconnections", "providers"):
        data |= {f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0", f"{prefix}-MIN_NUM_FORMS": "0",
                 f"{prefix}-MAX_NUM_FORMS": "50"}
    return data | overrides


def test_the_log_names_who_changed_which_answer_and_how(org_people):
    assessment = make_assessment(org_people["acme"])
    org_people["clients"]["editor"].post(
        reverse("assessments:answer", args=[assessment.public_id, "3.1.2"]),
        {"r3-1-2-status": "met", "r3-1-2-note": "secret note text", "r3-1-2-version": "1"})
    body = org_people["clients"]["owner"].get(reverse("orgs:activity", args=[assessment.public_id])).content.decode()
    row = body.split("editor@acme.test", 1)[1].split("</tr>", 1)[0]
    # In words: the field's label and the choice's name, never "note" or "not_met".
    assert "3.1.2 changed" in row and "status: Not met → Met" in row and "implementation description" in row
    assert "secret note text" not in body  # free text: that it changed, not what it says
    assert "not_met" not in body and "organization_id" not in body


def test_viewers_get_403_and_strangers_404(org_people):
    assessment = make_assessment(org_people["acme"])
    url = reverse("orgs:activity", args=[assessment.public_id])
    assert org_people["clients"]["owner"].get(url).status_code == 200
    assert org_people["clients"]["editor"].get(url).status_code == 200
    assert org_people["clients"]["viewer"].get(url).status_code == 403
    assert org_people["clients"]["other_org"].get(url).status_code == 404
    assert org_people["clients"]["loner"].get(url).status_code == 404
    assert Client().get(url).status_code == 404


def test_ssp_edits_show_up_with_who_made_them_and_which_fields_changed_never_what_they_say(org_people):
    assessment = make_assessment(org_people["acme"])
    editor, owner = org_people["clients"]["editor"], org_people["clients"]["owner"]
    assert editor.post(ssp_url("start", assessment)).status_code == 302
    # The owner rewrites 3.1.1's description; the editor adds, edits and deletes a hardware row and the narrative.
    row = Answer.objects.get(assessment=assessment, requirement__nist_id="3.1.1")
    response = owner.post(ssp_url("requirement", assessment, "3.1.1"), {
        "r3-1-1-status": row.status, "r3-1-1-note": "Secret: Entra ID groups.", "r3-1-1-justification": "",
        "r3-1-1-responsible": "", "r3-1-1-poam_reference": "", "r3-1-1-planned_date": "",
        "r3-1-1-version": row.version})
    assert response.status_code == 302
    added = environment_data(**{"hardware-TOTAL_FORMS": "1", "hardware-0-component": "Firewall"})
    assert editor.post(ssp_url("environment", assessment), added).status_code == 302
    item = HardwareItem.objects.get(ssp__assessment=assessment)
    rows = {"hardware-TOTAL_FORMS": "1", "hardware-INITIAL_FORMS": "1", "hardware-0-id": str(item.pk),
            "hardware-0-component": "Firewall", "hardware-0-version": "FW-SECRET-9"}
    assert editor.post(ssp_url("environment", assessment), environment_data(**rows)).status_code == 302
    rows |= {"hardware-0-DELETE": "on"}
    assert editor.post(ssp_url("environment", assessment), environment_data(**rows)).status_code == 302
    assert editor.post(ssp_url("diagram_upload", assessment), {"image": png("teal"), "caption": "Net"}
                       ).status_code == 302
    assert editor.post(ssp_url("diagram_upload", assessment), {"image": png("red"), "caption": "Net"}
                       ).status_code == 302
    assert owner.post(ssp_url("diagram_delete", assessment)).status_code == 302
    plan = {"review_frequency": "quarterly", "approver_name": "Pat Secret", "approver_title": "CEO"}
    plan |= {f"{table}-{key}": value for table in ("policies", "reviews")
             for key, value in (("TOTAL_FORMS", "0"), ("INITIAL_FORMS", "0"))}
    assert owner.post(ssp_url("plan", assessment), plan).status_code == 302

    log = activity_rows(owner, assessment)
    ssp_rows = [row for row in log if row[1].startswith("SSP")]
    assert ssp_rows == [
        ("owner@acme.test", "SSP: plan details review frequency, approver's name, approver's title, CUI page marking "
                            "edited", ""),
        ("owner@acme.test", "SSP: network diagram removed", ""),
        ("editor@acme.test", "SSP: network diagram replaced", ""),
        ("editor@acme.test", "SSP: network diagram uploaded", ""),
        ("editor@acme.test", "SSP: hardware table row deleted", ""),
        ("editor@acme.test", "SSP: hardware table row edited (version / firmware)", ""),
        # The environment step saved the narrative, then the first row.
        ("editor@acme.test", "SSP: hardware table row added", ""),
        ("editor@acme.test", "SSP: environment system boundary, topology and components, maintained by the "
                             "organization edited", ""),
        ("editor@acme.test", "SSP started", ""),
    ]
    # The requirement step edits the assessment's own record: its change is the answer's.
    assert [row[:2] for row in log if row[1].startswith("3.1.1")][0] == ("owner@acme.test", "3.1.1 changed")
    body = owner.get(reverse("orgs:activity", args=[assessment.public_id])).content.decode()
    for secret in ("Entra ID", "Secret boundary", "Firewall", "Pat Secret", "FW-SECRET-9"):
        assert secret not in body, secret


def test_a_status_change_in_the_plan_shows_its_values_and_saves_that_change_nothing_are_left_out(org_people):
    assessment = make_assessment(org_people["acme"])
    editor = org_people["clients"]["editor"]
    editor.post(ssp_url("start", assessment))
    row = Answer.objects.get(assessment=assessment, requirement__nist_id="3.1.2")
    fields = {"r3-1-2-status": "met", "r3-1-2-note": row.note, "r3-1-2-justification": "",
              "r3-1-2-responsible": "", "r3-1-2-poam_reference": "", "r3-1-2-planned_date": ""}
    assert editor.post(ssp_url("requirement", assessment, "3.1.2"), fields | {"r3-1-2-version": row.version}
                       ).status_code == 302
    # What is stored now, saved again: a save, but no change to log.
    row.refresh_from_db()
    assert editor.post(ssp_url("requirement", assessment, "3.1.2"), fields | {"r3-1-2-version": row.version}
                       ).status_code == 302
    assert Answer.history.filter(id=row.pk).count() == 3  # created, changed, saved again
    rows = [r for r in activity_rows(editor, assessment) if r[1].startswith("3.1.2")]
    assert rows[0] == ("editor@acme.test", "3.1.2 changed", "status: Not met → Met")
    assert len(rows) == 2  # the change, and the answer's creation


def test_identification_contacts_and_user_roles_show_up_by_role_and_table(org_people):
    assessment = make_assessment(org_people["acme"])
    editor = org_people["clients"]["editor"]
    editor.post(ssp_url("start", assessment))
    data = {"system_name": "Acme Enclave", "system_identifier": "", "categorization": "Moderate", "org_name": "Acme",
            "org_address": "", "org_phone": "", "purpose": "", "cui_other": "",
            "roles-TOTAL_FORMS": "1", "roles-INITIAL_FORMS": "0", "roles-MIN_NUM_FORMS": "0",
            "roles-MAX_NUM_FORMS": "50", "roles-0-role": "Engineers", "roles-0-users": "12",
            "roles-0-privileged_users": "2"}
    for role in ("information_owner", "system_owner", "security_officer"):
        data |= {f"{role}-name": "", f"{role}-title": "", f"{role}-address": "", f"{role}-phone": "",
                 f"{role}-email": ""}
    data |= {"system_owner-name": "Pat Doe", "system_owner-email": "pat@example.test"}
    assert editor.post(ssp_url("identification", assessment), data).status_code == 302
    ssp_rows = {row[1] for row in activity_rows(editor, assessment) if row[1].startswith("SSP")}
    assert ssp_rows == {
        "SSP started", "SSP: identification system name, system categorization edited",
        "SSP: system owner contact name, e-mail address edited", "SSP: user roles table row added",
    }


@pytest.mark.slow
def test_a_generated_version_shows_up_as_draft_or_final_with_who_generated_it(org_people):
    assessment = make_assessment(org_people["acme"], answers={"3.12.4": "met"})
    answer_all(assessment)
    editor, owner = org_people["clients"]["editor"], org_people["clients"]["owner"]
    editor.post(ssp_url("start", assessment))
    generate = {"label": "0.1", "description": "Secret draft notes", "made_by": "Pat"}
    assert editor.post(ssp_url("generate", assessment), generate).status_code == 302  # incomplete: a draft
    complete(SystemSecurityPlan.objects.get(assessment=assessment))
    assert owner.post(ssp_url("generate", assessment), generate | {"label": "1.0"}).status_code == 302
    versions = [row for row in activity_rows(owner, assessment) if row[1].startswith("SSP: version")]
    # Each version by the label the user gave it, not its sequence number.
    assert versions == [("owner@acme.test", "SSP: version 1.0 generated (final)", ""),
                        ("editor@acme.test", "SSP: version 0.1 generated (draft)", "")]
    assert "Secret draft notes" not in owner.get(reverse("orgs:activity", args=[assessment.public_id])).content.decode()


def test_an_iso_head_start_save_and_its_removal_show_up_with_the_number_of_controls(org_people):
    assessment = make_assessment(org_people["acme"])
    editor, owner = org_people["clients"]["editor"], org_people["clients"]["owner"]
    controls = list(IsoControl.objects.filter(edition="2022").order_by("position").values_list("control_id",
                                                                                               flat=True)[:12])
    url = reverse("iso27001:head_start", args=[assessment.public_id])
    assert editor.post(url, {"edition": "2022", "controls": controls}).status_code == 302
    assert owner.post(url, {"edition": "2022", "controls": controls[:1]}).status_code == 302
    assert owner.post(reverse("iso27001:remove", args=[assessment.public_id])).status_code == 302
    iso_rows = [row for row in activity_rows(owner, assessment) if row[1].startswith("ISO")]
    assert iso_rows == [
        ("owner@acme.test", "ISO 27001 head start removed", ""),
        ("owner@acme.test", "ISO 27001 head start: 1 control selected (ISO/IEC 27001:2022)", ""),
        ("editor@acme.test", "ISO 27001 head start: 12 controls selected (ISO/IEC 27001:2022)", ""),
    ]


def test_changes_to_an_anonymous_assessment_are_by_this_browser():
    holder = Client()
    assessment = start_anonymous(holder)
    holder.post(ssp_url("start", assessment))
    save_url = reverse("iso27001:head_start", args=[assessment.public_id])
    assert holder.post(save_url, {"edition": "2022", "controls": ["A.5.15"]}).status_code == 302
    log = activity_rows(holder, assessment)
    assert ("this browser", "SSP started", "") in log
    assert ("this browser", "ISO 27001 head start: 1 control selected (ISO/IEC 27001:2022)", "") in log
    assert {who for who, _, _ in log} == {"this browser"}
    assert Client().get(reverse("orgs:activity", args=[assessment.public_id])).status_code == 404


def make_changes(assessment, n: int) -> None:
    """``n`` changes of every kind the log reads: one history row each (written here without a request: no user)."""
    answer = Answer.objects.get(assessment=assessment, requirement__nist_id="3.1.2")
    objective = ObjectiveAnswer.objects.filter(assessment=assessment).first()
    ssp = create_ssp(assessment=assessment)
    contact = Contact.objects.get(ssp=ssp, role="system_owner")
    controls = list(IsoControl.objects.filter(edition="2022").values_list("control_id", flat=True))
    for i in range(n):
        answer.note = f"note {i}"
        answer.save()
        objective.status = ("met", "not_met")[i % 2]
        objective.save()
        assessment.cage_codes = f"C{i}"
        assessment.save()
        ssp.system_name = f"system {i}"
        ssp.save()
        contact.name = f"name {i}"
        contact.save()
        UserRole.objects.create(ssp=ssp, role=f"role {i}", users=1, privileged_users=0)
        HardwareItem.objects.create(ssp=ssp, component=f"box {i}")
        SoftwareItem.objects.create(ssp=ssp, name=f"app {i}")
        Interconnection.objects.create(ssp=ssp, system=f"system {i}")
        ServiceProvider.objects.create(ssp=ssp, name=f"provider {i}", responsibility="shared")
        NetworkDiagram.objects.update_or_create(ssp=ssp, defaults={
            "image": b"png", "content_type": "image/png", "width": 1, "height": 1, "sha256": f"{i:064}"})
        record_version(ssp=ssp, label=f"0.{i}", generated_on=date(2026, 1, 1), description="d", made_by="m",
                       catalog_revision="test", draft=True, docx=b"docx", pdf=b"%PDF")
        save_head_start(assessment=assessment, edition="2022", control_ids=controls[:i + 1])


def test_the_log_is_read_in_a_fixed_number_of_queries_however_many_changes(org_people, django_assert_num_queries):
    client = org_people["clients"]["owner"]
    few = make_assessment(org_people["acme"], "Few", objective_mode=True)
    many = make_assessment(org_people["acme"], "Many", objective_mode=True)
    make_changes(few, 1)
    make_changes(many, 30)
    url = reverse("orgs:activity", args=[few.public_id])
    client.get(url)
    # session, user, TOTP, assessment, membership; then the history of the answers, objective answers and settings;
    # of the SSP: the plan, contacts, user roles, hardware, software, interconnections, service providers, policies,
    # review log, diagram, versions; and of the ISO 27001 head start (its controls counted in the same query).
    # 23 = 10 rows created with the assessment, "SSP started", and each kind of change once (the objective answer
    # is saved unchanged the first time); of 30 rounds of changes the log shows the newest 300.
    for assessment, shown in ((few, 23), (many, 300)):
        with django_assert_num_queries(20):
            rows = activity_rows(client, assessment)
        assert len(rows) == shown, assessment
        assert len({what for _, what, _ in rows if what.startswith(("SSP", "ISO"))}) >= 11
