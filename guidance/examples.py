"""The worked SPRS example: a fixed answer set, scored by assessments.scoring like any real assessment."""

from dataclasses import dataclass

from assessments import scoring
from assessments.scoring import Answer, Status


@dataclass(frozen=True)
class ExampleGap:
    nist_id: str
    status: Status
    story: str  # what the example company has, in our words


EXAMPLE_GAPS = (
    ExampleGap("3.5.3", Status.PARTIAL, "MFA for remote access and administrators, but not yet for everyone "
                                        "else on the network"),
    ExampleGap("3.13.11", Status.PARTIAL, "Laptops and file shares are encrypted, but not with FIPS-validated "
                                          "modules"),
    ExampleGap("3.14.6", Status.NOT_MET, "Nobody monitors inbound and outbound traffic for signs of attack"),
    ExampleGap("3.3.4", Status.NOT_MET, "No alert when audit logging stops working"),
    ExampleGap("3.6.3", Status.NOT_MET, "The incident response plan has never been tested"),
)
EXAMPLE_NOT_APPLICABLE = ("3.1.16", "3.1.17")  # no wireless network in the CUI environment
FIXED_IN_VARIANT = ("3.5.3", "3.14.6")  # "after fixing MFA and traffic monitoring"


def example_answers(rules: list[scoring.Rule]) -> dict[str, Answer]:
    """Every requirement answered: the gaps above, two N/A, everything else (including the SSP) met."""
    gaps = {g.nist_id: g.status for g in EXAMPLE_GAPS}
    answers = {}
    for rule in rules:
        if rule.nist_id in gaps:
            answers[rule.nist_id] = Answer(status=gaps[rule.nist_id])
        elif rule.nist_id in EXAMPLE_NOT_APPLICABLE:
            answers[rule.nist_id] = Answer(status=Status.NA)
        else:
            answers[rule.nist_id] = Answer(status=Status.MET)
    return answers


def variant_answers(rules: list[scoring.Rule]) -> dict[str, Answer]:
    return example_answers(rules) | {nist_id: Answer(status=Status.MET) for nist_id in FIXED_IN_VARIANT}


def no_ssp_answers(rules: list[scoring.Rule]) -> dict[str, Answer]:
    return example_answers(rules) | {scoring.SSP_REQUIREMENT: Answer(status=Status.NOT_MET)}
