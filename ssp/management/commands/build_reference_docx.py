"""Write ssp/templates_docx/reference.docx: the Word styles every generated SSP and POA&M DOCX uses.

Run once after changing a style here, then commit the .docx: ``python manage.py build_reference_docx``.
The renderer (ssp/render_docx.py) only applies styles by name and never defines one, so a firm can also restyle
its plans by editing this file in Word (keeping the style names).
"""

from pathlib import Path

from django.core.management.base import BaseCommand
from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Inches, Pt, RGBColor

from ssp.render_docx import REFERENCE

NAVY = RGBColor(0x1F, 0x38, 0x64)
RED = RGBColor(0xB0, 0x00, 0x20)
GREY = RGBColor(0x44, 0x44, 0x44)
LINK = RGBColor(0x05, 0x63, 0xC1)
FONT = "Calibri"
# Fonts for the text Calibri does not cover, named explicitly (not through the theme, which names none for these
# scripts): Word uses the eastAsia font for Chinese, Japanese and Korean, the cs font for complex scripts (Arabic,
# Hebrew, Indic, Thai); LibreOffice reads them as its Asian and CTL fonts. Both are free fonts (Debian's
# fonts-noto-cjk and fonts-noto-core); where one is missing, each program's own font fallback takes over.
EAST_ASIAN_FONT = "Noto Sans CJK SC"
COMPLEX_SCRIPT_FONT = "Noto Sans"


def _paragraph_style(styles, name: str, *, base: str = "Normal", size: float | None = None, bold: bool = False,
                     italic: bool = False, color: RGBColor | None = None, align=None, space_after: float | None = None,
                     space_before: float | None = None, keep_with_next: bool = False, indent: float | None = None):
    style = styles[name] if name in [s.name for s in styles] else styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = styles[base] if name != base else None
    style.quick_style = True
    font = style.font
    font.name = FONT
    _script_fonts(style.element.get_or_add_rPr())
    if size:
        font.size = Pt(size)
    font.bold = bold or None
    font.italic = italic or None
    if color is not None:
        font.color.rgb = color
    fmt = style.paragraph_format
    if align is not None:
        fmt.alignment = align
    if space_after is not None:
        fmt.space_after = Pt(space_after)
    if space_before is not None:
        fmt.space_before = Pt(space_before)
    if keep_with_next:
        fmt.keep_with_next = True
    if indent is not None:
        fmt.left_indent = Inches(indent)
    return style


def _script_fonts(rpr) -> None:
    """Name the East Asian and complex-script fonts; a theme font would take precedence over them, so none stays."""
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for theme in ("w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(theme), None)
    fonts.set(qn("w:eastAsia"), EAST_ASIAN_FONT)
    fonts.set(qn("w:cs"), COMPLEX_SCRIPT_FONT)


def _shade(style, fill: str, border: str) -> None:
    """A box around a paragraph style (the starting-text flag)."""
    ppr = style.element.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    for side in ("top", "left", "bottom", "right"):
        edge = OxmlElement(f"w:{side}")
        for key, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "4"), ("w:color", border)):
            edge.set(qn(key), value)
        borders.append(edge)
    ppr.append(borders)
    shading = OxmlElement("w:shd")
    for key, value in (("w:val", "clear"), ("w:color", "auto"), ("w:fill", fill)):
        shading.set(qn(key), value)
    ppr.append(shading)


def build(path: Path) -> None:
    document = Document()
    styles = document.styles
    section = document.sections[0]
    section.page_width, section.page_height = Inches(8.5), Inches(11)
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Inches(0.9))
    section.top_margin, section.bottom_margin = Inches(1.0), Inches(0.9)
    section.header_distance = section.footer_distance = Inches(0.35)

    defaults = styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    _script_fonts(defaults)
    _paragraph_style(styles, "Normal", size=10, space_after=4)
    _paragraph_style(styles, "Title", size=26, bold=True, color=NAVY, align=WD_ALIGN_PARAGRAPH.CENTER,
                     space_before=120, space_after=6)
    _paragraph_style(styles, "Subtitle", size=16, color=GREY, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=30)
    heading1 = _paragraph_style(styles, "Heading 1", size=15, bold=True, color=NAVY, space_before=0, space_after=8,
                                keep_with_next=True)
    heading1.paragraph_format.page_break_before = True
    _paragraph_style(styles, "Heading 2", size=12, bold=True, color=NAVY, space_before=12, space_after=4,
                     keep_with_next=True)
    _paragraph_style(styles, "Heading 3", size=10.5, bold=True, color=RGBColor(0, 0, 0), space_before=10,
                     space_after=3, keep_with_next=True)
    _paragraph_style(styles, "Header", size=7.5, color=GREY, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=0)
    _paragraph_style(styles, "Footer", size=7.5, color=GREY, align=WD_ALIGN_PARAGRAPH.RIGHT, space_after=0)
    _paragraph_style(styles, "Caption", size=8.5, italic=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    _paragraph_style(styles, "List Bullet", size=10)
    _paragraph_style(styles, "TOC Heading", base="Heading 1", size=15, bold=True, color=NAVY)
    _paragraph_style(styles, "TOC 1", space_before=4, space_after=2)
    _paragraph_style(styles, "TOC 2", space_after=2, indent=0.25)

    # Our own styles: the renderer uses these names and no others (tests check it).
    _paragraph_style(styles, "SSP Banner", size=9, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=0)
    _paragraph_style(styles, "SSP Draft", size=11, bold=True, color=RED, align=WD_ALIGN_PARAGRAPH.RIGHT,
                     space_after=0)
    _paragraph_style(styles, "SSP Title Draft", size=11, bold=True, color=RED, align=WD_ALIGN_PARAGRAPH.CENTER,
                     space_before=36)
    _paragraph_style(styles, "SSP Instruction", italic=True, color=GREY)
    _paragraph_style(styles, "SSP Body")
    # A requirement's statement and detail lines keep with what follows, so its status never ends a page alone.
    _paragraph_style(styles, "SSP Requirement", italic=True, keep_with_next=True)
    _paragraph_style(styles, "SSP Detail", space_after=1, keep_with_next=True)
    _paragraph_style(styles, "SSP Subhead", bold=True, space_before=4, space_after=1, keep_with_next=True)
    _paragraph_style(styles, "SSP Description", space_after=2)
    flag = _paragraph_style(styles, "SSP Flag", size=8.5, bold=True, color=RGBColor(0x7A, 0x3E, 0x00),
                            space_before=3, space_after=3)
    _shade(flag, "FFF4E5", "B35C00")
    _paragraph_style(styles, "SSP Table Text", size=9, space_after=0)
    _paragraph_style(styles, "SSP Table Small", size=7.5, space_after=0)
    _paragraph_style(styles, "SSP Table Heading", size=9, bold=True, space_after=0)
    _paragraph_style(styles, "SSP Table Small Heading", size=7.5, bold=True, space_after=0)
    # The approval page's signature line: room above it to sign.
    _paragraph_style(styles, "SSP Signature", space_before=30, space_after=2, keep_with_next=True)
    # The gap above the cover's CUI designation indicator, which stands lower on the page.
    _paragraph_style(styles, "SSP Cover Gap", space_before=36, space_after=0)
    label = styles.add_style("SSP Label", WD_STYLE_TYPE.CHARACTER)
    label.font.bold = True
    link = styles.add_style("Hyperlink", WD_STYLE_TYPE.CHARACTER)
    link.font.color.rgb = LINK
    link.font.underline = True

    core = document.core_properties
    core.author = core.last_modified_by = ""
    core.title, core.comments = "System Security Plan", ""
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(path))


class Command(BaseCommand):
    help = "Write the Word reference document that defines every style of the generated SSP."

    def add_arguments(self, parser):
        parser.add_argument("--output", default=str(REFERENCE))

    def handle(self, *args, **options):
        build(Path(options["output"]))
        self.stdout.write(f"wrote {options['output']}")
