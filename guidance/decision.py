"""The "Do I need CMMC?" helper as a pure function: answers so far -> the next question or a result."""

from dataclasses import dataclass

QUESTIONS = ("dod", "info", "assessment")

CHOICES = {
    "dod": (("yes", "Yes: we hold one, bid on one, or are (or want to be) a subcontractor on one"),
            ("no", "No: we have no DoD work and are not bidding on any")),
    "info": (("fci", "Only Federal Contract Information (FCI): contract information not meant for the public, "
                     "but nothing marked CUI"),
             ("cui", "Controlled Unclassified Information (CUI): documents or data marked CUI, drawings, "
                     "technical data or other covered defense information"),
             ("unsure", "I am not sure")),
    "assessment": (("self", "CMMC Level 2 (Self)"),
                   ("c3pao", "CMMC Level 2 (C3PAO): a certification assessment"),
                   ("level3", "CMMC Level 3"),
                   ("unsure", "It does not say, or we have not seen the solicitation yet")),
}

# Result -> the target level an assessment starts with (None: no CMMC assessment needed).
RESULT_LEVEL = {
    "not_dod": None,
    "level1": "l1",
    "level2_self": "l2",
    "level2_c3pao": "l2",
    "level3": "l2",
    "level2_unsure": "l2",
}
_ASSESSMENT_RESULT = {"self": "level2_self", "c3pao": "level2_c3pao", "level3": "level3", "unsure": "level2_unsure"}


@dataclass(frozen=True)
class Step:
    question: str | None = None  # the question to ask next
    result: str | None = None  # or the answer
    explain: bool = False  # ask again, with "how to tell" help (the user said "not sure")

    @property
    def target_level(self) -> str | None:
        return RESULT_LEVEL.get(self.result) if self.result else None


def _valid(question: str, value: str | None) -> bool:
    return value in {v for v, _ in CHOICES[question]}


def decide(answers: dict[str, str]) -> Step:
    if not _valid("dod", answers.get("dod")):
        return Step(question="dod")
    if answers["dod"] == "no":
        return Step(result="not_dod")
    if not _valid("info", answers.get("info")):
        return Step(question="info")
    if answers["info"] == "unsure":
        return Step(question="info", explain=True)
    if answers["info"] == "fci":
        return Step(result="level1")
    if not _valid("assessment", answers.get("assessment")):
        return Step(question="assessment")
    return Step(result=_ASSESSMENT_RESULT[answers["assessment"]])
