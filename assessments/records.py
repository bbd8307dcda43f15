"""From the database to scoring: the one way an assessment's stored answers become ``scoring`` input (the pages,
the exports, the SSP, the JSON import and ``manage.py sprs_score`` all come through here), and the catalog as
scoring rules. Reads only."""

from collections.abc import Collection

from django.db.models import F

from cmmc_site.lru import LRU
from controls.snapshot import CatalogSnapshot
from controls.snapshot import current as current_catalog

from . import scoring
from .models import Answer, AnswerStatus, Assessment, ObjectiveAnswer

# Every column of an answer row, in the model's order (load_answer_rows reads them as values).
ANSWER_COLUMNS = [f.attname for f in Answer._meta.concrete_fields]

# An assessment's stored answers, as ``load_answers`` reads them: answers by requirement pk (each row carrying
# ``nist_id``), objective answers by objective pk (each carrying ``nist_id`` and ``oid``, the objective id).
StoredAnswers = tuple[dict[int, Answer], dict[int, ObjectiveAnswer]]


# Scores kept per process (see score_of): a few KB each.
KEPT_SCORES = 4096
_scores: LRU[tuple[list[scoring.Rule], scoring.Result]] = LRU(KEPT_SCORES)


def score_of(rules: list[scoring.Rule], answers: dict[str, scoring.Answer], level: str) -> scoring.Result:
    """``scoring.score``, kept per process under its whole input: the same answers on the same rules always give the
    same result, which is immutable, and the pages score the same stored answers again and again (the dashboard
    every assessment of the organisation on each view).

    ``rules`` is keyed by identity: pass the catalog's shared list (``catalog_rules``), never a list that is changed
    afterwards. The entry holds the list, so its id cannot be reused while the entry lives; a new catalog revision
    has new rules, hence new keys."""
    key = (id(rules), str(level), frozenset(
        (nist_id, answer.status, frozenset(answer.objectives.items())) for nist_id, answer in answers.items()))
    return _scores.get(key, lambda: (rules, scoring.score(rules, answers, level)))[1]


def has_ssp(assessment: Assessment) -> bool:
    """Whether 3.12.4 (the SSP) is answered met (1 query). N/A counts as having one, though no form offers it."""
    status = Answer.objects.filter(assessment=assessment, requirement__nist_id=scoring.SSP_REQUIREMENT).values_list(
        "status", flat=True).first()
    return status in (AnswerStatus.MET, AnswerStatus.NA)


def catalog_rules(catalog: CatalogSnapshot | None = None) -> list[scoring.Rule]:
    """The catalog as scoring rules: made once per catalog revision and process (``controls.snapshot``), so only the
    revision's query if ``catalog`` is not given. The list is shared: never change it."""
    catalog = catalog or current_catalog()  # one read of the revision, whether or not the rules are made now
    return catalog.memo("assessments.rules", lambda: [
        scoring.Rule(
            nist_id=r.nist_id,
            family=r.family.code,
            position=r.position,
            points=r.points,
            partial_points=r.partial_points,
            poam=r.poam_eligibility,
            level1=bool(r.level1_id),
            objectives=tuple(o.objective_id for o in r.objectives.all()),
        )
        for r in catalog.requirements
    ])


def load_answers(assessment: Assessment) -> StoredAnswers:
    """Every answer of the assessment, and in objective mode its objective answers (see StoredAnswers).

    One query (two in objective mode) whatever the number of answers.
    """
    answers = {a.requirement_id: a for a in Answer.objects.filter(assessment=assessment)
               .annotate(nist_id=F("requirement__nist_id"))}
    objective_answers: dict[int, ObjectiveAnswer] = {}
    if assessment.objective_mode:
        objective_answers = {o.objective_id: o for o in ObjectiveAnswer.objects.filter(assessment=assessment)
                             .annotate(nist_id=F("objective__requirement__nist_id"), oid=F("objective__objective_id"))}
    return answers, objective_answers


def answers_for_scoring(assessment: Assessment, stored: StoredAnswers) -> dict[str, scoring.Answer]:
    """Answers read by ``load_answers`` in scoring form (no query)."""
    answers, objective_answers = stored
    statuses = {a.nist_id: a.status for a in answers.values()}
    by_req: dict[str, dict[str, str]] = {}
    for o in objective_answers.values():
        by_req.setdefault(o.nist_id, {})[o.oid] = o.status
    return scoring_answers(statuses, by_req, objective_mode=assessment.objective_mode)


def load_answer_rows(assessment: Assessment, catalog: CatalogSnapshot, whole: Collection[int]
                     ) -> tuple[dict[str, str], dict[int, Answer], dict[int, ObjectiveAnswer]]:
    """What a page about a few requirements needs: every answer's status by NIST id (for the score), the whole rows
    of the requirements ``whole`` (by pk; the others' rows are read but never made objects), and in objective mode
    every objective answer as ``load_answers`` gives them. One query (two in objective mode), whatever the number of
    answers; the NIST and objective ids come from ``catalog``."""
    columns = ANSWER_COLUMNS
    status_at, requirement_at = columns.index("status"), columns.index("requirement_id")
    statuses: dict[str, str] = {}
    rows: dict[int, Answer] = {}
    query = Answer.objects.filter(assessment=assessment)
    for values in query.values_list(*columns):
        requirement_id = values[requirement_at]
        nist_id = catalog.requirement_by_pk[requirement_id].nist_id
        statuses[nist_id] = values[status_at]
        if requirement_id in whole:
            row = rows[requirement_id] = Answer.from_db(query.db, columns, values)
            row.nist_id = nist_id
    objective_answers: dict[int, ObjectiveAnswer] = {}
    if assessment.objective_mode:
        for row in ObjectiveAnswer.objects.filter(assessment=assessment):
            objective = catalog.objective_by_pk[row.objective_id]
            row.nist_id, row.oid = objective.requirement.nist_id, objective.objective_id
            objective_answers[row.objective_id] = row
    return statuses, rows, objective_answers


def score_statuses(assessment: Assessment, rules: list[scoring.Rule], statuses: dict[str, str],
                   objective_answers: dict[int, ObjectiveAnswer]) -> scoring.Result:
    """The score of what ``load_answer_rows`` read (no query)."""
    by_req: dict[str, dict[str, str]] = {}
    for o in objective_answers.values():
        by_req.setdefault(o.nist_id, {})[o.oid] = o.status
    return score_of(rules, scoring_answers(statuses, by_req, objective_mode=assessment.objective_mode),
                    assessment.level)


def answers_with_details(assessment: Assessment, catalog: CatalogSnapshot, fields: tuple[str, ...] = ()
                         ) -> tuple[dict[str, scoring.Answer], dict[str, tuple]]:
    """The assessment's answers in scoring form, and by NIST id the given ``fields`` of each answer: one query (two in
    objective mode), with no model object per answer (the NIST ids come from ``catalog``)."""
    statuses: dict[str, str] = {}
    details: dict[str, tuple] = {}
    for requirement_id, status, *values in Answer.objects.filter(assessment=assessment).values_list(
            "requirement_id", "status", *fields):
        nist_id = catalog.requirement_by_pk[requirement_id].nist_id
        statuses[nist_id] = status
        details[nist_id] = tuple(values)
    by_req: dict[str, dict[str, str]] = {}
    if assessment.objective_mode:
        for objective_id, status in ObjectiveAnswer.objects.filter(assessment=assessment).values_list(
                "objective_id", "status"):
            objective = catalog.objective_by_pk[objective_id]
            by_req.setdefault(objective.requirement.nist_id, {})[objective.objective_id] = status
    return scoring_answers(statuses, by_req, objective_mode=assessment.objective_mode), details


def assessment_answers(assessment: Assessment) -> dict[str, scoring.Answer]:
    """The assessment's answers in scoring form (1 query, 2 in objective mode)."""
    return answers_for_scoring(assessment, load_answers(assessment))


def scoring_answers(
    statuses: dict[str, str], objectives: dict[str, dict[str, str]], *, objective_mode: bool
) -> dict[str, scoring.Answer]:
    """Stored answers in scoring form; shared by the pages and the JSON import/CLI (assessment_file.py).

    ``statuses`` maps a NIST id to its requirement-level status, ``objectives`` a NIST id to {objective id: status};
    "" means blank. In objective mode a requirement's status is derived from its objectives; the requirement-level
    answer only counts when it is the partial state of 3.5.3 or 3.13.11, or NOT MET (given before objective mode
    was switched on), until the objectives decide (scoring.requirement_status). Outside objective mode objective
    answers are ignored.
    """
    answers = {nist_id: scoring.Answer(status=scoring.Status(s) if s else None) for nist_id, s in statuses.items()}
    if not objective_mode:
        return answers
    by_req: dict[str, dict[str, scoring.ObjectiveStatus]] = {}
    for nist_id, values in objectives.items():
        if nist_id == scoring.SSP_REQUIREMENT:
            continue  # the SSP is answered as a whole, by the intake question, in either mode
        answered = {o: scoring.ObjectiveStatus(s) for o, s in values.items() if s}
        if answered:
            by_req[nist_id] = answered
    derived: dict[str, scoring.Answer] = {}
    for nist_id in set(answers) | set(by_req):
        chosen = answers.get(nist_id, scoring.Answer()).status
        if nist_id == scoring.SSP_REQUIREMENT:
            derived[nist_id] = scoring.Answer(status=chosen)
            continue
        carried = chosen if chosen in (scoring.Status.PARTIAL, scoring.Status.NOT_MET) else None
        if nist_id in by_req or carried:
            derived[nist_id] = scoring.Answer(status=carried, objectives=by_req.get(nist_id, {}))
    return derived


def score_assessment(assessment: Assessment, rules: list[scoring.Rule] | None = None) -> scoring.Result:
    """The assessment's score: the catalog revision's query if ``rules`` is not given, then ``load_answers``'."""
    return score_answers(assessment, rules if rules is not None else catalog_rules(), load_answers(assessment))


def score_answers(assessment: Assessment, rules: list[scoring.Rule], stored: StoredAnswers) -> scoring.Result:
    """The score of answers read by ``load_answers`` (no query)."""
    return score_of(rules, answers_for_scoring(assessment, stored), assessment.level)


def score_assessments(assessments: list[Assessment], rules: list[scoring.Rule] | None = None
                      ) -> dict[int, scoring.Result]:
    """Score many assessments in a constant number of queries (the catalog revision's if ``rules`` is not given, 1 for
    all their answers, 1 for all their objective answers when any is in objective mode), keyed by assessment pk."""
    rules = rules if rules is not None else catalog_rules()
    ids = [a.pk for a in assessments]
    statuses: dict[int, dict[str, str]] = {pk: {} for pk in ids}
    for pk, nist_id, status in Answer.objects.filter(assessment_id__in=ids).values_list(
        "assessment_id", "requirement__nist_id", "status"
    ):
        statuses[pk][nist_id] = status
    objectives: dict[int, dict[str, dict[str, str]]] = {pk: {} for pk in ids}
    objective_ids = [a.pk for a in assessments if a.objective_mode]
    if objective_ids:
        for pk, nist_id, objective_id, status in ObjectiveAnswer.objects.filter(
            assessment_id__in=objective_ids
        ).values_list("assessment_id", "objective__requirement__nist_id", "objective__objective_id", "status"):
            objectives[pk].setdefault(nist_id, {})[objective_id] = status
    return {
        a.pk: score_of(rules, scoring_answers(statuses[a.pk], objectives[a.pk], objective_mode=a.objective_mode),
                       a.level)
        for a in assessments
    }
