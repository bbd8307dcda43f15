"""Starting text for a requirement's implementation description: text the user must confirm or rewrite.

The starting text is the requirement's example narrative (``controls.ExampleNarrative``) for the environment the
plan chose on its identification step (``SystemSecurityPlan.narrative_variant``): Microsoft 365 GCC High or
on-premises Active Directory. Each example says who does what, with which tool, how often, and what evidence shows
it. Where no example exists (the narratives are not loaded), it is a skeleton that walks the SP 800-171A
determination statements instead, so the description still answers what an assessor checks.

Until the user chooses an environment, the GCC High example is offered, headed by a ``<<…>>`` line that says which
environment it is written for and where to choose another. A user who has not chosen yet still expects a concrete
example rather than an empty form, and GCC High is the environment most small defense suppliers handling CUI use;
but an example for an environment the company does not have must never reach a final plan unread, and the readiness
check flags that line (like every ``<<…>>`` placeholder) until the user deletes it.

By status: implemented, the example as it stands; planned, the example as the target state, with what is done
until then; partially implemented, what is in place today, then the example as the target state; not applicable,
nothing (the rationale carries the explanation). Choosing another environment later changes only the starting text
of descriptions not yet written or confirmed: a stored description is the user's and is never replaced.
"""

import re

from .models import NarrativeVariant

PLACEHOLDER_RE = re.compile(r"<<[^<>\n]{0,200}>>")
# Offered until the plan chooses an environment (see the module docstring).
DEFAULT_VARIANT = NarrativeVariant.GCC_HIGH
UNTIL_THEN = "Until then: <<any interim or compensating measure, or “none”>>."


def _sentence(text: str) -> str:
    text = text.strip().rstrip(".;")
    return text[:1].upper() + text[1:]


def which_example() -> str:
    """The line that heads the default example while the plan has not chosen an environment."""
    return (f"<<This example is written for {DEFAULT_VARIANT.label}: choose your environment on the Identification "
            "step, adapt the text to what you do, then delete this line>>")


def for_requirement(*, status: str, organization: str, objectives: list[tuple[str, str]], example: str = "",
                    variant: str = "") -> str:
    """``status``: implemented | partial | planned | na; ``objectives``: (letter "[a]", determination statement);
    ``example``: the example narrative offered ("" if there is none); ``variant``: the environment the plan chose
    ("" while not chosen: ``example`` is then the default environment's, and the text says so)."""
    if status not in ("implemented", "partial", "planned"):
        return ""  # not applicable: the rationale carries the explanation
    who = organization.strip() or "The organization"
    if not example.strip():
        return _skeleton(status, who, objectives)
    example = example.strip()
    if status == "implemented":
        lines = [f"{who} meets this requirement as follows.", example]
    elif status == "planned":
        lines = [f"{who} has not fully implemented this requirement yet.", f"Planned (the target state): {example}",
                 UNTIL_THEN]
    else:
        lines = [f"{who} has partially implemented this requirement.", "In place: <<what is in place today>>.",
                 f"Planned (the target state): {example}", UNTIL_THEN]
    if not variant:
        lines.insert(0, which_example())
    return "\n".join(lines)


def _skeleton(status: str, who: str, objectives: list[tuple[str, str]]) -> str:
    if status == "implemented":
        lines = [f"{who} meets this requirement as follows."]
        lines += [f"{letter} {_sentence(text)}: <<how, and what shows it>>." for letter, text in objectives]
        return "\n".join(lines)
    lines = [f"{who} has not fully implemented this requirement yet. Planned: <<what will be put in place, and how>>."]
    if status == "partial":
        lines = [f"{who} has partially implemented this requirement. In place: <<what is in place today>>. "
                 "Planned: <<what is still to be put in place, and how>>."]
    if objectives:
        lines.append("Determination statements to meet:")
        lines += [f"{letter} {_sentence(text)}." for letter, text in objectives]
    lines.append(UNTIL_THEN)
    return "\n".join(lines)


def has_placeholder(text: str) -> bool:
    return bool(PLACEHOLDER_RE.search(text))
