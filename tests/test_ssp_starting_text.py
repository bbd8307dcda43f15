"""The starting text of a requirement's description (ssp/starting_text.py): the example narrative of the plan's
environment, framed by the requirement's status; the skeleton where there is no example."""

import pytest

from ssp import readiness, starting_text
from ssp.models import NarrativeVariant

EXAMPLE = ("The IT lead reviews every Entra ID account each quarter and removes those no longer needed. Evidence: the "
           "quarterly review records.")
OBJECTIVES = [("[a]", "authorized users are identified"), ("[b]", "system access is limited to authorized users")]


def text(status: str, variant: str = "on_prem", example: str = EXAMPLE) -> str:
    return starting_text.for_requirement(status=status, organization="Acme", objectives=OBJECTIVES, example=example,
                                         variant=variant)


def test_an_implemented_requirement_starts_from_the_example_as_it_stands():
    assert text("implemented") == f"Acme meets this requirement as follows.\n{EXAMPLE}"
    assert not starting_text.has_placeholder(text("implemented"))
    assert not readiness.token(text("implemented"))


def test_a_planned_requirement_makes_the_example_its_target_and_asks_what_is_done_meanwhile():
    assert text("planned").splitlines() == [
        "Acme has not fully implemented this requirement yet.",
        f"Planned (the target state): {EXAMPLE}",
        "Until then: <<any interim or compensating measure, or “none”>>.",
    ]


def test_a_partial_requirement_asks_what_is_in_place_and_makes_the_example_its_target():
    lines = text("partial").splitlines()
    assert lines[:3] == ["Acme has partially implemented this requirement.", "In place: <<what is in place today>>.",
                         f"Planned (the target state): {EXAMPLE}"]
    assert starting_text.has_placeholder(lines[1]) and starting_text.has_placeholder(lines[3])


def test_a_not_applicable_requirement_starts_empty():
    assert text("na") == "" and text("na", variant="") == ""


@pytest.mark.parametrize("status", ["implemented", "planned", "partial"])
def test_until_an_environment_is_chosen_the_default_example_says_which_it_is_and_is_flagged(status):
    lines = text(status, variant="").splitlines()
    assert lines[0] == starting_text.which_example()
    assert NarrativeVariant.GCC_HIGH.label in lines[0] and "Identification step" in lines[0]
    assert starting_text.PLACEHOLDER_RE.fullmatch(lines[0])  # the readiness check flags it until it is deleted
    assert lines[1:] == text(status).splitlines()


def test_without_an_example_the_skeleton_walks_the_determination_statements():
    implemented = text("implemented", example="  ")
    assert implemented.splitlines() == ["Acme meets this requirement as follows.",
                                        "[a] Authorized users are identified: <<how, and what shows it>>.",
                                        "[b] System access is limited to authorized users: <<how, and what shows it>>."]
    assert "Determination statements to meet:" in text("planned", variant="", example="")
    assert starting_text.which_example() not in text("planned", variant="", example="")


def test_placeholders_are_detected_but_not_comparisons():
    assert starting_text.has_placeholder("In place: <<what is in place today>>.")
    assert not starting_text.has_placeholder("objective [a] and a << b comparison")
    assert not starting_text.has_placeholder("<<over\ntwo lines>>")
