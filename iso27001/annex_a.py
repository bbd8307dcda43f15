"""The shape of ISO/IEC 27001 Annex A in both editions: theme codes, theme names, and id helpers.

The 2013 control list comes from the reference data (its 2013 -> 2022 table names all 114 controls); the 2022
list is the standard's numbering (93 controls: 37 organisational, 8 people, 14 physical, 34 technological),
because 11 of those controls are new in 2022 and appear in no 2013 correspondence. Titles are not stored: the
reference data carries none.
"""

import re

EDITIONS = ("2013", "2022")

THEMES = {
    "2013": {
        "A.5": "Information security policies",
        "A.6": "Organization of information security",
        "A.7": "Human resource security",
        "A.8": "Asset management",
        "A.9": "Access control",
        "A.10": "Cryptography",
        "A.11": "Physical and environmental security",
        "A.12": "Operations security",
        "A.13": "Communications security",
        "A.14": "System acquisition, development and maintenance",
        "A.15": "Supplier relationships",
        "A.16": "Information security incident management",
        "A.17": "Information security aspects of business continuity management",
        "A.18": "Compliance",
    },
    "2022": {
        "A.5": "Organizational controls",
        "A.6": "People controls",
        "A.7": "Physical controls",
        "A.8": "Technological controls",
    },
}

CONTROL_COUNT = {"2013": 114, "2022": 93}
CONTROLS_PER_THEME_2022 = {"A.5": 37, "A.6": 8, "A.7": 14, "A.8": 34}

ID_PATTERN = {
    "2013": re.compile(r"^A\.(\d{1,2})\.(\d{1,2})\.(\d{1,2})$"),
    "2022": re.compile(r"^A\.(\d{1,2})\.(\d{1,2})$"),
}


def id_key(control_id: str) -> tuple[int, ...]:
    """Sort key: "A.9.2.1" -> (9, 2, 1), so A.10 sorts after A.9."""
    return tuple(int(part) for part in control_id[2:].split("."))


def theme_of(control_id: str) -> str:
    """"A.9.2.1" -> "A.9"."""
    return "A." + control_id[2:].split(".")[0]


def controls_2022() -> list[str]:
    return [f"{theme}.{n}" for theme, count in CONTROLS_PER_THEME_2022.items() for n in range(1, count + 1)]
