"""The SSP (and the POA&M alone) as DOCX: the document model written into the reference document.

ssp/templates_docx/reference.docx (made by ``manage.py build_reference_docx``) defines every style used here;
this module only applies styles by name, from ``STYLES``, and never defines one. The body is written as
WordprocessingML with lxml (ssp/wordml.py), python-docx opening the reference and saving the package. Text arrives
cleaned by the document model (no XML-illegal characters) and is set as element text: user text never becomes
markup.

The table of contents is a Word TOC field whose stored result is filled: each entry is an internal link to its
heading's bookmark, so it reads and navigates well as it is, in Word, LibreOffice and Google Docs alike. It has no
page numbers: only a layout engine knows them, and the writer has none. A guessed number would be wrong, and asking
Word to update the fields when the file opens (``w:updateFields``) makes Word ask the reader first whether to update
fields that "may refer to other files", an alarming prompt for a security plan. The field stays in place, so
Word's "Update Field" (LibreOffice: Update Index) adds the page numbers when the reader wants them. The footer's
PAGE and NUMPAGES fields need no prompt: every reader computes them as it lays out the pages.
"""

from __future__ import annotations

import io
from datetime import datetime, time
from functools import cache
from pathlib import Path

from docx import Document
from docx.shared import Emu

from . import wordml
from .blocks import (
    BulletList,
    Fields,
    Figure,
    Heading,
    Paragraph,
    PoamRow,
    RequirementEntry,
    Section,
    Signature,
    SspDocument,
    Table,
    cells,
    long_date,
)

REFERENCE = Path(__file__).resolve().parent / "templates_docx" / "reference.docx"
TABLE_STYLE = "Table Grid"
STYLES = frozenset({
    "Normal", "Title", "Subtitle", "Heading 1", "Heading 2", "Heading 3", "Header", "Footer", "Caption",
    "List Bullet", "TOC Heading", "TOC 1", "TOC 2", TABLE_STYLE, "Hyperlink", "SSP Banner", "SSP Draft",
    "SSP Title Draft", "SSP Instruction", "SSP Body", "SSP Requirement", "SSP Detail", "SSP Subhead",
    "SSP Description", "SSP Flag", "SSP Table Text", "SSP Table Small", "SSP Table Heading",
    "SSP Table Small Heading", "SSP Label",
    "SSP Signature", "SSP Cover Gap",
})
PARAGRAPH_STYLES = {"body": "SSP Body", "instruction": "SSP Instruction", "flag": "SSP Flag"}
POAM_TITLE = "Plan of Action and Milestones"
HEADER_FILL = "D9E2F3"  # a table's header row
LABEL_FILL = "F2F5FA"  # the label column of a two-column fields table
FIELDS_WIDTHS = (35, 65)
DESIGNATION_SHARE = 58  # percent of the text width the cover's CUI designation indicator takes, at the right
OBJECTIVE_WIDTHS = {2: (12, 88), 3: (12, 70, 18)}
BLANK = "_" * 36  # a line to write on
EMU_PER_TWIP = 635


def render(doc: SspDocument) -> bytes:
    writer = _Writer(doc, doc.header_text)
    writer.title_page(doc.title)
    writer.contents()
    for section in doc.sections:
        writer.section(section)
    return writer.save()


def render_poam(doc: SspDocument) -> bytes:
    """The POA&M alone, landscape throughout: its title page then the appendix's content."""
    header = f"{doc.display_name.upper()} PLAN OF ACTION AND MILESTONES — Last updated {doc.date_text}"
    writer = _Writer(doc, header, title=POAM_TITLE, landscape=True)
    writer.title_page(POAM_TITLE)
    writer.section(doc.poam_section)
    return writer.save()


@cache
def _reference() -> tuple[bytes, dict[str, str]]:
    """The reference document's bytes and its style ids by name, read once: python-docx resolves a style name by
    scanning every style."""
    data = REFERENCE.read_bytes()
    document = Document(io.BytesIO(data))
    return data, {style.name: style.style_id for style in document.styles}


class _Writer:
    def __init__(self, doc: SspDocument, header_text: str, *, title: str = "", landscape: bool = False):
        self.doc = doc
        data, self.style_ids = _reference()
        self.document = Document(io.BytesIO(data))
        self._properties(title or doc.title)
        self._header_footer(header_text)
        # The body's own section properties (the last section's) go back at the end, after everything written.
        self.body = self.document.element.body
        self.portrait = self.body.find(wordml.SECT_PR)
        self.body.remove(self.portrait)
        self.landscape = landscape
        self.widths = {turned: wordml.text_width(self._page(turned)) for turned in (False, True)}
        self.bookmarks = 0
        self.ids = {name: self.style_id(name) for name in STYLES}

    # --- Parts ---

    def style_id(self, name: str) -> str:
        if name not in STYLES:
            raise KeyError(f"style {name!r} is not in render_docx.STYLES")
        return self.style_ids[name]  # KeyError if the reference document lacks it

    def _properties(self, title: str) -> None:
        doc, core = self.doc, self.document.core_properties
        core.title = f"{title}: {doc.system_name}" if doc.system_name else title
        core.author = core.last_modified_by = doc.organization
        core.version = doc.version
        core.created = core.modified = datetime.combine(doc.date, time(12, 0))
        core.revision = 1

    def _header_footer(self, header_text: str) -> None:
        doc = self.doc
        section = self.document.sections[0]
        lines = ([("CUI", "SSP Banner")] if doc.cui_banner else []) + [(header_text, "Header")]
        if doc.draft:
            lines.append(("DRAFT", "SSP Draft"))
        self._fill(section.header._element, lines)
        footer = section.footer._element
        self._fill(footer, [("Page ", "Footer")])
        page = footer.findall(wordml.P)[-1]
        wordml.field(page, "PAGE", "1")
        wordml.run(page, " of ")
        wordml.field(page, "NUMPAGES", "1")
        if doc.cui_banner:
            wordml.paragraph(footer, self.style_id("SSP Banner"), "CUI")

    def _fill(self, part, lines: list[tuple[str, str]]) -> None:
        """The lines of a header or footer, replacing the empty paragraph python-docx makes it with."""
        for p in part.findall(wordml.P):
            part.remove(p)
        for text, style in lines:
            wordml.paragraph(part, self.style_id(style), text)

    def p(self, text: str, style: str, **options) -> object:
        return wordml.paragraph(self.body, self.ids[style], text, **options)

    def lines(self, text: str, style: str) -> None:
        """One paragraph per line, as a reader would edit it in Word."""
        style_id = self.ids[style]
        for line in text.split("\n"):
            wordml.paragraph(self.body, style_id, line)

    def bookmark(self, anchor: str) -> tuple[int, str]:
        self.bookmarks += 1
        return self.bookmarks, wordml.bookmark_name(anchor)

    @property
    def text_width(self) -> int:
        return self.widths[self.landscape]

    def _page(self, landscape: bool):
        return wordml.page_setup(self.portrait, landscape=landscape)

    def title_page(self, title: str) -> None:
        doc = self.doc
        if doc.cui_banner:
            self.p("CUI", "SSP Banner")
        self.p(title, "Title")
        self.p(doc.display_name, "Subtitle")
        self.fields(doc.title_fields)
        if doc.draft:
            count = len(doc.issues)
            self.p(f"DRAFT: this plan is not final. {count} item{'' if count == 1 else 's'} still missing.",
                   "SSP Title Draft")
            for item in doc.open_items:
                self.p(item, "List Bullet")
        if doc.designation:
            # Lower on the page, at the right, and in one piece (each row keeps with the next).
            self.p("", "SSP Cover Gap", keep_next=True)
            width = self.text_width * DESIGNATION_SHARE // 100
            self.fields(tuple((f"{label}:", value) for label, value in doc.designation), total=width,
                        align="right", spacer=False, together=True)

    def contents(self) -> None:
        """The TOC field, its result filled with links to the headings' bookmarks (see the module docstring)."""
        self.p("Table of contents", "TOC Heading")
        entries = self.doc.contents
        for index, (level, text, anchor) in enumerate(entries):
            paragraph = self.p("", f"TOC {level}")
            if index == 0:
                wordml.field_begin(paragraph, 'TOC \\o "1-2" \\h \\z \\u')
            wordml.hyperlink(paragraph, wordml.bookmark_name(anchor), text)
            if index == len(entries) - 1:
                wordml.field_end(paragraph)

    def section(self, section: Section) -> None:
        if section.landscape != self.landscape:
            self._end_section()
            self.landscape = section.landscape
        self.p(section.full, "Heading 1", bookmark=self.bookmark(section.anchor))
        for block in section.blocks:
            if isinstance(block, Heading):
                self.p(block.full, "Heading 2" if block.level == 2 else "Heading 3",
                       bookmark=self.bookmark(block.anchor))
            elif isinstance(block, Paragraph):
                self.lines(block.text, PARAGRAPH_STYLES[block.style])
            elif isinstance(block, Fields):
                self.fields(block.rows)
            elif isinstance(block, BulletList):
                for item in block.items:
                    self.p(item, "List Bullet")
                if not block.items:
                    self.p(block.empty, "SSP Body")
            elif isinstance(block, Table):
                self.table(block)
            elif isinstance(block, Figure):
                self.figure(block)
            elif isinstance(block, RequirementEntry):
                self.requirement(block)
            elif isinstance(block, Signature):
                self.signature(block)

    def _end_section(self) -> None:
        """Close the pages written so far as one Word section in the current orientation."""
        last = self.body[-1] if len(self.body) and self.body[-1].tag == wordml.P else self.p("", "SSP Body")
        wordml.end_section(last, self._page(self.landscape))

    def requirement(self, entry: RequirementEntry) -> None:
        self.p(entry.heading, "Heading 3", bookmark=self.bookmark(entry.anchor))
        self.p(entry.text, "SSP Requirement")
        label, link = self.ids["SSP Label"], self.ids["Hyperlink"]
        for detail in entry.details:
            paragraph = self.p("", "SSP Detail")
            wordml.run(paragraph, f"{detail.label}:", label)
            if detail.link:
                wordml.run(paragraph, " ")
                wordml.hyperlink(paragraph, wordml.bookmark_name(detail.link), detail.value, link)
            else:
                wordml.run(paragraph, f" {detail.value}")
        if entry.objectives:
            self.objectives(entry)
        if entry.starting_text_pending:
            self.p(entry.flag_text, "SSP Flag")
        if entry.shows_description:
            self.p(entry.description_label, "SSP Subhead")
            self.lines(entry.description_text, "SSP Description")
        if entry.is_na:
            self.p("Rationale for not applicable", "SSP Subhead")
            self.lines(entry.rationale_text, "SSP Description")

    def objectives(self, entry: RequirementEntry) -> None:
        """The SP 800-171A assessment objectives, with their determination in objective mode."""
        assessed = any(line.status for line in entry.objectives)
        headers = ("Objective", "Determination statement", "Status")[:3 if assessed else 2]
        rows = [(f"[{line.letter}]", line.text, line.status)[:len(headers)] for line in entry.objectives]
        self.grid(headers, rows, OBJECTIVE_WIDTHS[len(headers)], "SSP Table Text", spacer=False)

    def signature(self, block: Signature) -> None:
        """The approval page's signature block: the approver, a line to sign and the date (a line if none)."""
        label = self.ids["SSP Label"]
        lines = (("Name", block.name or BLANK, "SSP Detail"), ("Title", block.title or BLANK, "SSP Detail"),
                 ("Signature", BLANK, "SSP Signature"), ("Date", long_date(block.date) or BLANK, "SSP Body"))
        for name, value, style in lines:
            paragraph = self.p("", style)
            wordml.run(paragraph, f"{name}:", label)
            wordml.run(paragraph, f" {value}")

    def figure(self, figure: Figure) -> None:
        # Full text width for wide images; a small one is not enlarged beyond its size at 150 dpi.
        width = min(self.text_width * EMU_PER_TWIP, int(Emu(914400) * figure.width / 150))
        self.document.add_picture(io.BytesIO(figure.data), width=Emu(width))
        self.p(figure.caption, "Caption")

    # --- Tables ---

    def fields(self, rows: tuple[tuple[str, str], ...], *, total: int = 0, align: str = "center",
               spacer: bool = True, together: bool = False) -> None:
        """Label and value in two columns, the labels shaded; ``together``: kept on one page."""
        widths = wordml.widths(total or self.text_width, FIELDS_WIDTHS)
        tbl = wordml.table(self.body, self.ids[TABLE_STYLE], widths, align=align)
        styles = (self.ids["SSP Table Heading"], self.ids["SSP Table Text"])
        for index, (label, value) in enumerate(rows, start=1):
            wordml.row(tbl, widths, (label, value), styles, fills=(LABEL_FILL, ""),
                       keep_next=together and index < len(rows))
        if spacer:
            self.p("", "SSP Body")

    def table(self, block: Table) -> None:
        if not block.rows:
            self.p(block.empty, "SSP Body")
            return
        style = "SSP Table Small" if block.small else "SSP Table Text"
        tbl = self.grid(block.headers, [cells(row) for row in block.rows], block.widths, style)
        if isinstance(block.rows[0], PoamRow):
            # Each row carries its bookmark: the requirement blocks link to it.
            for tr, row in zip(tbl.findall(wordml.TR)[1:], block.rows, strict=True):
                wordml.mark(wordml.first_paragraph(tr), self.bookmark(row.anchor))

    def grid(self, headers, rows, percents, style: str, *, spacer: bool = True):
        """A table with a shaded header row that repeats on each page."""
        widths = wordml.widths(self.text_width, percents)
        tbl = wordml.table(self.body, self.ids[TABLE_STYLE], widths)
        heading = self.ids["SSP Table Small Heading" if style == "SSP Table Small" else "SSP Table Heading"]
        wordml.row(tbl, widths, headers, (heading,) * len(headers), fills=(HEADER_FILL,) * len(headers),
                   header=True)
        text = (self.ids[style],) * len(headers)
        for values in rows:
            wordml.row(tbl, widths, values, text)
        if spacer:
            self.p("", "SSP Body")
        return tbl

    def save(self) -> bytes:
        self.body.append(self._page(self.landscape))
        buffer = io.BytesIO()
        self.document.save(buffer)
        return buffer.getvalue()
