"""Deleting an assessment: owners only, after a confirmation page, for good (history included)."""

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from assessments.models import Answer, Assessment, ObjectiveAnswer
from controls.models import Requirement
from iso27001.models import HeadStart, save_head_start
from ssp.models import (
    ROW_MODELS,
    Contact,
    HardwareItem,
    Interconnection,
    NetworkDiagram,
    PlanReview,
    PolicyDocument,
    ServiceProvider,
    SoftwareItem,
    SspVersion,
    SystemSecurityPlan,
    UserRole,
    create_ssp,
    record_version,
)
from tests.personas import make_assessment, start_anonymous

pytestmark = pytest.mark.django_db


def test_get_shows_a_confirmation_page_and_deletes_nothing(org_people):
    assessment = make_assessment(org_people["acme"])
    response = org_people["clients"]["owner"].get(reverse("orgs:delete", args=[assessment.public_id]))
    assert response.status_code == 200
    assert "cannot be undone" in response.content.decode()
    assert Assessment.objects.filter(pk=assessment.pk).exists()


def test_posting_without_the_confirmation_deletes_nothing(org_people):
    assessment = make_assessment(org_people["acme"])
    response = org_people["clients"]["owner"].post(reverse("orgs:delete", args=[assessment.public_id]))
    assert response.status_code == 400
    assert "Tick the box" in response.content.decode()
    assert Assessment.objects.filter(pk=assessment.pk).exists()


def test_an_owner_deletes_the_assessment_with_its_answers_and_their_history(org_people):
    assessment = make_assessment(org_people["acme"], objective_mode=True)
    pk = assessment.pk
    response = org_people["clients"]["owner"].post(reverse("orgs:delete", args=[assessment.public_id]),
                                                   {"confirm": "on"})
    assert response["Location"] == reverse("orgs:dashboard")
    assert not Assessment.objects.filter(pk=pk).exists()
    assert not Answer.objects.filter(assessment_id=pk).exists()
    assert not ObjectiveAnswer.objects.filter(assessment_id=pk).exists()
    assert not Answer.history.filter(assessment_id=pk).exists()
    assert not ObjectiveAnswer.history.filter(assessment_id=pk).exists()
    assert not Assessment.history.filter(id=pk).exists()


def with_ssp_and_iso_history(assessment: Assessment) -> int:
    """History rows of every SSP model and of the ISO head start (with its controls); returns the plan's id."""
    ssp = create_ssp(assessment=assessment)
    ssp.system_name = "Enclave"
    ssp.save()
    Contact.objects.filter(ssp=ssp, role="system_owner").get().save()
    for model, fields in ((UserRole, {"role": "r", "users": 1, "privileged_users": 0}),
                          (HardwareItem, {"component": "c"}), (SoftwareItem, {"name": "n"}),
                          (Interconnection, {"system": "s"}),
                          (ServiceProvider, {"name": "n", "responsibility": "shared"}),
                          (PolicyDocument, {"title": "Access Control Policy"}),
                          (PlanReview, {"reviewed_on": date(2026, 1, 1), "reviewer": "Pat"})):
        model.objects.create(ssp=ssp, **fields).delete()
    NetworkDiagram.objects.create(ssp=ssp, image=b"png", content_type="image/png", width=1, height=1, sha256="0")
    row, _ = Answer.objects.get_or_create(assessment=ssp.assessment, requirement=Requirement.objects.get(
        nist_id="3.1.1"))
    row.note = "Secret description"
    row.save()
    record_version(ssp=ssp, label="1.0", generated_on=date(2026, 1, 1), description="first", made_by="me",
                   catalog_revision="test", draft=True, docx=b"docx", pdf=b"%PDF")
    save_head_start(assessment=assessment, edition="2022", control_ids=["A.5.15", "A.8.5"])
    return ssp.pk


def ssp_and_iso_history(assessment_pk: int, ssp_pk: int) -> dict[str, int]:
    counts = {model.__name__: model.history.filter(ssp_id=ssp_pk).count() for model in ROW_MODELS}
    counts["plan"] = SystemSecurityPlan.history.filter(id=ssp_pk).count()
    counts["head start"] = HeadStart.history.filter(assessment_id=assessment_pk).count()
    counts["head start controls"] = HeadStart.history.model.controls.model.objects.filter(
        history__assessment_id=assessment_pk).count()
    return counts


def test_deleting_leaves_no_ssp_or_iso_history_behind_and_never_reads_the_documents_bytes(org_people, monkeypatch):
    kept = make_assessment(org_people["acme"], "Kept")
    kept_ssp = with_ssp_and_iso_history(kept)
    gone = make_assessment(org_people["acme"], "Gone")
    gone_ssp = with_ssp_and_iso_history(gone)
    kept_before = ssp_and_iso_history(kept.pk, kept_ssp)
    gone_before = ssp_and_iso_history(gone.pk, gone_ssp)
    assert all(gone_before.values()), gone_before  # every kind of history row is there to be deleted
    loaded: list[tuple[str, set[str]]] = []  # each model instance read while deleting, with the fields read
    for model in (SspVersion, NetworkDiagram):
        def from_db(cls, db, field_names, values, _original=model.from_db.__func__, **kwargs):
            loaded.append((cls.__name__, set(field_names)))
            return _original(cls, db, field_names, values, **kwargs)
        monkeypatch.setattr(model, "from_db", classmethod(from_db))
    response = org_people["clients"]["owner"].post(reverse("orgs:delete", args=[gone.public_id]), {"confirm": "on"})
    assert response.status_code == 302
    assert ssp_and_iso_history(gone.pk, gone_ssp) == dict.fromkeys(gone_before, 0)
    assert not SystemSecurityPlan.objects.filter(pk=gone_ssp).exists()
    assert ssp_and_iso_history(kept.pk, kept_ssp) == kept_before  # another assessment's history stays
    # The generated documents and the diagram are deleted without being read into memory (history makes Django
    # read each row it deletes).
    assert {name for name, _ in loaded} == {"SspVersion", "NetworkDiagram"}
    assert not [fields for _, fields in loaded if fields & {"docx", "pdf", "image"}]


def test_editors_and_viewers_get_403_and_strangers_404(org_people):
    assessment = make_assessment(org_people["acme"])
    url = reverse("orgs:delete", args=[assessment.public_id])
    for name, status in (("editor", 403), ("viewer", 403), ("other_org", 404), ("loner", 404)):
        assert org_people["clients"][name].get(url).status_code == status, name
        assert org_people["clients"][name].post(url, {"confirm": "on"}).status_code == status, name
    assert Client().post(url, {"confirm": "on"}).status_code == 404
    assert Assessment.objects.filter(pk=assessment.pk).exists()


def test_the_session_holder_of_an_anonymous_assessment_can_delete_it():
    client = Client()
    assessment = start_anonymous(client)
    assert Client().post(reverse("orgs:delete", args=[assessment.public_id]), {"confirm": "on"}).status_code == 404
    response = client.post(reverse("orgs:delete", args=[assessment.public_id]), {"confirm": "on"})
    assert response["Location"] == reverse("home")
    assert not Assessment.objects.filter(pk=assessment.pk).exists()


def test_deleting_a_user_does_not_delete_the_organisations_assessments(org_people):
    assessment = make_assessment(org_people["acme"])
    org_people["owner"].delete()
    assert Assessment.objects.filter(pk=assessment.pk, organization=org_people["acme"]).exists()
