"""WordprocessingML elements for render_docx, made with lxml directly.

python-docx's object layer costs more than the document itself where a plan has many small parts (style look-ups
by name, ``table.add_row``, a ``cell.width`` setter per cell, ``table.columns``); these functions write the same
XML in one pass. Text is set as element text, so lxml escapes it: user text never becomes markup, and a character
XML cannot hold raises instead of writing a broken file (the document model has removed them already).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from copy import deepcopy

from lxml import etree

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _w(tag: str) -> str:
    return f"{{{W_NS}}}{tag}"


P, PPR, PSTYLE, KEEP_NEXT, R, RPR, RSTYLE, T, TAB, BR = map(
    _w, ("p", "pPr", "pStyle", "keepNext", "r", "rPr", "rStyle", "t", "tab", "br"))
TBL, TBLPR, TBLSTYLE, TBLW, JC, TBLLAYOUT, TBLGRID, GRIDCOL = map(
    _w, ("tbl", "tblPr", "tblStyle", "tblW", "jc", "tblLayout", "tblGrid", "gridCol"))
TR, TRPR, CANT_SPLIT, TBL_HEADER, TC, TCPR, TCW, SHD = map(
    _w, ("tr", "trPr", "cantSplit", "tblHeader", "tc", "tcPr", "tcW", "shd"))
BOOKMARK_START, BOOKMARK_END, HYPERLINK, FLD_CHAR, INSTR_TEXT = map(
    _w, ("bookmarkStart", "bookmarkEnd", "hyperlink", "fldChar", "instrText"))
SECT_PR, PG_SZ, PG_MAR = map(_w, ("sectPr", "pgSz", "pgMar"))
VAL, W, H, TYPE, ID, NAME, ANCHOR, HISTORY, FILL, COLOR, ORIENT, FLD_CHAR_TYPE, LEFT, RIGHT = map(
    _w, ("val", "w", "h", "type", "id", "name", "anchor", "history", "fill", "color", "orient", "fldCharType",
         "left", "right"))
SPACE = "{http://www.w3.org/XML/1998/namespace}space"
PRESERVE = {SPACE: "preserve"}
SubElement = etree.SubElement

# --- Paragraphs, runs, links ------------------------------------------------------------------------------------


def paragraph(parent: etree._Element, style_id: str, text: str = "", *, keep_next: bool = False,
              bookmark: tuple[int, str] | None = None) -> etree._Element:
    """A paragraph of one style, with its text in one run; ``bookmark`` (id, name) marks the whole of it."""
    p = SubElement(parent, P)
    ppr = SubElement(p, PPR)
    SubElement(ppr, PSTYLE, {VAL: style_id})
    if keep_next:
        SubElement(ppr, KEEP_NEXT)
    if bookmark:
        SubElement(p, BOOKMARK_START, {ID: str(bookmark[0]), NAME: bookmark[1]})
    if text:
        run(p, text)
    if bookmark:
        SubElement(p, BOOKMARK_END, {ID: str(bookmark[0])})
    return p


def run(parent: etree._Element, text: str, style_id: str = "") -> etree._Element:
    """A run of text; tabs and line breaks become Word's own elements, as python-docx writes them."""
    r = SubElement(parent, R)
    if style_id:
        SubElement(SubElement(r, RPR), RSTYLE, {VAL: style_id})
    if "\t" in text or "\n" in text:
        for index, piece in enumerate(re.split(r"([\t\n])", text)):
            if index % 2:
                SubElement(r, TAB if piece == "\t" else BR)
            elif piece:
                SubElement(r, T, PRESERVE).text = piece
    else:
        SubElement(r, T, PRESERVE).text = text
    return r


def hyperlink(parent: etree._Element, bookmark: str, text: str, style_id: str = "") -> etree._Element:
    """An internal link to a bookmark of the document (no relationship, no address outside it)."""
    link = SubElement(parent, HYPERLINK, {ANCHOR: bookmark, HISTORY: "1"})
    run(link, text, style_id)
    return link


_NOT_IN_A_NAME_RE = re.compile(r"[^A-Za-z0-9_]")
BOOKMARK_MAX = 40  # Word's limit on a bookmark's name


def bookmark_name(anchor: str) -> str:
    """The Word bookmark for one of the document model's anchors ("poam-3-1-1" -> "poam_3_1_1"): letters, digits
    and underscores, starting with a letter, at most 40 characters. Links and bookmarks both name it through here."""
    name = _NOT_IN_A_NAME_RE.sub("_", anchor)
    if not name[:1].isalpha():
        name = "b_" + name
    return name[:BOOKMARK_MAX]


def field(parent: etree._Element, instruction: str, result: str = "") -> None:
    """A whole field (PAGE, NUMPAGES) with a placeholder result, in runs of ``parent``."""
    field_begin(parent, instruction)
    if result:
        run(parent, result)
    field_end(parent)


def field_begin(parent: etree._Element, instruction: str) -> None:
    SubElement(SubElement(parent, R), FLD_CHAR, {FLD_CHAR_TYPE: "begin"})
    SubElement(SubElement(parent, R), INSTR_TEXT, PRESERVE).text = f" {instruction} "
    SubElement(SubElement(parent, R), FLD_CHAR, {FLD_CHAR_TYPE: "separate"})


def field_end(parent: etree._Element) -> None:
    SubElement(SubElement(parent, R), FLD_CHAR, {FLD_CHAR_TYPE: "end"})


# --- Tables -----------------------------------------------------------------------------------------------------


def table(parent: etree._Element, style_id: str, widths: Sequence[int], *, align: str = "center") -> etree._Element:
    """An empty table of fixed column widths (twentieths of a point). The grid carries the same widths as the
    cells: LibreOffice and Google Docs lay a table out from its grid."""
    tbl = SubElement(parent, TBL)
    properties = SubElement(tbl, TBLPR)
    SubElement(properties, TBLSTYLE, {VAL: style_id})
    SubElement(properties, TBLW, {W: str(sum(widths)), TYPE: "dxa"})
    SubElement(properties, JC, {VAL: align})
    SubElement(properties, TBLLAYOUT, {TYPE: "fixed"})
    grid = SubElement(tbl, TBLGRID)
    for width in widths:
        SubElement(grid, GRIDCOL, {W: str(width)})
    return tbl


def row(tbl: etree._Element, widths: Sequence[int], texts: Sequence[str], styles: Sequence[str], *,
        fills: Sequence[str] = (), header: bool = False, keep_next: bool = False) -> etree._Element:
    """A row that never splits across pages; a header row repeats on each page. A header row, or one with
    ``keep_next``, stays on the page of the row after it. Each cell's text is one paragraph per line, in that
    cell's style; ``fills`` shade cells ("" for none)."""
    tr = SubElement(tbl, TR)
    properties = SubElement(tr, TRPR)
    SubElement(properties, CANT_SPLIT)
    if header:
        SubElement(properties, TBL_HEADER)
    for index, (width, text, style_id) in enumerate(zip(widths, texts, styles, strict=True)):
        tc = SubElement(tr, TC)
        cell_properties = SubElement(tc, TCPR)
        SubElement(cell_properties, TCW, {W: str(width), TYPE: "dxa"})
        if fills and fills[index]:
            SubElement(cell_properties, SHD, {VAL: "clear", COLOR: "auto", FILL: fills[index]})
        for line in text.split("\n"):
            paragraph(tc, style_id, line, keep_next=header or keep_next)
    return tr


def first_paragraph(tr: etree._Element) -> etree._Element:
    return tr.find(TC).find(P)


def mark(p: etree._Element, bookmark: tuple[int, str]) -> None:
    """Put a bookmark around the content of an existing paragraph."""
    p.insert(1, etree.Element(BOOKMARK_START, {ID: str(bookmark[0]), NAME: bookmark[1]}))
    SubElement(p, BOOKMARK_END, {ID: str(bookmark[0])})


def widths(total: int, percents: Sequence[int]) -> list[int]:
    """Column widths in twips for relative widths in percent of ``total``."""
    return [total * percent // 100 for percent in percents]


# --- Page set-up ------------------------------------------------------------------------------------------------


def page_setup(sect_pr: etree._Element, *, landscape: bool) -> etree._Element:
    """A copy of section properties (page size, margins, header and footer) turned to portrait or landscape."""
    copy = deepcopy(sect_pr)
    size = copy.find(PG_SZ)
    short, long = sorted((int(size.get(W)), int(size.get(H))))
    size.set(W, str(long if landscape else short))
    size.set(H, str(short if landscape else long))
    if landscape:
        size.set(ORIENT, "landscape")
    else:
        size.attrib.pop(ORIENT, None)
    return copy


def text_width(sect_pr: etree._Element) -> int:
    """The width between the margins, in twips."""
    margins = sect_pr.find(PG_MAR)
    return int(sect_pr.find(PG_SZ).get(W)) - int(margins.get(LEFT)) - int(margins.get(RIGHT))


def end_section(p: etree._Element, sect_pr: etree._Element) -> None:
    """Make ``p`` the last paragraph of a section with these properties (Word keeps a section's properties in its
    last paragraph; the last section's are the body's own)."""
    properties = p.find(PPR)
    if properties is None:
        properties = etree.Element(PPR)
        p.insert(0, properties)
    properties.append(sect_pr)
