"""Starting text for a requirement's implementation description: a skeleton the user must confirm or rewrite.

It walks the SP 800-171A determination statements, so the description answers what an assessor checks. Gaps are
marked ``<<…>>`` like the NIST template's own placeholders; the readiness check flags any that remain.
"""

import re

PLACEHOLDER_RE = re.compile(r"<<[^<>\n]{0,200}>>")


def _sentence(text: str) -> str:
    text = text.strip().rstrip(".;")
    return text[:1].upper() + text[1:]


def for_requirement(*, status: str, organization: str, objectives: list[tuple[str, str]]) -> str:
    """``status``: implemented | partial | planned | na; ``objectives``: (letter "[a]", determination statement)."""
    who = organization.strip() or "The organization"
    if status == "implemented":
        lines = [f"{who} meets this requirement as follows."]
        lines += [f"{letter} {_sentence(text)}: <<how, and what shows it>>." for letter, text in objectives]
        return "\n".join(lines)
    if status in ("planned", "partial"):
        lines = [f"{who} has not fully implemented this requirement yet. "
                 "Planned: <<what will be put in place, and how>>."]
        if status == "partial":
            lines = [f"{who} has partially implemented this requirement. In place: <<what is in place today>>. "
                     "Planned: <<what is still to be put in place, and how>>."]
        if objectives:
            lines.append("Determination statements to meet:")
            lines += [f"{letter} {_sentence(text)}." for letter, text in objectives]
        lines.append("Until then: <<any interim or compensating measure, or “none”>>.")
        return "\n".join(lines)
    return ""  # not applicable: the rationale carries the explanation


def has_placeholder(text: str) -> bool:
    return bool(PLACEHOLDER_RE.search(text))
