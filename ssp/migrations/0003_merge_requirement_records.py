"""One record per requirement: each SSP requirement row is merged into the assessment's answer.

Nothing typed is lost. Where only one side holds a value, the answer takes it. Where both hold different text,
the answer keeps its own and adds the SSP's below it, labelled; a planned date or status the SSP held that differs
from the answer's is written into the description as a sentence. The starting text we generated (never confirmed,
never edited) is not user text: it is generated again from the status wherever it is shown.
"""

from django.db import migrations

SSP_STATUS_OF = {"met": "implemented", "na": "na", "not_met": "planned", "partial": "planned", "": "planned"}
SSP_STATUS_LABEL = {"implemented": "Implemented", "planned": "Planned to be implemented", "na": "Not applicable"}


def merge_text(mine: str, theirs: str, label: str) -> str:
    if not theirs.strip() or theirs.strip() == mine.strip():
        return mine
    if not mine.strip():
        return theirs
    return f"{mine.rstrip()}\n\n{label}:\n{theirs.strip()}"


def merge_responsible(mine: str, theirs: str) -> str:
    if not theirs.strip() or theirs.strip().casefold() == mine.strip().casefold():
        return mine
    if not mine.strip():
        return theirs
    return f"{mine.strip()}; {theirs.strip()}"


def forward(apps, schema_editor):
    Implementation = apps.get_model("ssp", "RequirementImplementation")
    Answer = apps.get_model("assessments", "Answer")
    rows = Implementation.objects.select_related("ssp__assessment", "requirement").order_by("pk")
    for row in rows.iterator(chunk_size=500):
        assessment = row.ssp.assessment
        untouched = row.starting_text_pending and row.description.strip() == row.starting_text.strip()
        description = "" if untouched else row.description
        answer = Answer.objects.filter(assessment_id=assessment.pk, requirement_id=row.requirement_id).first()
        if answer is None:
            if not (description.strip() or row.rationale.strip() or row.responsible.strip() or row.planned_date
                    or row.poam_reference.strip()):
                continue
            answer = Answer(assessment_id=assessment.pk, requirement_id=row.requirement_id, status="", version=0)
        before = (answer.note, answer.justification, answer.responsible, answer.planned_date, answer.poam_reference)
        note = merge_text(answer.note, description, "From the System Security Plan")
        extra = []
        if answer.pk and answer.status and not assessment.objective_mode \
                and SSP_STATUS_OF[answer.status] != row.status:
            extra.append(f"The System Security Plan gave the status “{SSP_STATUS_LABEL[row.status]}”.")
        if row.planned_date and answer.planned_date and row.planned_date != answer.planned_date:
            extra.append(f"The System Security Plan gave the planned completion date {row.planned_date.isoformat()}.")
        if extra:
            note = (note.rstrip() + "\n\n" if note.strip() else "") + " ".join(extra)
        answer.note = note
        answer.justification = merge_text(answer.justification, row.rationale, "From the System Security Plan")
        answer.responsible = merge_responsible(answer.responsible, row.responsible)
        answer.planned_date = answer.planned_date or row.planned_date
        answer.poam_reference = answer.poam_reference or row.poam_reference
        after = (answer.note, answer.justification, answer.responsible, answer.planned_date, answer.poam_reference)
        if answer.pk is None or after != before:
            answer.version += 1
            answer.save()


def backward(apps, schema_editor):
    """The SSP's rows again, from the answers (each plan gets all 110, as when it was started; rows still there are
    kept)."""
    Plan = apps.get_model("ssp", "SystemSecurityPlan")
    Implementation = apps.get_model("ssp", "RequirementImplementation")
    Answer = apps.get_model("assessments", "Answer")
    Requirement = apps.get_model("controls", "Requirement")
    requirements = list(Requirement.objects.order_by("position").values_list("pk", flat=True))
    for plan in Plan.objects.order_by("pk"):
        answers = {a.requirement_id: a for a in Answer.objects.filter(assessment_id=plan.assessment_id)}
        present = set(Implementation.objects.filter(ssp=plan).values_list("requirement_id", flat=True))
        rows = []
        for pk in (pk for pk in requirements if pk not in present):
            answer = answers.get(pk)
            rows.append(Implementation(
                ssp=plan, requirement_id=pk, status=SSP_STATUS_OF[answer.status if answer else ""],
                description=answer.note if answer else "", rationale=answer.justification if answer else "",
                responsible=(answer.responsible if answer else "")[:200],
                poam_reference=answer.poam_reference if answer else "",
                planned_date=answer.planned_date if answer else None, starting_text="",
                starting_text_pending=False, version=1,
            ))
        Implementation.objects.bulk_create(rows)


class Migration(migrations.Migration):
    dependencies = [
        ("ssp", "0002_history"),
        ("assessments", "0003_one_record_per_requirement"),
    ]

    operations = [migrations.RunPython(forward, backward)]
