"""Snapshots as a module: frozen copies in the assessment file's format, taken on demand and on a final SSP
version, never edited, deleted with their assessment."""

from datetime import date, timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from assessments import assessment_file, scoring
from assessments.models import Answer, Assessment, ObjectiveAnswer
from assessments.records import catalog_rules, score_assessment
from assessments.writes import delete_assessment, purge_expired_assessments
from controls.models import Requirement
from ssp.models import create_ssp, record_version
from tests.personas import make_org
from tests.timeline_helpers import rich_assessment
from timeline.models import Frozen, Snapshot, SnapshotReason
from timeline.snapshots import score_document, take_snapshot

pytestmark = pytest.mark.django_db


def without_time(document: dict) -> dict:
    return {k: v for k, v in document.items() if k != "exported_at"}


def test_a_snapshot_stores_the_assessment_file_and_the_score_scoring_gives():
    assessment = rich_assessment(make_org("Acme"))
    snapshot = take_snapshot(assessment=assessment, label="  Before the firewall  ", by="jo@acme.test")
    result = score_assessment(assessment)
    assert without_time(snapshot.document) == without_time(assessment_file.export_json(assessment))
    assert snapshot.document["version"] == 2
    assert (snapshot.number, snapshot.label, snapshot.taken_by) == (1, "Before the firewall", "jo@acme.test")
    assert (snapshot.score, snapshot.outcome, snapshot.level) == (result.score, str(result.outcome), "l2")
    assert snapshot.worst_case_score == result.worst_case_score
    assert snapshot.catalog_revision == snapshot.document["catalog_revision"] != ""
    assert take_snapshot(assessment=assessment, label="again").number == 2


def test_a_snapshot_survives_every_later_edit():
    assessment = rich_assessment(make_org("Acme"))
    snapshot = take_snapshot(assessment=assessment, label="frozen")
    before = without_time(snapshot.document)
    score, outcome = snapshot.score, snapshot.outcome
    # Edit everything: each answer's every field, the objective answers, the assessment's own fields, and delete
    # one answer outright.
    for answer in Answer.objects.filter(assessment=assessment):
        answer.status = "met" if answer.requirement.nist_id != "3.12.4" else "not_met"
        answer.note, answer.justification, answer.evidence = "changed", "changed", "changed"
        answer.responsible, answer.planned_date, answer.poam_reference = "someone", date(2030, 1, 1), "X-1"
        answer.save()
    ObjectiveAnswer.objects.filter(assessment=assessment).update(status="not_met")
    Answer.objects.filter(assessment=assessment, requirement__nist_id="3.1.22").delete()
    Answer.objects.create(assessment=assessment, requirement=Requirement.objects.get(nist_id="3.2.1"),
                          status="met")
    Assessment.objects.filter(pk=assessment.pk).update(organization_name="Renamed", objective_mode=False,
                                                       cage_codes="9ZZZ9", affirming_official="Someone else")
    stored = Snapshot.objects.get(pk=snapshot.pk)
    assert without_time(stored.document) == before
    assert (stored.score, stored.outcome, stored.label) == (score, outcome, "frozen")
    assert stored.document["requirements"]["3.1.2"]["note"] == "Planned role limits."
    assert stored.document["requirements"]["3.1.2"]["planned_date"] == "2026-06-30"
    assert stored.document["requirements"]["3.1.22"]["justification"] == "No public system."
    assert set(stored.document["requirements"]["3.1.1"]["objectives"].values()) == {"met"}
    assert stored.document["assessment"]["organization_name"] == "Acme"
    # And the score read back from the frozen answers is still the score taken then.
    assert score_document(stored.document, catalog_rules()).score == score


def test_a_snapshot_refuses_to_be_changed():
    snapshot = take_snapshot(assessment=rich_assessment(make_org("Acme")), label="frozen")
    snapshot.label = "edited"
    with pytest.raises(Frozen), transaction.atomic():
        snapshot.save()
    with pytest.raises(Frozen), transaction.atomic():
        Snapshot.objects.filter(pk=snapshot.pk).update(label="edited")
    assert Snapshot.objects.get(pk=snapshot.pk).label == "frozen"


def test_deleting_the_assessment_deletes_its_snapshots():
    org = make_org("Acme")
    kept, doomed = rich_assessment(org, "Kept"), rich_assessment(org, "Doomed")
    take_snapshot(assessment=kept, label="k")
    take_snapshot(assessment=doomed, label="d1")
    take_snapshot(assessment=doomed, label="d2")
    delete_assessment(assessment=doomed)
    assert list(Snapshot.objects.values_list("label", flat=True)) == ["k"]


def test_purging_expired_anonymous_assessments_deletes_their_snapshots(settings):
    anonymous = rich_assessment(None, "Anon")
    take_snapshot(assessment=anonymous, label="a")
    now = timezone.now() + timedelta(days=settings.ANONYMOUS_RETENTION_DAYS + 1)
    assert purge_expired_assessments(now=now) == 1
    assert not Snapshot.objects.exists()


def _version(ssp, label: str, *, draft: bool):
    return record_version(ssp=ssp, label=label, generated_on=date(2026, 2, 1), description="d", made_by="Jo",
                          catalog_revision="test", draft=draft, docx=b"docx", pdf=b"%PDF")


def test_a_final_ssp_version_takes_a_snapshot_and_a_draft_does_not():
    assessment = rich_assessment(make_org("Acme"))
    ssp = create_ssp(assessment=assessment)
    _version(ssp, "0.9", draft=True)
    assert not Snapshot.objects.exists()
    _version(ssp, "1.0", draft=False)
    snapshot = Snapshot.objects.get()
    assert (snapshot.reason, snapshot.label, snapshot.taken_by) == (SnapshotReason.SSP_FINAL,
                                                                   "SSP version 1.0 (final)", "Jo")
    # The frozen file names the version it was taken for (record_version set it before the snapshot).
    assert snapshot.document["assessment"]["ssp_version"] == "1.0"
    assert [v["label"] for v in snapshot.document["ssp"]["versions"]] == ["0.9", "1.0"]


def test_a_snapshot_of_a_level_1_assessment_has_no_score():
    assessment = rich_assessment(make_org("Acme"))
    Assessment.objects.filter(pk=assessment.pk).update(target_level="l1")
    snapshot = take_snapshot(assessment=assessment, label="l1")
    assert (snapshot.level, snapshot.score) == ("l1", None)
    assert snapshot.outcome == scoring.Outcome.INCOMPLETE  # most of the 17 practices are unanswered
