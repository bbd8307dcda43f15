"""Recording SPRS submissions and affirmations, and the check that warns before an affirmation would be untrue."""

from dataclasses import dataclass
from datetime import date

from django.db import transaction

from assessments import assessment_file, scoring
from assessments.models import AnswerStatus, Assessment
from assessments.records import catalog_rules

from .compare import compare
from .models import Affirmation, Snapshot, SnapshotReason, Submission
from .snapshots import side, take_snapshot

# Our words for the substance of 32 CFR 170.22(a)(2); SPRS shows its own text, which is what the official signs there.
STATEMENT = (
    "I, the affirming official for {organization}, affirm that the organisation has implemented, and will maintain "
    "the implementation of, all applicable CMMC security requirements for its CMMC status, for every information "
    "system within the relevant CMMC assessment scope. (32 CFR 170.22(a)(2); affirmations are completed in SPRS, "
    "170.22(b). A false affirmation may bring liability under the False Claims Act.)"
)


def statement_for(assessment: Assessment) -> str:
    return STATEMENT.format(organization=assessment.organization_name)


@transaction.atomic
def record_submission(*, assessment: Assessment, values: dict, by: str) -> Submission:
    """The submission and, with it, a snapshot of the assessment as submitted."""
    snapshot = take_snapshot(assessment=assessment, label=f"SPRS submission {values['submitted_on']:%Y-%m-%d}",
                             reason=SnapshotReason.SUBMISSION, by=by)
    return Submission.objects.create(assessment=assessment, snapshot=snapshot, recorded_by=by[:254], **values)


@dataclass(frozen=True)
class Warning:
    code: str  # "poam_overdue" | "regressed" (| "evidence_overdue", later work)
    message: str


def warnings(assessment: Assessment, *, on: date) -> list[Warning]:
    """What would make an affirmation on ``on`` untrue, in plain words (empty: nothing found)."""
    found: list[Warning] = []
    rules = catalog_rules()
    today = side(assessment_file.export_json(assessment), rules)
    submission = Submission.objects.filter(assessment=assessment).select_related("snapshot").order_by(
        "-status_date", "-pk").first()
    # A POA&M item past its 180 days: the Conditional status date of the latest submission, or the one typed on
    # the SPRS worksheet when no submission is recorded here.
    conditional = (submission.status_date if submission is not None and submission.status == "l2_conditional"
                   else assessment.conditional_status_date)
    open_items = [i.rule.nist_id for i in today.result.items if i.is_open]
    if conditional is not None and open_items and on > scoring.poam_deadline(conditional):
        found.append(Warning("poam_overdue", (
            f"{len(open_items)} requirement(s) still open ({', '.join(open_items[:10])}"
            f"{', ...' if len(open_items) > 10 else ''}) past the 180-day POA&M closeout deadline of "
            f"{scoring.poam_deadline(conditional):%Y-%m-%d}. The Conditional status has expired: an affirmation of "
            "compliance would not be true.")))
    if submission is not None:
        changes = compare(side(submission.snapshot.document, rules), today)
        regressed = [c for c in changes.statuses if c.lost or (
            c.before in (scoring.Status.MET, scoring.Status.NA) and c.after not in (scoring.Status.MET,
                                                                                    scoring.Status.NA))]
        if regressed:
            found.append(Warning("regressed", (
                f"{len(regressed)} requirement(s) regressed since the SPRS submission of "
                f"{submission.submitted_on:%Y-%m-%d}: " + ", ".join(
                    f"{c.nist_id} ({_status(c.before)} → {_status(c.after)})" for c in regressed[:10])
                + ". Affirming would state compliance the assessment no longer shows.")))
    # LATER WORK: evidence with review-by dates. An overdue review ("evidence_overdue") warns here, from
    # deadlines.evidence_review_deadlines.
    return found


def _status(status: str | None) -> str:
    return str(AnswerStatus(status).label) if status else "Unanswered"


@transaction.atomic
def record_affirmation(*, assessment: Assessment, values: dict, snapshot: Snapshot | None, shown: list[Warning],
                       by: str) -> Affirmation:
    """The affirmation, of ``snapshot`` (or of a snapshot taken now), with the warnings that were acknowledged."""
    if snapshot is None:
        snapshot = take_snapshot(assessment=assessment, label=f"Affirmation {values['affirmed_on']:%Y-%m-%d}",
                                 reason=SnapshotReason.AFFIRMATION, by=by)
    submission = Submission.objects.filter(assessment=assessment).order_by("-status_date", "-pk").first()
    return Affirmation.objects.create(
        assessment=assessment, snapshot=snapshot, submission=submission, statement=statement_for(assessment),
        warnings="\n".join(w.message for w in shown), recorded_by=by[:254], **values)
