"""The data migration ssp/0003: each SSP requirement row merged into the assessment's answer, on a database seeded
with both sides holding text (forward), and the SSP rows made again from the answers (backward)."""

import pytest

from .test_migrations import run_on_fresh_database

SCRIPT = r'''
import datetime, json
import django
django.setup()
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("ssp", "0002_history"), ("assessments", "0003_one_record_per_requirement")]
AFTER = [("ssp", "0004_requirement_records_live_on_the_answers")]  # the rows' table is dropped too

def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps

call_command("migrate", verbosity=0)
call_command("load_catalog", verbosity=0)
apps = migrate(BEFORE)
Assessment = apps.get_model("assessments", "Assessment")
Answer = apps.get_model("assessments", "Answer")
Plan = apps.get_model("ssp", "SystemSecurityPlan")
Row = apps.get_model("ssp", "RequirementImplementation")
Requirement = apps.get_model("controls", "Requirement")
req = {r.nist_id: r for r in Requirement.objects.all()}
a = Assessment.objects.create(organization_name="Acme")
plan = Plan.objects.create(assessment=a)
def row(nist_id, **fields):
    defaults = dict(status="planned", description="", rationale="", responsible="", poam_reference="",
                    planned_date=None, starting_text="", starting_text_pending=False, version=1)
    Row.objects.create(ssp=plan, requirement=req[nist_id], **(defaults | fields))
def answer(nist_id, **fields):
    Answer.objects.create(assessment=a, requirement=req[nist_id], version=1, **fields)
# Both sides hold different text.
answer("3.1.1", status="met", note="Questionnaire note.", responsible="IT lead")
row("3.1.1", status="implemented", description="SSP description.", responsible="System owner")
# Only the SSP holds text; the answer has none yet.
row("3.1.2", status="planned", description="Only in the SSP.", responsible="CISO", poam_reference="POA&M 7",
    planned_date=datetime.date(2027, 1, 31))
# Untouched starting text is not user text: nothing to merge, no answer made.
row("3.1.3", status="planned", description="Starting words.", starting_text="Starting words.",
    starting_text_pending=True)
# Different planned dates and statuses: the answer keeps its own, the SSP's are written into the description.
answer("3.1.4", status="not_met", planned_date=datetime.date(2027, 3, 1))
row("3.1.4", status="implemented", planned_date=datetime.date(2027, 6, 1), rationale="")
# The same text on both sides is kept once; an N/A rationale merges into the justification.
answer("3.1.16", status="na", justification="No wireless.")
row("3.1.16", status="na", rationale="No wireless.", description="")
answer("3.1.20", status="na", justification="No external systems.")
row("3.1.20", status="na", rationale="Cloud only, per the boundary.")

apps = migrate(AFTER)
Answer = apps.get_model("assessments", "Answer")
out = {x.requirement.nist_id: {"status": x.status, "note": x.note, "justification": x.justification,
                               "responsible": x.responsible, "poam_reference": x.poam_reference,
                               "planned_date": x.planned_date.isoformat() if x.planned_date else None,
                               "version": x.version}
       for x in Answer.objects.select_related("requirement")}
print("FORWARD " + json.dumps(out, sort_keys=True))

apps = migrate(BEFORE)
Row = apps.get_model("ssp", "RequirementImplementation")
back = {r.requirement.nist_id: [r.status, r.description, r.rationale, r.responsible, r.poam_reference]
        for r in Row.objects.select_related("requirement") if r.requirement.nist_id in ("3.1.1", "3.1.2", "3.1.16")}
print("BACKWARD " + json.dumps({"count": Row.objects.count(), "rows": back}, sort_keys=True))
'''


def output(result, prefix: str) -> dict:
    import json

    line = next(line for line in result.stdout.splitlines() if line.startswith(prefix + " "))
    return json.loads(line[len(prefix) + 1:])


@pytest.fixture(scope="module")
def result(django_db_blocker):
    with django_db_blocker.unblock():
        done = run_on_fresh_database(SCRIPT, name="merge_records")
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    return done


@pytest.mark.slow
def test_where_both_sides_hold_different_text_both_are_kept(result):
    merged = output(result, "FORWARD")["3.1.1"]
    assert merged["note"] == "Questionnaire note.\n\nFrom the System Security Plan:\nSSP description."
    assert merged["responsible"] == "IT lead; System owner"
    assert (merged["status"], merged["version"]) == ("met", 2)


@pytest.mark.slow
def test_text_only_in_the_plan_becomes_the_record(result):
    merged = output(result, "FORWARD")["3.1.2"]
    assert merged == {"status": "", "note": "Only in the SSP.", "justification": "", "responsible": "CISO",
                      "poam_reference": "POA&M 7", "planned_date": "2027-01-31", "version": 1}


@pytest.mark.slow
def test_untouched_starting_text_is_not_merged(result):
    assert "3.1.3" not in output(result, "FORWARD")


@pytest.mark.slow
def test_a_different_date_or_status_in_the_plan_is_kept_as_a_sentence(result):
    merged = output(result, "FORWARD")["3.1.4"]
    assert merged["planned_date"] == "2027-03-01" and merged["status"] == "not_met"
    assert merged["note"] == ("The System Security Plan gave the status “Implemented”. The System Security Plan gave "
                              "the planned completion date 2027-06-01.")


@pytest.mark.slow
def test_rationales_merge_into_the_justification_and_the_same_text_is_kept_once(result):
    forward = output(result, "FORWARD")
    assert forward["3.1.16"]["justification"] == "No wireless." and forward["3.1.16"]["version"] == 1
    assert forward["3.1.20"]["justification"] == ("No external systems.\n\nFrom the System Security Plan:\n"
                                                  "Cloud only, per the boundary.")


@pytest.mark.slow
def test_backward_makes_the_plans_rows_again_from_the_answers(result):
    backward = output(result, "BACKWARD")
    assert backward["count"] == 110
    assert backward["rows"]["3.1.2"] == ["planned", "Only in the SSP.", "", "CISO", "POA&M 7"]
    assert backward["rows"]["3.1.16"][0] == "na" and backward["rows"]["3.1.1"][0] == "implemented"
