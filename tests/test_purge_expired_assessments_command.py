"""manage.py purge_expired_assessments: deletes, for good, the anonymous assessments past ANONYMOUS_RETENTION_DAYS
(with their answers, history, SSP and ISO head start); organisations' assessments and fresh anonymous ones stay."""

import logging
from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from assessments.models import Answer, Assessment, ObjectiveAnswer
from assessments.writes import purge_expired_assessments
from iso27001.models import HeadStart, save_head_start
from ssp.models import ROW_MODELS, SspVersion, SystemSecurityPlan, create_ssp, record_version
from tests.personas import make_assessment, make_org

from .questionnaire_helpers import post_answer, post_objective, start

pytestmark = pytest.mark.django_db

DAYS = 90


def last_changed(assessment: Assessment, days_ago: float) -> None:
    Assessment.objects.filter(pk=assessment.pk).update(updated_at=timezone.now() - timedelta(days=days_ago))


def purge(*args: str) -> str:
    out = StringIO()
    call_command("purge_expired_assessments", *args, stdout=out)
    return out.getvalue()


def anonymous_with_everything(name: str) -> Assessment:
    """An anonymous assessment with answers (and their history), objective answers, an SSP with a version and an
    ISO head start, started and answered through the pages."""
    client = Client()
    assessment = start(client, name, objective_mode="on")
    assert post_answer(client, assessment, "3.1.2", status="not_met", note=f"note of {name}").status_code == 200
    assert post_objective(client, assessment, "3.1.1[a]", "met").status_code == 200
    ssp = create_ssp(assessment=assessment)
    record_version(ssp=ssp, label="1.0", generated_on=date(2026, 1, 1), description="first", made_by="me",
                   catalog_revision="test", draft=True, docx=b"docx", pdf=b"%PDF")
    save_head_start(assessment=assessment, edition="2022", control_ids=["A.5.15"])
    return assessment


@pytest.fixture
def world():
    old = [anonymous_with_everything(f"Old {n}") for n in range(3)]
    for n, a in enumerate(old):
        last_changed(a, DAYS + 1 + 100 * n)
    fresh = anonymous_with_everything("Fresh")
    last_changed(fresh, DAYS - 1)
    org = make_org("Acme")
    org_old = make_assessment(org, "Org old", objective_mode=True)
    last_changed(org_old, 10 * 365)
    org_new = make_assessment(org, "Org new")
    return {"old": old, "fresh": fresh, "kept": [fresh, org_old, org_new]}


def rows(assessment: Assessment) -> dict[str, int]:
    pk = assessment.pk
    return {
        "assessment": Assessment.objects.filter(pk=pk).count(),
        "answers": Answer.objects.filter(assessment_id=pk).count(),
        "objective answers": ObjectiveAnswer.objects.filter(assessment_id=pk).count(),
        "answer history": Answer.history.filter(assessment_id=pk).count(),
        "objective history": ObjectiveAnswer.history.filter(assessment_id=pk).count(),
        "assessment history": Assessment.history.filter(id=pk).count(),
        "ssp": SystemSecurityPlan.objects.filter(assessment_id=pk).count(),
        "ssp versions": SspVersion.objects.filter(ssp__assessment_id=pk).count(),
        "iso head start": HeadStart.objects.filter(assessment_id=pk).count(),
        "ssp history": SystemSecurityPlan.history.filter(assessment_id=pk).count(),
        "ssp row history": sum(model.history.filter(ssp_id__in=SystemSecurityPlan.history.filter(
            assessment_id=pk).values("id")).count() for model in ROW_MODELS),
        "iso head start history": HeadStart.history.filter(assessment_id=pk).count(),
        "iso controls history": HeadStart.history.model.controls.model.objects.filter(
            history__assessment_id=pk).count(),
    }


def test_a_dry_run_says_what_it_would_delete_and_deletes_nothing(world):
    before = {a.pk: rows(a) for a in world["old"]}
    assert all(all(before[pk].values()) for pk in before)  # every kind of row is there to be deleted
    assert purge("--dry-run") == "Would delete 3 expired anonymous assessments (and their answers).\n"
    assert {a.pk: rows(a) for a in world["old"]} == before


def test_it_deletes_only_expired_anonymous_assessments_with_everything_they_hold(world, caplog):
    kept_before = {a.pk: rows(a) for a in world["kept"]}
    old_rows = [rows(a) for a in world["old"]]
    assert all(all(r.values()) for r in old_rows)
    caplog.set_level(logging.INFO, logger="security")
    assert purge() == "Deleted 3 expired anonymous assessments (and their answers).\n"
    for a in world["old"]:
        assert rows(a) == dict.fromkeys(old_rows[0], 0), a.organization_name
    # Fresh anonymous and organisations' assessments of any age: untouched, row for row.
    assert {a.pk: rows(a) for a in world["kept"]} == kept_before
    assert sorted(Assessment.objects.values_list("organization_name", flat=True)) == ["Fresh", "Org new", "Org old"]
    lines = [r.getMessage() for r in caplog.records if r.name == "security"]
    assert [line for line in lines if "event=assessment_purge " in line and "count=3" in line]
    assert not [line for line in lines if "note of" in line]


def test_a_second_run_has_nothing_to_delete(world):
    purge()
    assert purge() == "Nothing to delete.\n"
    assert purge("--dry-run") == "Nothing to delete.\n"
    assert Assessment.objects.count() == 3


def test_one_expired_assessment_is_counted_in_the_singular():
    a = start(Client(), "Only")
    last_changed(a, DAYS + 1)
    assert purge("--dry-run") == "Would delete 1 expired anonymous assessment (and its answers).\n"
    assert purge() == "Deleted 1 expired anonymous assessment (and its answers).\n"
    assert not Assessment.objects.filter(pk=a.pk).exists()


def test_the_function_uses_the_time_it_is_given(world):
    # A week from now, "Fresh" (89 days old today) is past the period too; the organisations' never are.
    assert purge_expired_assessments(now=timezone.now() + timedelta(days=7)) == 4
    assert sorted(Assessment.objects.values_list("organization_name", flat=True)) == ["Org new", "Org old"]


def test_the_retention_period_comes_from_the_setting(settings, world):
    settings.ANONYMOUS_RETENTION_DAYS = 10 * 365 + 1000
    assert purge() == "Nothing to delete.\n"
    assert Assessment.objects.count() == 6
