"""What a downloaded file is called, and the header that names it. Pure: no Django.

A name says whose file it is and which one: the organisation or the system, what it is, its version or date, as
``Acme-CUI-Enclave-SSP-v1.0.pdf``. The parts come from what users typed, so each is cleaned to what every file
system and browser keeps as it is: letters, marks and digits of any script, and dots between them. Anything else
(spaces, slashes, quotes, control characters, symbols and emoji) separates words with one dash. Invisible
characters vanish: format characters (a right-to-left override, a zero-width space; a joiner between letters
stays, as Persian and Indic words need it), variation selectors, enclosing marks, and apostrophes ("O'Brien's" is
"OBriens"). A part with nothing left is left out, and a name stays short enough for any file system however long
the parts.

The header (RFC 6266) carries an ASCII ``filename`` for every client, and, when the name is not plain ASCII, the
name itself as ``filename*=UTF-8''…`` (RFC 8187), which browsers prefer.
"""

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import quote

# Per typed part, and for the whole name before its extension (in UTF-8 bytes: many file systems allow 255).
MAX_PART_CHARS = 60
MAX_STEM_BYTES = 150
APOSTROPHES = "'\u2019"
# Letters no decomposition turns into ASCII, for the ASCII fallback.
ASCII_LETTERS = str.maketrans({"ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ø": "o", "Ø": "O",
                               "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "þ": "th", "Þ": "Th",
                               "ı": "i"})
# Names Windows keeps for devices, with or without an extension.
RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10)), *(f"LPT{i}" for i in range(10))}
SEPARATORS = re.compile(r"[-.]*-[-.]*|\.{2,}")  # runs of dashes and dots: one dash (or one dot between dots)
EXTENSION = re.compile(r"[a-z0-9]{1,8}")


@dataclass(frozen=True)
class DownloadName:
    name: str  # as the user's words are: "Société-Générale-SSP-v1.0.pdf"
    ascii: str  # for clients without RFC 8187: "Societe-Generale-SSP-v1.0.pdf"

    @property
    def header(self) -> str:
        """The Content-Disposition of an attachment with this name."""
        value = f'attachment; filename="{self.ascii}"'
        if self.name != self.ascii:
            value += f"; filename*=UTF-8''{quote(self.name, safe='')}"
        return value


def _tidy(text: str) -> str:
    text = re.sub(f"[{JOINERS}]+(?=[-.]|$)", "", text)  # a joiner joins letters, or nothing
    return SEPARATORS.sub(lambda m: "." if set(m.group()) == {"."} else "-", text).strip("-.")


JOINERS = "\u200c\u200d"  # zero-width (non-)joiners: part of a word in Persian or Indic scripts, kept there


def _invisible(char: str, category: str) -> bool:
    return category in ("Cf", "Me") or char in APOSTROPHES or unicodedata.name(char, "").startswith(
        "VARIATION SELECTOR")


def _clean(part: str) -> str:
    """Letters, marks and digits of any script, dots between them; one dash for everything else."""
    kept: list[str] = []
    for char in unicodedata.normalize("NFKC", part):
        category = unicodedata.category(char)
        if category[0] in "LN" or char == ".":
            kept.append(char)
        elif char in JOINERS:
            if kept and kept[-1] not in "-.":
                kept.append(char)
        elif _invisible(char, category):
            continue
        elif category[0] == "M":
            if kept and kept[-1] not in "-.":
                kept.append(char)  # an accent on the letter before it, never on its own
        else:
            kept.append("-")
    return _tidy("".join(kept)[:MAX_PART_CHARS])


def _to_ascii(part: str) -> str:
    decomposed = unicodedata.normalize("NFKD", part.translate(ASCII_LETTERS))
    return _tidy(re.sub(r"[^A-Za-z0-9.-]+", "-", decomposed.encode("ascii", "ignore").decode()))


def _join(parts: list[str], extension: str) -> str:
    parts = [p for p in parts if p]
    while len("-".join(parts).encode()) > MAX_STEM_BYTES:
        longest = max(range(len(parts)), key=lambda i: len(parts[i].encode()))
        parts[longest] = _tidy(parts[longest][:-1])  # the longest part gives way first, a letter at a time
        parts = [p for p in parts if p]
    stem = "-".join(parts) or "download"
    if stem.split(".")[0].upper() in RESERVED:
        stem += "-file"
    return f"{stem}.{extension}"


def download_name(*parts: str, extension: str) -> DownloadName:
    """``download_name("Acme", "CUI Enclave", "SSP", "v1.0", extension="pdf")``: Acme-CUI-Enclave-SSP-v1.0.pdf.

    ``parts`` may be anything a user typed; ``extension`` is ours (lower-case letters and digits)."""
    if not EXTENSION.fullmatch(extension):
        raise ValueError(f"not a file extension: {extension!r}")
    cleaned = [_clean(part) for part in parts]
    return DownloadName(_join(cleaned, extension), _join([_to_ascii(part) for part in cleaned], extension))


def version_part(label: str) -> str:
    """A version as the user wrote it, marked as one: "1.0" is "v1.0", "v2" stays "v2"."""
    label = label.strip()
    return label if re.match(r"[vV]\d", label) else f"v{label}"
