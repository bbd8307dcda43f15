"""The PDF's fonts: DejaVu Sans for the text, and Noto fonts for the characters it lacks (other scripts, Chinese,
Japanese and Korean, symbols, emoji), so what users type prints as typed rather than as empty boxes.

Every font is a Debian package's file served as a static file (settings.STATICFILES_DIRS): ``vendor/dejavu``
(fonts-dejavu-core), ``vendor/noto`` (fonts-noto-core and fonts-noto-color-emoji) and ``vendor/noto-cjk``
(fonts-noto-cjk). Nothing is committed; a package that is missing only loses its fallback.

WeasyPrint reads, copies and registers every ``@font-face`` font of a document before laying it out (all of these
fallbacks together cost about 0.6 s per render), so a document declares only the fallbacks its text needs: each
character DejaVu Sans lacks goes to the first fallback in ``FALLBACKS`` that has it, and ``stylesheet`` declares
those fonts and lists them after DejaVu Sans, in the same order, which is the order Pango tries them in.
"""

from __future__ import annotations

import struct
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.contrib.staticfiles import finders
from fontTools.ttLib import TTCollection, TTFont

# The text font: the cover, headings and labels are ours, in English; every user text starts here too.
BASE_FONTS = ("vendor/dejavu/DejaVuSans.ttf", "vendor/dejavu/DejaVuSans-Bold.ttf")

# Characters that need no glyph of their own: controls, format characters (zero-width space and joiner, variation
# selectors are Mn/Cf), separators, private-use and unassigned code points (no font we have draws those).
_NO_GLYPH = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


@dataclass(frozen=True)
class Fallback:
    family: str  # the CSS family name (a plain identifier: it is written into the stylesheet unquoted)
    path: str  # the static path of the font file
    covers: str  # what it is there for, in words (docs/ssp.md lists the same)
    # A font collection (.ttc): the PostScript name of the face to use, by what the text needs ("" for the rest).
    faces: tuple[tuple[str, str], ...] = ()


def _noto(script: str, covers: str, *, serif: bool = False) -> Fallback:
    kind = "Serif" if serif else "Sans"
    return Fallback(f"SSP-Noto-{script}", f"vendor/noto/Noto{kind}{script}-Regular.ttf", covers)


# Tried in this order, after DejaVu Sans. Scripts first; the CJK fonts and the emoji before the symbol fonts, so an
# emoji prints in colour rather than as a symbol font's outline.
FALLBACKS: tuple[Fallback, ...] = (
    Fallback("SSP-Noto-Sans", "vendor/noto/NotoSans-Regular.ttf", "Latin, Greek and Cyrillic beyond DejaVu Sans"),
    _noto("Arabic", "Arabic (Arabic, Persian, Urdu, Pashto)"),
    _noto("Hebrew", "Hebrew"),
    _noto("Syriac", "Syriac"),
    _noto("Thaana", "Thaana (Dhivehi)"),
    _noto("NKo", "N'Ko"),
    _noto("Adlam", "Adlam"),
    _noto("Armenian", "Armenian"),
    _noto("Georgian", "Georgian"),
    _noto("Ethiopic", "Ethiopic (Amharic, Tigrinya)"),
    _noto("Devanagari", "Devanagari (Hindi, Marathi, Nepali)"),
    _noto("Bengali", "Bengali (Bengali, Assamese)"),
    _noto("Gurmukhi", "Gurmukhi (Punjabi)"),
    _noto("Gujarati", "Gujarati"),
    _noto("Oriya", "Odia"),
    _noto("Tamil", "Tamil"),
    _noto("Telugu", "Telugu"),
    _noto("Kannada", "Kannada"),
    _noto("Malayalam", "Malayalam"),
    _noto("Sinhala", "Sinhala"),
    _noto("Tibetan", "Tibetan", serif=True),
    _noto("Thai", "Thai"),
    _noto("Lao", "Lao"),
    _noto("Khmer", "Khmer"),
    _noto("Myanmar", "Myanmar (Burmese)"),
    _noto("TaiViet", "Tai Viet"),
    _noto("Javanese", "Javanese"),
    _noto("Balinese", "Balinese"),
    _noto("Sundanese", "Sundanese"),
    _noto("Mongolian", "Mongolian"),
    _noto("Yi", "Yi"),
    _noto("Cherokee", "Cherokee"),
    _noto("CanadianAboriginal", "Canadian Aboriginal syllabics (Cree, Inuktitut)"),
    _noto("Tifinagh", "Tifinagh (Tamazight)"),
    _noto("Vai", "Vai"),
    _noto("OlChiki", "Ol Chiki (Santali)"),
    Fallback("SSP-Noto-CJK", "vendor/noto-cjk/NotoSansCJK-Regular.ttc",
             "Chinese, Japanese and Korean (Han, kana, Hangul)",
             faces=(("ja", "NotoSansCJKjp-Regular"), ("ko", "NotoSansCJKkr-Regular"), ("", "NotoSansCJKsc-Regular"))),
    Fallback("SSP-Noto-Emoji", "vendor/noto/NotoColorEmoji.ttf", "emoji, in colour"),
    _noto("Math", "mathematical symbols"),
    _noto("Symbols", "symbols"),
    _noto("Symbols2", "more symbols (arrows, shapes, game pieces, Braille)"),
)


def _static(path: str) -> Path | None:
    found = finders.find(path)
    return Path(found) if found else None


def _cmap(path: Path) -> set[int]:
    if path.suffix == ".ttc":  # the faces of the CJK collection share their coverage
        collection = TTCollection(str(path), lazy=True)
        try:
            return set(collection.fonts[0].getBestCmap())
        finally:
            collection.close()
    with TTFont(str(path), lazy=True) as font:
        return set(font.getBestCmap())


@cache
def base_coverage() -> frozenset[int]:
    """What DejaVu Sans draws, in regular and bold both (read once per process: 15 ms)."""
    sets = [_cmap(path) for path in map(_static, BASE_FONTS) if path]
    return frozenset(set.intersection(*sets)) if sets else frozenset()


@cache
def fallback_coverage() -> dict[int, int]:
    """For every character DejaVu Sans lacks, the index in FALLBACKS of the first fallback that draws it. Read once
    per process (about 0.4 s), and only for a text DejaVu Sans cannot draw all of; render processes inherit it from
    the fork server (ssp/render_preload.py)."""
    base = base_coverage()
    first: dict[int, int] = {}
    for index, fallback in enumerate(FALLBACKS):
        path = _static(fallback.path)
        if path is None:
            continue
        for codepoint in _cmap(path):
            if codepoint not in base:
                first.setdefault(codepoint, index)
    return first


def needs_glyph(char: str) -> bool:
    return unicodedata.category(char) not in _NO_GLYPH and not char.isspace()


def fallbacks_for(chars: Iterable[str]) -> list[tuple[Fallback, str]]:
    """The fallbacks a text made of ``chars`` needs, in FALLBACKS order, each with its face ("" for a plain font)."""
    base = base_coverage()
    wanted = [c for c in set(chars) if ord(c) not in base and needs_glyph(c)]
    if not wanted:
        return []
    first = fallback_coverage()
    chosen = {first[ord(c)] for c in wanted if ord(c) in first}
    found = []
    for index in sorted(chosen):
        fallback = FALLBACKS[index]
        found.append((fallback, _face(fallback, wanted)))
    return found


def _face(fallback: Fallback, chars: list[str]) -> str:
    """The face of a collection for this text: Japanese if it has kana, Korean if it has Hangul, else the last one
    listed (Simplified Chinese for the CJK fonts: Han characters alone do not say which language they are)."""
    if not fallback.faces:
        return ""
    scripts = {_cjk_script(c) for c in chars}
    for script, face in fallback.faces:
        if not script or script in scripts:
            return face
    return fallback.faces[-1][1]


def _cjk_script(char: str) -> str:
    codepoint = ord(char)
    if 0x3040 <= codepoint <= 0x30FF or 0x31F0 <= codepoint <= 0x31FF or 0xFF66 <= codepoint <= 0xFF9F:
        return "ja"  # hiragana, katakana (and their extensions, half-width katakana)
    if 0xAC00 <= codepoint <= 0xD7AF or 0x1100 <= codepoint <= 0x11FF or 0x3130 <= codepoint <= 0x318F:
        return "ko"  # Hangul syllables and jamo
    return ""


def stylesheet(fallbacks: list[tuple[Fallback, str]], static_base: str) -> str:
    """The document's font stylesheet: the fallbacks' @font-face rules, and the font list of the whole document
    (the page margins included) with DejaVu Sans first."""
    rules = []
    for fallback, face in fallbacks:
        url = f"{static_base}{fallback.path}" + (f"#{face}" if face else "")
        rules.append(f'@font-face {{ font-family: {fallback.family}; src: url("{url}"); }}')
    families = ", ".join(['"SSP Sans"', *(fallback.family for fallback, _ in fallbacks)])
    rules.append(f"html {{ font-family: {families}; }}")
    return "\n".join(rules) + "\n"


def collection_face(path: Path, postscript_name: str) -> bytes:
    """One font of a TrueType/OpenType collection (.ttc) as a font file of its own: the collection's header points
    to each font's table directory; the font is that directory and the tables it points to, copied after it.

    WeasyPrint (through fontconfig) would register every font of a collection under the family name and use the
    first (Japanese for Noto CJK); the CSS way to choose one is a fragment (``url(fonts.ttc#PostScriptName)``).
    Raises ValueError if there is no such font."""
    data = path.read_bytes()
    if data[:4] != b"ttcf":
        raise ValueError("not a font collection")
    try:
        index = _collection_names(str(path)).index(postscript_name)
    except ValueError:
        raise ValueError("no such font in the collection") from None
    directory = struct.unpack_from(">I", data, 12 + 4 * index)[0]
    count = struct.unpack_from(">H", data, directory + 4)[0]
    records = [struct.unpack_from(">4sIII", data, directory + 12 + 16 * i) for i in range(count)]
    offset = 12 + 16 * count
    entries, tables = [], []
    for tag, checksum, start, length in records:
        if start + length > len(data):
            raise ValueError("a table runs past the end of the collection")
        entries.append(struct.pack(">4sIII", tag, checksum, offset, length))
        table = data[start:start + length] + b"\0" * (-length % 4)
        tables.append(table)
        offset += len(table)
    # The header's search fields depend only on the number of tables: kept as they were.
    return data[directory:directory + 12] + b"".join(entries) + b"".join(tables)


@cache
def _collection_names(path: str) -> list[str]:
    """The PostScript names of a collection's fonts, in order (read once per process)."""
    collection = TTCollection(path, lazy=True)
    try:
        return [font["name"].getDebugName(6) or "" for font in collection.fonts]
    finally:
        collection.close()
