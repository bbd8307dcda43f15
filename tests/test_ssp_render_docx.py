import io
import zipfile
from datetime import date

import pytest
from docx import Document
from PIL import Image

from assessments.models import Answer
from ssp import render_docx
from ssp.document import build_document
from ssp.management.commands.build_reference_docx import build
from ssp.models import NetworkDiagram, SystemSecurityPlan

from .ssp_helpers import HOSTILE, XML_ILLEGAL, answer_all, complete, docx_body_text, plan_for, start_assessment

pytestmark = pytest.mark.django_db


@pytest.fixture
def ssp(client) -> SystemSecurityPlan:
    assessment = start_assessment(client)
    answer_all(assessment, not_met=("3.1.3",), na=("3.1.16",))
    return complete(plan_for(assessment))


def read(body: bytes) -> Document:
    return Document(io.BytesIO(body))


def styles_used(document: Document) -> set[str]:
    used = set()
    parts = [document.element.body] + [s.header._element for s in document.sections] + \
            [s.footer._element for s in document.sections]
    ids = {s.style_id: s.name for s in document.styles}
    for part in parts:
        for tag in ("w:pStyle", "w:rStyle", "w:tblStyle"):
            for element in part.iter("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}" + tag[2:]):
                used.add(ids[element.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}val")])
    return used


def test_every_style_used_is_defined_in_the_reference_document_and_none_is_added(ssp):
    body = render_docx.render(build_document(ssp))
    reference = Document(str(render_docx.REFERENCE))
    document = read(body)
    used = styles_used(document)
    assert used <= {s.name for s in reference.styles}
    assert used <= render_docx.STYLES
    assert {"Heading 3", "SSP Detail", "SSP Label", "SSP Description", "Table Grid", "Header"} <= used
    assert len(document.styles) == len(reference.styles)


def test_the_committed_reference_document_is_what_the_builder_makes(tmp_path):
    build(tmp_path / "reference.docx")
    with zipfile.ZipFile(tmp_path / "reference.docx") as fresh, zipfile.ZipFile(render_docx.REFERENCE) as committed:
        assert fresh.read("word/styles.xml") == committed.read("word/styles.xml")
        assert fresh.read("word/document.xml") == committed.read("word/document.xml")


def test_a_draft_says_draft_in_the_header_of_every_page_and_a_clean_plan_does_not(ssp):
    clean = read(render_docx.render(build_document(ssp, version="1.0", on=date(2026, 3, 5))))
    header = [p.text for p in clean.sections[0].header.paragraphs]
    assert header == ["CUI", "ACME CUI ENCLAVE SYSTEM SECURITY PLAN — Last updated March 5, 2026"]
    assert "DRAFT" not in docx_body_text(render_docx.render(build_document(ssp)))
    Answer.objects.filter(assessment=ssp.assessment, requirement__nist_id="3.1.2").update(note="")
    draft = read(render_docx.render(build_document(ssp)))
    # One section, no different first page: this header is on every page, the title page included.
    assert len(draft.sections) == 1 and not draft.sections[0].different_first_page_header_footer
    assert [p.text for p in draft.sections[0].header.paragraphs][-1] == "DRAFT"
    assert "DRAFT: this plan is not final. 1 item still missing." in docx_body_text(render_docx.render(
        build_document(ssp)))


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
    assert headings == ["1. System identification", "2. System environment", "3. Requirements",
                        "4. Record of changes", "Appendix A. Plan of action and milestones (POA&M)"]
    requirement_headings = [p.text.split()[0] for p in document.paragraphs if p.style.name == "Heading 3"
                            and p.text.startswith("3.") and p.text.count(".") >= 2]
    assert requirement_headings == [e.nist_id for e in doc.requirements]
    toc = [p.text for p in document.paragraphs if p.style.name in ("TOC 1", "TOC 2")]
    assert toc == [text for _, text, _ in doc.contents]
    xml = document.element.xml
    assert 'TOC \\o "1-2"' in xml and "w:fldChar" in xml
    assert 'w:updateFields w:val="true"' in read(render_docx.render(doc)).settings.element.xml


def test_multi_line_descriptions_become_one_paragraph_per_line(ssp):
    Answer.objects.filter(assessment=ssp.assessment, requirement__nist_id="3.1.1").update(
        note="First line.\r\nSecond line.\n\nAfter a blank line.")
    paragraphs = [p.text for p in read(render_docx.render(build_document(ssp))).paragraphs]
    start = paragraphs.index("First line.")
    assert paragraphs[start:start + 4] == ["First line.", "Second line.", "", "After a blank line."]


def test_hostile_text_is_written_literally_and_illegal_characters_are_removed(ssp):
    payload = "\n".join(HOSTILE) + XML_ILLEGAL
    Answer.objects.filter(assessment=ssp.assessment, requirement__nist_id="3.1.1").update(note=payload)
    ssp.system_name = "<b>Sys</b>\x0b"
    ssp.save()
    body = render_docx.render(build_document(ssp))
    document = read(body)
    texts = [p.text for p in document.paragraphs]
    for line in HOSTILE[:-1]:
        assert line in texts
    assert HOSTILE[-1] in texts[texts.index(HOSTILE[-2]) + 1]  # the last line still carries what followed it
    assert "<B>SYS</B> SYSTEM SECURITY PLAN" in document.sections[0].header.paragraphs[1].text
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        xml = archive.read("word/document.xml").decode()
    assert "<script>" not in xml and "&lt;script&gt;" in xml and "<img" not in xml
    assert "\x0b" not in xml and "\x1b" not in xml and "\ufffe" not in xml


def test_the_network_diagram_is_embedded(ssp):
    buffer = io.BytesIO()
    Image.new("RGB", (300, 150), "navy").save(buffer, format="PNG")
    NetworkDiagram.objects.create(ssp=ssp, image=buffer.getvalue(), content_type="image/png", width=300,
                                  height=150, sha256="x", caption="Office network")
    document = read(render_docx.render(build_document(ssp)))
    assert len(document.inline_shapes) == 1
    assert "Office network" in [p.text for p in document.paragraphs]


def test_poam_alone_has_the_open_items_and_the_same_header(ssp):
    doc = build_document(ssp)
    document = read(render_docx.render_poam(doc))
    texts = [p.text for p in document.paragraphs]
    assert "Plan of Action and Milestones" in texts and "3. Requirements" not in texts
    table = document.tables[-1]
    assert [c.text for c in table.rows[0].cells] == ["Requirement", "State", "Points", "POA&M eligible",
                                                    "Responsible", "Planned completion", "Note"]
    assert [r.cells[0].text for r in table.rows[1:]] == ["3.1.3 Control CUI Flow"]
    assert document.sections[0].header.paragraphs[1].text == doc.header_text


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
