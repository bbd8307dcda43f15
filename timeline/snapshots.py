"""Taking snapshots and reading them back as scoring input.

A snapshot stores the assessment file (version 2) exactly as ``assessment_file.export_json`` writes it, so the
download is that document and "start a new assessment from it" is ``assessment_file.import_json``: one format,
one importer. Scores are always computed by ``scoring`` from the stored answers (``models.scoring_answers``).
"""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Max

from assessments import assessment_file, scoring
from assessments.models import Assessment
from assessments.records import catalog_rules, scoring_answers

from .models import LABEL_MAX, Snapshot, SnapshotReason


@dataclass(frozen=True)
class Side:
    """One side of a comparison (a snapshot, or the assessment today), read from its assessment file."""

    document: dict
    result: scoring.Result

    @property
    def requirements(self) -> dict[str, dict]:
        return self.document.get("requirements", {})


def document_answers(document: dict, rules: list[scoring.Rule]) -> tuple[dict[str, scoring.Answer], scoring.Level]:
    """The stored answers of an assessment file in scoring form, and its level. Requirements the catalog no longer
    has are left out (a snapshot may predate a catalog revision)."""
    known = {r.nist_id for r in rules}
    meta = document.get("assessment", {})
    statuses: dict[str, str] = {}
    objectives: dict[str, dict[str, str]] = {}
    for nist_id, entry in document.get("requirements", {}).items():
        if nist_id not in known:
            continue
        statuses[nist_id] = entry.get("status") or ""
        objectives[nist_id] = {o: s or "" for o, s in (entry.get("objectives") or {}).items()}
    answers = scoring_answers(statuses, objectives, objective_mode=bool(meta.get("objective_mode")))
    return answers, scoring.Level(meta.get("target_level") or scoring.Level.L2)


def score_document(document: dict, rules: list[scoring.Rule]) -> scoring.Result:
    answers, level = document_answers(document, rules)
    return scoring.score(rules, answers, level)


def side(document: dict, rules: list[scoring.Rule]) -> Side:
    return Side(document=document, result=score_document(document, rules))


@transaction.atomic
def take_snapshot(*, assessment: Assessment, label: str, reason: str = SnapshotReason.MANUAL, by: str = "",
                  rules: list[scoring.Rule] | None = None) -> Snapshot:
    """Freeze the assessment as it is stored now (read afresh, whatever ``assessment`` holds in memory)."""
    # Locking the assessment serialises the numbering, and a save racing the snapshot lands before or after it.
    current = Assessment.objects.select_for_update().get(pk=assessment.pk)
    document = assessment_file.export_json(current)
    result = score_document(document, rules if rules is not None else catalog_rules())
    number = (Snapshot.objects.filter(assessment=current).aggregate(n=Max("number"))["n"] or 0) + 1
    return Snapshot.objects.create(
        assessment=current, number=number, label=label.strip()[:LABEL_MAX] or f"Snapshot {number}", reason=reason,
        taken_by=by[:254], catalog_revision=str(document.get("catalog_revision", ""))[:40], level=str(result.level),
        score=result.score, worst_case_score=result.worst_case_score, outcome=str(result.outcome),
        conditional_eligible=result.conditional_eligible, answered=result.answered_count, total=result.total,
        document=document,
    )


def snapshot_final_ssp_version(sender, *, version, assessment_id: int, **kwargs) -> None:
    """Receiver of ssp.signals.final_version_recorded: the plan's version and the answers it documents, together."""
    take_snapshot(assessment=Assessment(pk=assessment_id), label=f"SSP version {version.label} (final)",
                  reason=SnapshotReason.SSP_FINAL, by=version.made_by)
