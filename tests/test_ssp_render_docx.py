import io
import re
import zipfile
from datetime import date

import pytest
from docx import Document
from lxml import etree
from PIL import Image

from assessments.models import Answer, ObjectiveAnswer
from controls.models import Objective
from ssp import render_docx
from ssp.blocks import POAM_HEADERS, POAM_WIDTHS, clean
from ssp.document import build_document
from ssp.management.commands.build_reference_docx import build
from ssp.models import NetworkDiagram, SystemSecurityPlan
from ssp.wordml import bookmark_name

from .ssp_helpers import HOSTILE, XML_ILLEGAL, answer_all, complete, docx_body_text, plan_for, start_assessment

pytestmark = pytest.mark.django_db
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


@pytest.fixture
def ssp(client) -> SystemSecurityPlan:
    assessment = start_assessment(client)
    answer_all(assessment, not_met=("3.1.3",), na=("3.1.16",))
    return complete(plan_for(assessment))


def read(body: bytes) -> Document:
    return Document(io.BytesIO(body))


def xml(body: bytes, part: str = "word/document.xml") -> etree._Element:
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        return etree.fromstring(archive.read(part))


def text(element: etree._Element) -> str:
    return "".join(t.text or "" for t in element.iter(W + "t"))


def word_sections(root: etree._Element) -> list[tuple[etree._Element, list[etree._Element]]]:
    """The body in its Word sections: (section properties, the paragraphs and tables in it)."""
    found, current = [], []
    for child in root.find(W + "body"):
        if child.tag == W + "sectPr":
            found.append((child, current))
            continue
        current.append(child)
        properties = child.find(f"{W}pPr/{W}sectPr")
        if properties is not None:
            found.append((properties, current))
            current = []
    return found


def text_width(properties: etree._Element) -> int:
    margins = properties.find(W + "pgMar")
    return int(properties.find(W + "pgSz").get(W + "w")) - int(margins.get(W + "left")) - int(margins.get(W + "right"))


def cell_text(tc: etree._Element) -> str:
    return "\n".join(text(p) for p in tc.iter(W + "p"))


def grid(tbl: etree._Element) -> list[int]:
    return [int(col.get(W + "w")) for col in tbl.iter(W + "gridCol")]


def table_starting(root: etree._Element, first_cell: str) -> etree._Element:
    return next(t for t in root.iter(W + "tbl") if text(t.find(f"{W}tr/{W}tc")) == first_cell)


def styles_used(document: Document) -> set[str]:
    used = set()
    parts = [document.element.body] + [s.header._element for s in document.sections] + \
            [s.footer._element for s in document.sections]
    ids = {s.style_id: s.name for s in document.styles}
    for part in parts:
        for tag in ("pStyle", "rStyle", "tblStyle"):
            for element in part.iter(W + tag):
                used.add(ids[element.get(W + "val")])
    return used


def test_every_style_used_is_defined_in_the_reference_document_and_none_is_added(ssp):
    body = render_docx.render(build_document(ssp))
    reference = Document(str(render_docx.REFERENCE))
    document = read(body)
    used = styles_used(document)
    assert used <= {s.name for s in reference.styles}
    assert used <= render_docx.STYLES
    assert {"Heading 3", "SSP Detail", "SSP Label", "SSP Description", "Table Grid", "Header", "Hyperlink",
            "SSP Signature", "SSP Table Small Heading"} <= used
    assert len(document.styles) == len(reference.styles)


def test_the_committed_reference_document_is_what_the_builder_makes(tmp_path):
    build(tmp_path / "reference.docx")
    with zipfile.ZipFile(tmp_path / "reference.docx") as fresh, zipfile.ZipFile(render_docx.REFERENCE) as committed:
        assert fresh.read("word/styles.xml") == committed.read("word/styles.xml")
        assert fresh.read("word/document.xml") == committed.read("word/document.xml")


def test_styles_name_fonts_for_east_asian_and_complex_scripts_and_keep_their_own_latin_font():
    styles = xml(render_docx.REFERENCE.read_bytes(), "word/styles.xml")
    default = styles.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr/{W}rFonts")
    assert (default.get(W + "eastAsia"), default.get(W + "cs")) == ("Noto Sans CJK SC", "Noto Sans")
    by_name = {s.find(W + "name").get(W + "val"): s for s in styles.iter(W + "style")}
    for name in ("Normal", "heading 1", "heading 3", "Title", "SSP Body", "SSP Table Text"):
        fonts = by_name[name].find(f"{W}rPr/{W}rFonts")
        assert fonts.get(W + "ascii") == "Calibri", name
        # A theme font would win over the named one.
        assert (fonts.get(W + "eastAsia"), fonts.get(W + "cs")) == ("Noto Sans CJK SC", "Noto Sans"), name
        assert fonts.get(W + "eastAsiaTheme") is None and fonts.get(W + "cstheme") is None, name


def test_a_draft_says_draft_in_the_header_of_every_page_and_a_clean_plan_does_not(ssp):
    assert not build_document(ssp).issues
    clean_plan = read(render_docx.render(build_document(ssp, version="1.0", on=date(2026, 3, 5))))
    header = [p.text for p in clean_plan.sections[0].header.paragraphs]
    assert header == ["CUI", "ACME CUI ENCLAVE SYSTEM SECURITY PLAN — Last updated March 5, 2026"]
    assert "DRAFT" not in docx_body_text(render_docx.render(build_document(ssp)))
    Answer.objects.filter(assessment=ssp.assessment, requirement__nist_id="3.1.2").update(note="")
    body = render_docx.render(build_document(ssp))
    draft = read(body)
    # Every section (portrait, the landscape POA&M, portrait again) has this header, the title page included.
    assert len(draft.sections) == 3
    for section in draft.sections:
        assert not section.different_first_page_header_footer
        assert [p.text for p in section.header.paragraphs][-1] == "DRAFT"
    # Each section names the header itself (a section without one would show the previous section's).
    references = [s.find(W + "headerReference") for s, _ in word_sections(xml(body))]
    assert len({r.get(R_ID) for r in references}) == 1
    assert "DRAFT: this plan is not final. 1 item still missing." in docx_body_text(body)


def test_a_drafts_cover_lists_its_open_items_and_a_final_plans_cover_none(ssp):
    final_text = docx_body_text(render_docx.render(build_document(ssp)))
    ssp.purpose, ssp.approval_date = "", None
    ssp.save()
    Answer.objects.filter(assessment=ssp.assessment, requirement__nist_id__in=("3.1.2", "3.1.4")).update(note="")
    doc = build_document(ssp)
    assert doc.draft and len(doc.open_items) == 3
    paragraphs = read(render_docx.render(doc)).paragraphs
    start = next(i for i, p in enumerate(paragraphs) if p.text.startswith("DRAFT: this plan is not final."))
    listed = [p.text for p in paragraphs[start + 1:start + 1 + len(doc.open_items)]]
    assert listed == list(doc.open_items)
    assert {p.style.name for p in paragraphs[start + 1:start + 1 + len(doc.open_items)]} == {"List Bullet"}
    assert paragraphs[start + 1 + len(doc.open_items)].style.name != "List Bullet"
    assert "DRAFT:" not in final_text and not any(item in final_text for item in doc.open_items)


def test_the_cover_carries_the_cui_designation_indicator_at_the_right(ssp):
    ssp.cui_controlled_by, ssp.cui_category_marking, ssp.cui_poc = "Acme Corp", "CTI", "Pat Doe, 555-0100"
    ssp.save()
    doc = build_document(ssp)
    root = xml(render_docx.render(doc))
    indicator = table_starting(root, "Controlled by:")
    rows = [[text(tc) for tc in tr.iter(W + "tc")] for tr in indicator.iter(W + "tr")]
    assert rows == [["Controlled by:", "Acme Corp"], ["CUI Category:", "CTI"],
                    ["Distribution/Dissemination Control:", "None"], ["POC:", "Pat Doe, 555-0100"]]
    assert indicator.find(f"{W}tblPr/{W}jc").get(W + "val") == "right"
    body = list(root.find(W + "body"))
    contents = next(i for i, e in enumerate(body) if text(e) == "Table of contents")
    assert body.index(indicator) < contents
    portrait = word_sections(root)[0][0]
    assert sum(grid(indicator)) < text_width(portrait) * 2 // 3
    ssp.cui_banner = False
    ssp.save()
    assert "Controlled by:" not in {text(tc) for tc in xml(render_docx.render(build_document(ssp))).iter(W + "tc")}


def test_without_the_cui_banner_no_page_is_marked_cui(ssp):
    ssp.cui_banner = False
    ssp.save()
    document = read(render_docx.render(build_document(ssp)))
    texts = [p.text for p in document.sections[0].header.paragraphs + document.sections[0].footer.paragraphs]
    assert "CUI" not in texts
    assert "Page 1 of 1" in texts  # the PAGE and NUMPAGES fields, with their placeholder results


def test_sections_toc_and_all_110_requirements_come_in_nist_order(ssp):
    doc = build_document(ssp)
    document = read(render_docx.render(doc))
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert headings == ["Plan approval", "Assessment summary", "1. System identification", "2. System environment",
                        "3. Requirements", "4. Record of changes", "Appendix A. Plan of action and milestones (POA&M)",
                        "Appendix B. Policies and procedures", "Appendix C. Acronyms"]
    requirement_headings = [p.text for p in document.paragraphs if p.style.name == "Heading 3"
                            and p.text.startswith("3.") and p.text.count(".") >= 2]
    assert requirement_headings == [e.heading for e in doc.requirements]
    assert requirement_headings[0] == "3.1.1 (AC.L2-3.1.1) Authorized Access Control"
    toc = [p.text for p in document.paragraphs if p.style.name in ("TOC 1", "TOC 2")]
    assert toc == [text for _, text, _ in doc.contents]


def test_the_toc_is_a_field_whose_entries_link_to_their_headings_and_word_is_not_asked_to_update_it(ssp):
    doc = build_document(ssp)
    body = render_docx.render(doc)
    root = xml(body)
    assert xml(body, "word/settings.xml").find(W + "updateFields") is None
    instructions = [e.text for e in root.iter(W + "instrText")]
    assert instructions == [' TOC \\o "1-2" \\h \\z \\u ']
    headings = {}
    for p in root.iter(W + "p"):
        style = p.find(f"{W}pPr/{W}pStyle")
        for start in p.iter(W + "bookmarkStart"):
            headings[start.get(W + "name")] = (style.get(W + "val"), text(p))
    entries = [p for p in root.iter(W + "p")
               if p.find(f"{W}pPr/{W}pStyle") is not None
               and p.find(f"{W}pPr/{W}pStyle").get(W + "val") in ("TOC1", "TOC2")]
    assert len(entries) == len(doc.contents)
    for p, (level, entry, _anchor) in zip(entries, doc.contents, strict=True):
        (link,) = p.iter(W + "hyperlink")
        assert text(link) == entry
        assert headings[link.get(W + "anchor")] == (f"Heading{level}", entry)
    kinds = [c.get(W + "fldCharType") for p in entries for c in p.iter(W + "fldChar")]
    assert kinds == ["begin", "separate", "end"]


def test_bookmarks_have_unique_word_legal_names(ssp):
    root = xml(render_docx.render(build_document(ssp)))
    starts = list(root.iter(W + "bookmarkStart"))
    names = [s.get(W + "name") for s in starts]
    assert len(names) > 150 and len(set(names)) == len(names)
    assert all(re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,39}", name) for name in names)
    assert sorted(s.get(W + "id") for s in starts) == sorted(e.get(W + "id") for e in root.iter(W + "bookmarkEnd"))
    assert bookmark_name("poam-3-1-1") == "poam_3_1_1"
    assert bookmark_name("1.2 é" + "x" * 60) == ("b_1_2__" + "x" * 60)[:40]


def test_each_requirements_poam_detail_links_to_its_poam_row(client, ssp):
    Answer.objects.filter(assessment=ssp.assessment, requirement__nist_id__in=("3.1.5", "3.13.11")).update(
        status="not_met", planned_date=date(2027, 1, 1))
    doc = build_document(ssp)
    on_poam = [e.nist_id for e in doc.requirements if e.on_poam]
    assert on_poam == ["3.1.3", "3.1.5", "3.13.11"]
    root = xml(render_docx.render(doc))
    poam = table_starting(root, "Requirement")
    rows = {}
    for tr in poam.findall(W + "tr")[1:]:
        first = tr.find(W + "tc")
        (start,) = first.iter(W + "bookmarkStart")
        rows[start.get(W + "name")] = text(first)
    links = {link.get(W + "anchor"): text(link) for link in root.iter(W + "hyperlink")
             if link.get(W + "anchor").startswith("poam_")}
    assert links == {f"poam_{nist_id.replace('.', '_')}": f"Appendix A, row {nist_id}" for nist_id in on_poam}
    for anchor in links:
        assert rows[anchor].startswith(anchor[5:].replace("_", ".") + " (")
    detail = next(p for p in read(render_docx.render(doc)).paragraphs if p.text == "POA&M: Appendix A, row 3.1.5")
    assert detail.style.name == "SSP Detail"


def test_tables_grids_have_their_cells_widths_in_the_intended_shares_of_the_text_width(ssp):
    root = xml(render_docx.render(build_document(ssp)))
    tables = 0
    for properties, blocks in word_sections(root):
        width = text_width(properties)
        for tbl in (b for b in blocks if b.tag == W + "tbl"):
            tables += 1
            columns = grid(tbl)
            assert sum(columns) <= width
            assert int(tbl.find(f"{W}tblPr/{W}tblW").get(W + "w")) == sum(columns)
            assert tbl.find(f"{W}tblPr/{W}tblLayout").get(W + "type") == "fixed"
            for tr in tbl.iter(W + "tr"):
                assert [int(w.get(W + "w")) for w in tr.iter(W + "tcW")] == columns
    assert tables > 100  # the fields, the lists, an objectives table per requirement, the POA&M
    portrait, landscape = (text_width(p) for p, _ in word_sections(root)[:2])
    assert landscape > portrait
    for first_cell, total, percents in (("Role", portrait, (50, 25, 25)),
                                        ("Objective", portrait, (12, 88)),
                                        ("Requirement", landscape, POAM_WIDTHS)):
        for column, percent in zip(grid(table_starting(root, first_cell)), percents, strict=True):
            assert abs(column - total * percent / 100) < 1, first_cell


def test_header_rows_are_shaded_and_repeat_and_no_row_splits_across_pages(ssp):
    root = xml(render_docx.render(build_document(ssp)))
    headed = 0
    for tbl in root.iter(W + "tbl"):
        rows = tbl.findall(W + "tr")
        assert all(tr.find(f"{W}trPr/{W}cantSplit") is not None for tr in rows)
        if rows[0].find(f"{W}trPr/{W}tblHeader") is not None:
            headed += 1
            fills = {shd.get(W + "fill") for shd in rows[0].iter(W + "shd")}
            assert fills == {render_docx.HEADER_FILL} and len(list(rows[0].iter(W + "shd"))) == len(grid(tbl))
            assert all(p.find(f"{W}pPr/{W}keepNext") is not None for p in rows[0].iter(W + "p"))
        assert all(tr.find(f"{W}trPr/{W}tblHeader") is None for tr in rows[1:])
    assert headed > 100


def keeps_with_next(paragraph) -> bool:
    if paragraph.paragraph_format.keep_with_next is not None:
        return paragraph.paragraph_format.keep_with_next
    style = paragraph.style
    while style is not None and style.paragraph_format.keep_with_next is None:
        style = style.base_style
    return bool(style and style.paragraph_format.keep_with_next)


def test_a_requirements_heading_statement_details_and_subheads_keep_with_the_next_paragraph(ssp):
    doc = build_document(ssp)
    paragraphs = read(render_docx.render(doc)).paragraphs
    entry = next(e for e in doc.requirements if e.nist_id == "3.1.3")
    start = next(i for i, p in enumerate(paragraphs) if p.text == entry.heading)
    block = paragraphs[start:start + 2 + len(entry.details) + 1]
    assert [p.text for p in block] == [entry.heading, entry.text] + [f"{d.label}: {d.value}" for d in entry.details] \
        + [entry.description_label]
    assert all(keeps_with_next(p) for p in block)
    assert not keeps_with_next(paragraphs[start + len(block)])  # the description itself may break


def test_objectives_come_as_a_two_column_table_or_with_their_status_in_objective_mode(ssp):
    objectives = list(Objective.objects.filter(requirement__nist_id="3.1.1").order_by("position"))
    root = xml(render_docx.render(build_document(ssp)))
    rows = [[text(tc) for tc in tr.iter(W + "tc")] for tr in table_starting(root, "Objective").iter(W + "tr")]
    # Each statement stands alone in its cell, so it starts a sentence: "Authorized users are identified".
    assert rows == [["Objective", "Determination statement"]] + [[o.letter, o.text[0].upper() + o.text[1:]]
                                                                  for o in objectives]
    assert rows[1][1] == "Authorized users are identified"
    ssp.assessment.objective_mode = True
    ssp.assessment.save()
    ObjectiveAnswer.objects.create(assessment=ssp.assessment, objective=objectives[0], status="met")
    root = xml(render_docx.render(build_document(ssp)))
    rows = [[text(tc) for tc in tr.iter(W + "tc")] for tr in table_starting(root, "Objective").iter(W + "tr")]
    assert rows[0] == ["Objective", "Determination statement", "Status"]
    assert rows[1:] == [[o.letter, o.statement, "Met" if i == 0 else "Not assessed"] for i, o in enumerate(objectives)]


def test_the_approval_page_has_a_signature_block_with_lines_for_what_is_missing(ssp):
    ssp.approver_name, ssp.approver_title, ssp.approval_date = "Pat Doe", "Chief Executive", None
    ssp.save()
    document = read(render_docx.render(build_document(ssp)))
    start = next(i for i, p in enumerate(document.paragraphs) if p.style.name == "Heading 1")
    paragraphs = [p.text for p in document.paragraphs]
    assert paragraphs[start] == "Plan approval"
    blank = "_" * 36
    assert paragraphs[start + 2:start + 6] == ["Name: Pat Doe", "Title: Chief Executive", f"Signature: {blank}",
                                               f"Date: {blank}"]
    ssp.approval_date = date(2026, 3, 1)
    ssp.approver_name = ""
    ssp.save()
    paragraphs = [p.text for p in read(render_docx.render(build_document(ssp))).paragraphs]
    assert paragraphs[start + 2:start + 6] == [f"Name: {blank}", "Title: Chief Executive", f"Signature: {blank}",
                                               "Date: March 1, 2026"]
    assert paragraphs[start + 6] == "Assessment summary"


def test_the_poam_appendix_is_a_landscape_section_and_the_next_one_is_portrait(ssp):
    body = render_docx.render(build_document(ssp))
    document = read(body)
    assert [s.orientation for s in document.sections] == [0, 1, 0]  # WD_ORIENTATION: portrait, landscape
    first, poam, rest = word_sections(xml(body))
    assert int(poam[0].find(W + "pgSz").get(W + "w")) == int(first[0].find(W + "pgSz").get(W + "h"))
    assert poam[0].find(W + "pgSz").get(W + "orient") == "landscape"
    assert rest[0].find(W + "pgSz").get(W + "orient") is None
    assert text(poam[1][0]) == "Appendix A. Plan of action and milestones (POA&M)"
    assert text(rest[1][0]) == "Appendix B. Policies and procedures"


def test_multi_line_descriptions_become_one_paragraph_per_line(ssp):
    Answer.objects.filter(assessment=ssp.assessment, requirement__nist_id="3.1.1").update(
        note="First line.\r\nSecond line.\n\nAfter a blank line.\tTabbed.")
    paragraphs = [p.text for p in read(render_docx.render(build_document(ssp))).paragraphs]
    start = paragraphs.index("First line.")
    assert paragraphs[start:start + 4] == ["First line.", "Second line.", "", "After a blank line.\tTabbed."]


def test_hostile_text_is_written_literally_and_illegal_characters_are_removed(ssp):
    payload = "\n".join(HOSTILE) + XML_ILLEGAL
    Answer.objects.filter(assessment=ssp.assessment, requirement__nist_id="3.1.1").update(note=payload)
    ssp.system_name = "<b>Sys</b>\x0b"
    ssp.save()
    body = render_docx.render(build_document(ssp))
    document = read(body)
    texts = [p.text for p in document.paragraphs]
    expected = [clean(line) for line in HOSTILE]  # bidi controls removed (blocks.clean)
    for line in expected[:-1]:
        assert line in texts
    assert expected[-1] in texts[texts.index(expected[-2]) + 1]  # the last line still carries what followed it
    assert "<B>SYS</B> SYSTEM SECURITY PLAN" in document.sections[0].header.paragraphs[1].text
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        written = archive.read("word/document.xml").decode()
    assert "<script>" not in written and "&lt;script&gt;" in written and "<img" not in written
    assert "\x0b" not in written and "\x1b" not in written and "\ufffe" not in written and "\u202e" not in written


def test_the_network_diagram_is_embedded(ssp):
    buffer = io.BytesIO()
    Image.new("RGB", (300, 150), "navy").save(buffer, format="PNG")
    NetworkDiagram.objects.create(ssp=ssp, image=buffer.getvalue(), content_type="image/png", width=300,
                                  height=150, sha256="x", caption="Office network")
    document = read(render_docx.render(build_document(ssp)))
    assert len(document.inline_shapes) == 1
    assert document.inline_shapes[0].width == 914400 * 2  # 300 pixels at 150 dpi
    assert "Office network" in [p.text for p in document.paragraphs]


def test_poam_alone_is_landscape_throughout_with_its_own_title_and_header(ssp):
    doc = build_document(ssp, on=date(2026, 3, 5))
    body = render_docx.render_poam(doc)
    document = read(body)
    texts = [p.text for p in document.paragraphs]
    assert "Plan of Action and Milestones" in texts and "3. Requirements" not in texts
    assert document.core_properties.title == "Plan of Action and Milestones: Acme CUI Enclave"
    assert [s.orientation for s in document.sections] == [1]
    assert document.sections[0].header.paragraphs[1].text == \
        "ACME CUI ENCLAVE PLAN OF ACTION AND MILESTONES — Last updated March 5, 2026"
    root = xml(body)
    poam = table_starting(root, "Requirement")
    assert [text(tc) for tc in poam.find(W + "tr").iter(W + "tc")] == list(POAM_HEADERS)
    assert [cell_text(tr.find(W + "tc")) for tr in poam.findall(W + "tr")[1:]] == [
        "3.1.3 (AC.L2-3.1.3) Control CUI Flow\n1 point"]
    ((properties, _),) = word_sections(root)
    assert sum(grid(poam)) > text_width(properties) - len(POAM_WIDTHS) and sum(grid(poam)) <= text_width(properties)
    assert sum(grid(table_starting(root, "System"))) > 9000  # the title page's table too: landscape width


def test_unconfirmed_starting_text_is_flagged_where_it_stands(ssp):
    # No description written: the starting text stands in, flagged.
    Answer.objects.filter(assessment=ssp.assessment, requirement__nist_id="3.1.5").update(note="")
    document = read(render_docx.render(build_document(ssp)))
    paragraphs = document.paragraphs
    flags = [i for i, p in enumerate(paragraphs) if p.style.name == "SSP Flag"]
    assert len(flags) == 1
    heading = max(i for i, p in enumerate(paragraphs[:flags[0]]) if p.style.name == "Heading 3")
    assert paragraphs[heading].text.startswith("3.1.5 ")
    assert paragraphs[flags[0]].text.startswith("STARTING TEXT, NOT YET CONFIRMED")
