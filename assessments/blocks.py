"""The questionnaire's requirement blocks (templates/assessments/family.html, partial ``requirement``).

A block is rendered in a context of its own: the requirement (from the catalog), its stored answer and objective
answers, its score item and hints, and of the assessment only its public id and whether the user may edit it. It can
show nothing else, even by mistake: anything else renders empty.

A block that shows what is stored (no bound form, no conflict, no "Saved") is kept per process under a key made of
all of that, values included: the same stored answer on the same catalog revision gives the same markup, and any
change (another answer, another revision, a viewer instead of an editor) makes another key, so nothing is ever
invalidated and old blocks simply age out. The CSRF token differs per session, so the kept markup holds a stand-in,
derived from SECRET_KEY so no one can type it into an answer, and each request puts its own token in its place.
"""

from collections.abc import Hashable
from dataclasses import dataclass, field

from django.template.loader import get_template
from django.utils.crypto import salted_hmac
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from cmmc_site.lru import LRU
from controls.models import Requirement
from controls.snapshot import CatalogSnapshot

from . import scoring
from .forms import AnswerForm, ObjectiveAnswerForm
from .models import ANSWER_FIELDS, Answer, AnswerStatus, Assessment, ObjectiveAnswer
from .paths import path_for_each

# About 6 KB a block: at most some 12 MB per process, the blocks of about a hundred family pages.
KEPT_BLOCKS = 2048


@dataclass(frozen=True)
class AssessmentView:
    """What a block may know of its assessment."""

    public_id: str
    can_edit: bool
    objective_mode: bool

    @classmethod
    def of(cls, assessment: Assessment) -> "AssessmentView":
        return cls(assessment.public_id, assessment.can_edit, assessment.objective_mode)


class Paths:
    """The answer, history and objective paths of one assessment's requirement blocks (see path_for_each)."""

    def __init__(self, public_id: str):
        self.answer = path_for_each("assessments:answer", public_id, "3.1.1")
        self.history = path_for_each("assessments:answer_history", public_id, "3.1.1")
        self.objective = path_for_each("assessments:objective", public_id, "3.1.1[a]")


@dataclass
class Block:
    """One requirement's block. ``requirement`` comes from the catalog (objectives prefetched); ``objective_answers``
    holds at least this requirement's (by objective pk). ``form``, ``conflict``, ``saved`` and ``objective_errors``
    show the outcome of a save instead of what is stored."""

    requirement: Requirement
    answer: Answer | None
    objective_answers: dict[int, ObjectiveAnswer]
    item: scoring.Item | None
    hints: list[tuple[str, tuple]] = field(default_factory=list)
    form: AnswerForm | None = None
    conflict: Answer | None = None
    saved: bool = False
    objective_errors: dict[int, str] | None = None

    def _objectives(self, assessment: AssessmentView) -> list:
        if not assessment.objective_mode or self.requirement.nist_id == scoring.SSP_REQUIREMENT:
            return []
        return list(self.requirement.objectives.all())

    def key(self, assessment: AssessmentView, catalog: CatalogSnapshot) -> Hashable | None:
        """Everything the block shows, when it shows what is stored; None when it shows a save's outcome."""
        if self.form is not None or self.conflict is not None or self.saved or self.objective_errors:
            return None
        if catalog.token is None:  # a catalog read for this request only
            return None
        answer = self.answer
        stored = None if answer is None else (answer.version, *(getattr(answer, f) for f in ANSWER_FIELDS))
        objectives = tuple(
            None if (o := self.objective_answers.get(obj.pk)) is None else (o.status, o.version)
            for obj in self._objectives(assessment)
        )
        item = None if self.item is None else (self.item.status, self.item.deduction)
        hints = tuple((template, tuple(found)) for template, found in self.hints)
        return (catalog.token, self.requirement.pk, assessment, stored, objectives, item, hints)

    def context(self, assessment: AssessmentView, paths: Paths) -> dict:
        req, answer = self.requirement, self.answer
        form = self.form
        if form is None:
            initial = {"version": answer.version if answer else 0}
            if answer:
                initial |= {f: getattr(answer, f) for f in ANSWER_FIELDS}
            form = AnswerForm(initial=initial, requirement=req, stored=answer,
                              objective_mode=assessment.objective_mode)
        objectives = []
        answered_objectives = unanswered_objectives = False
        for obj in self._objectives(assessment):
            stored = self.objective_answers.get(obj.pk)
            answered_objectives = answered_objectives or stored is not None
            unanswered_objectives = unanswered_objectives or stored is None or not stored.status
            objectives.append({
                "objective": obj,
                "url": paths.objective(obj.objective_id),
                "form": ObjectiveAnswerForm(
                    initial={"status": stored.status if stored else "", "version": stored.version if stored else 0},
                    objective_id=obj.objective_id,
                ),
                "error": (self.objective_errors or {}).get(obj.pk, ""),
            })
        # A not met or partial answer given before objective mode stands until the objectives decide
        # (scoring_answers).
        answered_before = ""
        if unanswered_objectives and answer is not None and answer.status in (AnswerStatus.NOT_MET,
                                                                              AnswerStatus.PARTIAL):
            answered_before = answer.get_status_display()
        return {"requirement": req, "answer": answer, "form": form, "item": self.item, "objectives": objectives,
                "conflict": self.conflict, "saved": self.saved, "hints": self.hints,
                "has_history": answer is not None or answered_objectives, "answered_before": answered_before,
                "answer_url": paths.answer(req.nist_id), "history_url": paths.history(req.nist_id)}


kept: LRU[str] = LRU(KEPT_BLOCKS)


def _token_stand_in() -> str:
    return salted_hmac("assessments.blocks.csrf", "stand-in", algorithm="sha256").hexdigest()


class Renderer:
    """Renders the blocks of one assessment for one request."""

    def __init__(self, assessment: Assessment, catalog: CatalogSnapshot, csrf_token: str):
        self.view = AssessmentView.of(assessment)
        self.catalog = catalog
        self.csrf_token = csrf_token
        self.paths = Paths(assessment.public_id)
        self.stand_in = _token_stand_in()
        self.template = get_template("assessments/family.html#requirement")

    def _render(self, block: Block) -> str:
        return self.template.render({
            "row": block.context(self.view, self.paths), "assessment": self.view, "catalog": self.catalog,
            "csrf_token": self.stand_in,
        })

    def render(self, block: Block) -> SafeString:
        key = block.key(self.view, self.catalog)
        # The stand-in is part of the key: kept markup never outlives a change of SECRET_KEY with the old one in it.
        markup = self._render(block) if key is None else kept.get((self.stand_in, key), lambda: self._render(block))
        # The markup is the template's output; the token is escaped here (Django's are letters and digits anyway).
        return mark_safe(markup.replace(self.stand_in, escape(self.csrf_token)))  # nosec B308 B703
