"""The SSP (and the POA&M alone) as DOCX: the document model written with python-docx into the reference document.

ssp/templates_docx/reference.docx (made by ``manage.py build_reference_docx``) defines every style used here;
this module only applies styles by name, from ``STYLES``, and never defines one. Text arrives cleaned by the
document model (no XML-illegal characters), and python-docx escapes it: user text never becomes markup.

The table of contents is a Word TOC field whose stored result already lists the headings, so it reads well before
Word recalculates it; the document asks Word to update fields (page numbers) when it is opened.
"""

from __future__ import annotations

import io
from datetime import datetime, time
from pathlib import Path

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Inches
from docx.table import Table as DocxTable
from docx.text.paragraph import Paragraph as DocxParagraph

from .blocks import (
    BulletList,
    Fields,
    Figure,
    Heading,
    Paragraph,
    RequirementEntry,
    Section,
    SspDocument,
    Table,
    cells,
)

REFERENCE = Path(__file__).resolve().parent / "templates_docx" / "reference.docx"
TABLE_STYLE = "Table Grid"
STYLES = frozenset({
    "Normal", "Title", "Subtitle", "Heading 1", "Heading 2", "Heading 3", "Header", "Footer", "Caption",
    "List Bullet", "TOC Heading", "TOC 1", "TOC 2", TABLE_STYLE, "SSP Banner", "SSP Draft", "SSP Title Draft",
    "SSP Instruction", "SSP Body", "SSP Requirement", "SSP Detail", "SSP Subhead", "SSP Description", "SSP Flag",
    "SSP Table Text", "SSP Table Small", "SSP Table Heading", "SSP Label",
})
PARAGRAPH_STYLES = {"body": "SSP Body", "instruction": "SSP Instruction", "flag": "SSP Flag"}
TEXT_WIDTH = Inches(6.7)  # letter width less the reference document's margins


def render(doc: SspDocument) -> bytes:
    writer = _Writer(doc)
    writer.title_page(doc.title)
    writer.contents()
    for section in doc.sections:
        writer.section(section)
    return writer.save()


def render_poam(doc: SspDocument) -> bytes:
    """The POA&M alone: the title page then the appendix's content, with the same header and footer."""
    writer = _Writer(doc)
    writer.title_page("Plan of Action and Milestones")
    writer.section(doc.poam_section)
    return writer.save()


class _Writer:
    def __init__(self, doc: SspDocument):
        self.doc = doc
        self.document = Document(str(REFERENCE))
        # Style ids by name, looked up once: python-docx resolves a name by scanning every style, which was three
        # quarters of the render time.
        self.style_ids = {style.name: style.style_id for style in self.document.styles}
        self._properties()
        self._header_footer()

    # --- Paragraphs and runs ---

    def style_id(self, name: str) -> str:
        if name not in STYLES:
            raise KeyError(f"style {name!r} is not in render_docx.STYLES")
        return self.style_ids[name]  # KeyError if the reference document lacks it

    def paragraph(self, text: str, style: str, container=None) -> DocxParagraph:
        paragraph = (container if container is not None else self.document).add_paragraph()
        paragraph._p.style = self.style_id(style)
        if text:
            paragraph.add_run(text)
        return paragraph

    def lines(self, text: str, style: str) -> None:
        """One paragraph per line, as a reader would edit it in Word."""
        for line in text.split("\n"):
            self.paragraph(line, style)

    # --- Parts ---

    def _properties(self) -> None:
        doc, core = self.doc, self.document.core_properties
        core.title = f"{doc.title}: {doc.system_name}" if doc.system_name else doc.title
        core.author = core.last_modified_by = doc.organization
        core.version = doc.version
        core.created = core.modified = datetime.combine(doc.date, time(12, 0))
        core.revision = 1
        _update_fields_on_open(self.document)

    def _header_footer(self) -> None:
        doc = self.doc
        section = self.document.sections[0]
        header = section.header
        lines = ([("CUI", "SSP Banner")] if doc.cui_banner else []) + [(doc.header_text, "Header")]
        if doc.draft:
            lines.append(("DRAFT", "SSP Draft"))
        for index, (text, style) in enumerate(lines):
            if index == 0:
                paragraph = header.paragraphs[0]
                paragraph._p.style = self.style_id(style)
                paragraph.add_run(text)
            else:
                self.paragraph(text, style, header)
        footer = section.footer
        page = footer.paragraphs[0]
        page._p.style = self.style_id("Footer")
        page.add_run("Page ")
        _field(page, "PAGE", "1")
        page.add_run(" of ")
        _field(page, "NUMPAGES", "1")
        if doc.cui_banner:
            self.paragraph("CUI", "SSP Banner", footer)

    def title_page(self, title: str) -> None:
        doc = self.doc
        if doc.cui_banner:
            self.paragraph("CUI", "SSP Banner")
        self.paragraph(title, "Title")
        self.paragraph(doc.display_name, "Subtitle")
        self.fields(doc.title_fields)
        if doc.draft:
            count = len(doc.issues)
            self.paragraph(f"DRAFT: this plan is not final. {count} item{'' if count == 1 else 's'} still missing.",
                           "SSP Title Draft")

    def contents(self) -> None:
        self.paragraph("Table of contents", "TOC Heading")
        entries = self.doc.contents
        for index, (level, text, _anchor) in enumerate(entries):
            paragraph = self.paragraph("", f"TOC {level}")
            if index == 0:
                _field_begin(paragraph, 'TOC \\o "1-2" \\h \\z \\u')
            paragraph.add_run(text)
            if index == len(entries) - 1:
                _field_end(paragraph)

    def section(self, section: Section) -> None:
        self.paragraph(section.full, "Heading 1")
        for block in section.blocks:
            if isinstance(block, Heading):
                self.paragraph(block.full, "Heading 2" if block.level == 2 else "Heading 3")
            elif isinstance(block, Paragraph):
                self.lines(block.text, PARAGRAPH_STYLES[block.style])
            elif isinstance(block, Fields):
                self.fields(block.rows)
            elif isinstance(block, BulletList):
                for item in block.items:
                    self.paragraph(item, "List Bullet")
                if not block.items:
                    self.paragraph(block.empty, "SSP Body")
            elif isinstance(block, Table):
                self.table(block)
            elif isinstance(block, Figure):
                self.document.add_picture(io.BytesIO(block.data), width=_figure_width(block))
                self.paragraph(block.caption, "Caption")
            elif isinstance(block, RequirementEntry):
                self.requirement(block)

    def requirement(self, entry: RequirementEntry) -> None:
        self.paragraph(entry.heading, "Heading 3")
        self.paragraph(entry.text, "SSP Requirement")
        label_style = self.style_id("SSP Label")
        for detail in entry.details:
            paragraph = self.paragraph("", "SSP Detail")
            paragraph.add_run(f"{detail.label}:")._r.style = label_style
            paragraph.add_run(f" {detail.value}")
        if entry.starting_text_pending:
            self.paragraph(entry.flag_text, "SSP Flag")
        self.paragraph(entry.description_label, "SSP Subhead")
        self.lines(entry.description_text, "SSP Description")
        if entry.is_na:
            self.paragraph("Rationale for not applicable", "SSP Subhead")
            self.lines(entry.rationale_text, "SSP Description")

    # --- Tables ---

    def _cell(self, cell, text: str, style: str) -> None:
        lines = text.split("\n")
        first = cell.paragraphs[0]
        first._p.style = self.style_id(style)
        if lines[0]:
            first.add_run(lines[0])
        for line in lines[1:]:
            self.paragraph(line, style, cell)

    def _new_table(self, rows: int, cols: int) -> DocxTable:
        table = self.document.add_table(rows=rows, cols=cols)
        table._tbl.tblPr.style = self.style_id(TABLE_STYLE)
        return table

    def fields(self, rows: tuple[tuple[str, str], ...]) -> None:
        table = self._new_table(0, 2)
        for label, value in rows:
            cells = table.add_row().cells
            self._cell(cells[0], label, "SSP Table Heading")
            self._cell(cells[1], value, "SSP Table Text")
        _widths(table, (35, 65))
        self.paragraph("", "SSP Body")

    def table(self, block: Table) -> None:
        if not block.rows:
            self.paragraph(block.empty, "SSP Body")
            return
        text_style = "SSP Table Small" if block.small else "SSP Table Text"
        table = self._new_table(1, len(block.headers))
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        for cell, header in zip(table.rows[0].cells, block.headers, strict=True):
            self._cell(cell, header, "SSP Table Heading")
        _repeat_header(table.rows[0])
        for row in block.rows:
            for cell, value in zip(table.add_row().cells, cells(row), strict=True):
                self._cell(cell, value, text_style)
        _widths(table, block.widths)
        self.paragraph("", "SSP Body")

    def save(self) -> bytes:
        buffer = io.BytesIO()
        self.document.save(buffer)
        return buffer.getvalue()


# --- Low-level helpers ------------------------------------------------------------------------------------------


def _widths(table: DocxTable, percents: tuple[int, ...]) -> None:
    table.autofit = False
    for column, percent in zip(table.columns, percents, strict=True):
        width = int(TEXT_WIDTH * percent / 100)
        for cell in column.cells:
            cell.width = width


def _repeat_header(row) -> None:
    marker = OxmlElement("w:tblHeader")
    marker.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(marker)


def _figure_width(figure: Figure) -> int:
    # Full text width for wide images; a small one is not enlarged beyond its size at 150 dpi.
    return min(TEXT_WIDTH, Inches(figure.width / 150))


def _fld_char(kind: str) -> OxmlElement:
    element = OxmlElement("w:fldChar")
    element.set(qn("w:fldCharType"), kind)
    return element


def _field_begin(paragraph: DocxParagraph, instruction: str) -> None:
    paragraph.add_run()._r.append(_fld_char("begin"))
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    paragraph.add_run()._r.append(instr)
    paragraph.add_run()._r.append(_fld_char("separate"))


def _field_end(paragraph: DocxParagraph) -> None:
    paragraph.add_run()._r.append(_fld_char("end"))


def _field(paragraph: DocxParagraph, instruction: str, placeholder: str) -> None:
    _field_begin(paragraph, instruction)
    paragraph.add_run(placeholder)
    _field_end(paragraph)


def _update_fields_on_open(document) -> None:
    settings = document.settings.element
    element = settings.find(qn("w:updateFields"))
    if element is None:
        element = OxmlElement("w:updateFields")
        settings.append(element)
    element.set(qn("w:val"), "true")
