import io
import re
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings
from PIL import Image
from pypdf import PdfReader

from assessments.models import Answer, ObjectiveAnswer
from controls.models import Objective, Requirement
from ssp import render_docx, render_pdf
from ssp.blocks import POAM_HEADERS, Table
from ssp.document import build_document
from ssp.models import NetworkDiagram, SystemSecurityPlan

from .ssp_helpers import (
    HOSTILE,
    answer_all,
    complete,
    docx_body_text,
    pdf_body_text,
    pdf_pages,
    pdf_text,
    plan_for,
    rendered_pdf,
    requirement_blocks,
    start_assessment,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def ssp(client) -> SystemSecurityPlan:
    assessment = start_assessment(client)
    answer_all(assessment, not_met=("3.1.3", "3.13.11"), na=("3.1.16", "3.10.6"))
    return complete(plan_for(assessment))


def test_docx_and_pdf_carry_the_same_status_and_description_for_every_requirement(ssp):
    # Distinct, multi-line descriptions with markup characters and non-ASCII text, different for each requirement.
    for index, row in enumerate(Answer.objects.filter(assessment=ssp.assessment).select_related("requirement")
                                .order_by("requirement__position")):
        row.note = (f"Control {row.requirement.nist_id} uses <tool-{index}> & “policy” {index * 7}.\n"
                    f"Reviewed by Zoë Müller, step {index}.")
        row.save()
    Answer.objects.filter(assessment=ssp.assessment, requirement__nist_id="3.1.2").update(note="")
    doc = build_document(ssp)
    entries = doc.requirements
    from_docx = requirement_blocks(docx_body_text(render_docx.render(doc)), doc)
    from_pdf = requirement_blocks(pdf_body_text(rendered_pdf(doc), doc.header_text), doc)
    expected = {e.nist_id: (e.status_label, " ".join(e.description_text.split())) for e in entries}
    assert len(expected) == 110
    assert from_docx == expected
    assert from_pdf == expected
    assert {status for status, _ in expected.values()} == {"Implemented", "Planned to be implemented",
                                                          "Not applicable"}


def test_a_draft_says_draft_on_every_page_with_header_and_page_numbers(ssp):
    Answer.objects.filter(assessment=ssp.assessment, requirement__nist_id="3.1.2").update(note="")
    doc = build_document(ssp, on=date(2026, 3, 5))
    pages = pdf_pages(rendered_pdf(doc))
    assert len(pages) > 10
    for number, page in enumerate(pages, start=1):
        assert "DRAFT" in page, number
        assert "ACME CUI ENCLAVE SYSTEM SECURITY PLAN — Last updated March 5, 2026" in page, number
        assert f"Page {number} of {len(pages)}" in page
        assert page.count("CUI\n") >= 2 or page.startswith("CUI")


def margins(pdf: bytes) -> list[list[str]]:
    """The lines in the top and bottom margins of each page (2 cm of each, whatever the page's orientation)."""
    found = []
    for number, page in enumerate(PdfReader(io.BytesIO(pdf)).pages, start=1):
        width, height = int(page.mediabox.width), int(page.mediabox.height)
        pages = ("-f", str(number), "-l", str(number), "-x", "0", "-W", str(width), "-H", "57")
        text = pdf_text(pdf, *pages, "-y", "0") + pdf_text(pdf, *pages, "-y", str(height - 57))
        found.append([line.strip() for line in text.splitlines() if line.strip()])
    return found


def test_a_clean_plan_has_no_draft_mark_and_the_banner_can_be_turned_off(ssp):
    doc = build_document(ssp)
    assert not doc.draft, doc.issues
    banner = margins(rendered_pdf(doc))
    assert all(lines.count("CUI") == 2 for lines in banner)  # top and bottom of every page
    ssp.cui_banner = False
    ssp.save()
    pdf = rendered_pdf(build_document(ssp))
    assert "DRAFT" not in pdf_text(pdf)
    assert not any("CUI" in lines for lines in margins(pdf))


def test_table_of_contents_gives_page_numbers(ssp):
    doc = build_document(ssp)
    pdf = rendered_pdf(doc)
    contents = pdf_pages(pdf)[1]
    assert "Table of contents" in contents
    requirements_page = next(i for i, page in enumerate(pdf_pages(pdf), start=1) if "3. Requirements\nThe source"
                             in page)
    assert re.search(rf"3\. Requirements[ .]+{requirements_page}\b", pdf_text(pdf, "-layout"))


def test_the_bundled_font_is_embedded_and_only_our_static_files_are_read(ssp):
    fetcher = render_pdf.LocalOnlyFetcher()
    pdf = render_pdf.html_to_pdf(render_pdf.render_html(build_document(ssp)), fetcher=fetcher)
    programs = []
    for page in PdfReader(io.BytesIO(pdf)).pages[:3]:
        for font in page["/Resources"]["/Font"].values():
            descendant = font.get_object()["/DescendantFonts"][0].get_object()
            programs.append(descendant["/FontDescriptor"].get_object()["/FontFile2"].get_data())
    # Every font program embedded is DejaVu (its name table holds the family name in UTF-16).
    assert programs and all("DejaVu Sans".encode("utf-16-be") in program for program in programs)
    assert fetcher.refused == []
    assert fetcher.served[0] == "https://ssp.invalid/static/ssp/print.css"
    assert all(url.startswith("https://ssp.invalid/static/vendor/dejavu/DejaVuSans") for url in fetcher.served[1:])


def test_user_text_is_printed_literally(ssp):
    payload = "\n".join(HOSTILE)
    Answer.objects.filter(assessment=ssp.assessment, requirement__nist_id="3.1.1").update(note=payload)
    ssp.purpose = "<i>not italic</i> {{ doc.title }} {% now 'Y' %}"
    ssp.save()
    text = pdf_text(rendered_pdf(build_document(ssp)))
    for line in HOSTILE:
        line = line.replace("\u202e", "")  # bidi controls never reach a document (blocks.clean)
        assert line in text, line
    assert "<i>not italic</i> {{ doc.title }} {% now 'Y' %}" in text


def test_the_network_diagram_is_embedded_as_an_image(ssp):
    buffer = io.BytesIO()
    Image.new("RGB", (400, 200), "navy").save(buffer, format="PNG")
    NetworkDiagram.objects.create(ssp=ssp, image=buffer.getvalue(), content_type="image/png", width=400,
                                  height=200, sha256="x", caption="Office network")
    doc = build_document(ssp)
    fetcher = render_pdf.LocalOnlyFetcher(render_pdf.assets_for(doc))
    pdf = render_pdf.html_to_pdf(render_pdf.render_html(doc), fetcher=fetcher)
    assert "https://ssp.invalid/asset/network-diagram" in fetcher.served
    # One image object, shared by the pages' resources.
    images = {image.indirect_reference.idnum: image for page in PdfReader(io.BytesIO(pdf)).pages
              for image in page.images}
    assert len(images) == 1 and next(iter(images.values())).image.size == (400, 200)
    assert "Office network" in pdf_text(pdf)


def test_every_table_column_width_has_a_rule_in_the_print_stylesheet(ssp):
    css = (Path(settings.BASE_DIR) / "static" / "ssp" / "print.css").read_text()
    doc = build_document(ssp)
    widths = {w for s in doc.sections for b in s.blocks if isinstance(b, Table) for w in b.widths}
    missing = [w for w in sorted(widths) if f"col.w{w} " not in css]
    assert missing == []


def test_pathological_long_words_render_quickly_and_completely(ssp):
    word = "A" * 20_000
    Answer.objects.filter(assessment=ssp.assessment, requirement__nist_id="3.1.1").update(note=word)
    pdf = render_pdf.render(build_document(ssp))
    text = pdf_text(pdf).replace("\u200b", "")
    assert "".join(re.findall(r"A{10,}", text)) == word  # nothing cut off at the margin


def test_unconfirmed_starting_text_is_flagged_in_the_pdf(ssp):
    # No description written: the starting text stands in, flagged.
    Answer.objects.filter(assessment=ssp.assessment, requirement__nist_id="3.1.5").update(note="")
    doc = build_document(ssp)
    text = " ".join(pdf_body_text(rendered_pdf(doc), doc.header_text).split())
    assert text.count("STARTING TEXT, NOT YET CONFIRMED") == 1
    block = text[text.index("3.1.5 (AC.L2-3.1.5) Least Privilege"):text.index("3.1.6 ")]
    assert "STARTING TEXT, NOT YET CONFIRMED" in block and "Acme meets this requirement as follows." in block


def region(pdf: bytes, page: int, x: int, y: int, width: int, height: int) -> str:
    """The text of a rectangle of one page (points from the top left)."""
    return pdf_text(pdf, "-f", str(page), "-l", str(page), "-x", str(x), "-y", str(y), "-W", str(width), "-H",
                    str(height))


def test_the_cover_has_the_cui_designation_box_at_its_lower_right_and_a_drafts_open_items(ssp):
    ssp.cui_controlled_by, ssp.cui_category_marking = "Acme Engineering LLC", "CTI"
    ssp.cui_dissemination, ssp.cui_poc = "FEDCON", "Pat Doe, pat@example.com"
    ssp.approval_date = None
    ssp.save()
    Answer.objects.filter(assessment=ssp.assessment, requirement__nist_id__in=("3.1.1", "3.1.2")).update(note="")
    doc = build_document(ssp)
    pdf = rendered_pdf(doc)
    lower_right = " ".join(region(pdf, 1, 306, 480, 306, 312).split())
    assert ("Controlled by: Acme Engineering LLC CUI Category: CTI Distribution/Dissemination Control: FEDCON "
            "POC: Pat Doe, pat@example.com") in lower_right
    cover = " ".join(pdf_pages(pdf)[0].split())
    assert f"DRAFT: this plan is not final. {len(doc.issues)} items still missing." in cover
    assert len(doc.open_items) == 2 and doc.open_items[0] == "No approval date (plan approval)."
    for item in doc.open_items:
        assert f"• {item}" in cover
    ssp.cui_banner = False
    ssp.save()
    assert "Controlled by" not in pdf_pages(rendered_pdf(build_document(ssp)))[0]


def test_front_matter_is_titled_without_a_number_and_the_approval_page_has_a_signature_block(ssp):
    doc = build_document(ssp)
    pdf = rendered_pdf(doc)
    contents = pdf_text(pdf, "-layout", "-f", "2", "-l", "2")
    assert re.search(r"^Plan approval +3$", contents, re.M) and re.search(r"^Assessment summary +4$", contents, re.M)
    approval, summary = pdf_pages(pdf)[2], pdf_pages(pdf)[3]
    assert "\nPlan approval\n" in approval and "\nAssessment summary\n" in summary
    signature = re.sub(r"\s+", " ", approval[approval.index("Signature"):])
    assert signature.startswith("Signature Name Pat Doe Title CEO Date March 1, 2026")
    # The date line stays empty, to be filled by hand, until an approval date is recorded.
    ssp.approval_date = None
    ssp.save()
    approval = pdf_pages(rendered_pdf(build_document(ssp)))[2]
    assert re.sub(r"\s+", " ", approval[approval.index("Signature"):]).startswith("Signature Name Pat Doe Title CEO "
                                                                                   "Date CUI")


def test_a_requirement_reads_like_a_worksheet_with_its_objectives_and_in_objective_mode_their_status(ssp):
    Answer.objects.filter(assessment=ssp.assessment, requirement__nist_id="3.1.16").update(
        na_approved_by="Pat Doe", na_approved_on=date(2026, 2, 1), justification="No wireless network at all.")
    doc = build_document(ssp)
    text = " ".join(pdf_body_text(rendered_pdf(doc), doc.header_text).split())
    block = text[text.index("3.1.16 (AC.L2-3.1.16) Wireless Access Authorization"):text.index("3.1.17 (AC.L2")]
    entry = next(e for e in doc.requirements if e.nist_id == "3.1.16")
    expected = [entry.heading, " ".join(entry.text.split()), "Status: Not applicable", f"Value: {entry.points_text}",
                "Not applicable approved by: Pat Doe, February 1, 2026",
                "Assessment objectives (NIST SP 800-171A)",
                *(f"[{o.letter}] {o.text}" for o in entry.objectives), "Implementation details",
                "How 3.1.16 is done", "Rationale for not applicable No wireless network at all."]
    missing = [part for part in expected if " ".join(part.split()) not in block]
    assert not missing, (missing, block[:800])
    positions = [block.index(" ".join(part.split())) for part in expected]
    assert positions == sorted(positions)

    # In objective mode each objective carries its answer, in a column of its own.
    ssp.assessment.objective_mode = True
    ssp.assessment.save()
    objectives = list(Objective.objects.filter(requirement__nist_id="3.1.1").order_by("position"))
    ObjectiveAnswer.objects.create(assessment=ssp.assessment, objective=objectives[0], status="met")
    ObjectiveAnswer.objects.create(assessment=ssp.assessment, objective=objectives[1], status="not_met")
    doc = build_document(ssp)
    text = " ".join(pdf_body_text(rendered_pdf(doc), doc.header_text).split())
    block = text[text.index("3.1.1 (AC.L2-3.1.1)"):text.index("3.1.2 (AC.L2")]
    entry = doc.requirements[0]
    assert [o.status for o in entry.objectives][:3] == ["Met", "Not met", "Not assessed"]
    assert "Assessment objectives (NIST SP 800-171A) Status" in block
    assert "[a] Authorized users are identified Met" in block  # a statement alone starts with a capital
    for objective in entry.objectives:
        assert f"[{objective.letter}] {' '.join(objective.text.split())} {objective.status}" in block


def test_a_requirements_poam_detail_links_to_its_row_in_the_appendix(ssp):
    doc = build_document(ssp)
    pdf = rendered_pdf(doc)
    reader = PdfReader(io.BytesIO(pdf))
    destinations = reader.named_destinations
    poam_pages = {i for i, page in enumerate(pdf_pages(pdf)) if i > 1 and "Plan of action and milestones (POA&M)\n" in
                  page}
    links = {}
    for number, page in enumerate(reader.pages):
        for annotation in page.get("/Annots") or []:
            annotation = annotation.get_object()
            if annotation["/Subtype"] == "/Link" and str(annotation.get("/Dest", "")).startswith("poam-"):
                links[str(annotation["/Dest"])] = number
    # Every open requirement's "POA&M" detail links to its row, on a page of the appendix.
    assert set(links) == {"poam-3-1-3", "poam-3-13-11"}
    for name, page in links.items():
        target = reader.get_destination_page_number(destinations[name])
        assert target in poam_pages and target > page
        assert name.removeprefix("poam-").replace("-", ".") in pdf_pages(pdf)[target]
    text = " ".join(pdf_pages(pdf)[links["poam-3-1-3"]].split())
    assert "POA&M: Appendix A, row 3.1.3" in text


def test_the_poam_is_on_landscape_pages_with_its_header_row_on_each_and_the_rest_is_portrait(client):
    assessment = start_assessment(client)
    open_ids = [r.nist_id for r in Requirement.objects.order_by("position")][:40]
    answer_all(assessment, not_met=tuple(open_ids))
    Answer.objects.filter(assessment=assessment, status="not_met").update(weakness="Not in place. " * 20)
    doc = build_document(complete(plan_for(assessment)))
    pdf = rendered_pdf(doc)
    pages = pdf_pages(pdf)
    landscape = [i for i, page in enumerate(PdfReader(io.BytesIO(pdf)).pages) if page.mediabox.width >
                 page.mediabox.height]
    first = next(i for i, page in enumerate(pages) if i > 1 and "Appendix A. Plan of action and milestones (POA&M)\n"
                 in page)  # after the table of contents
    following = next(i for i, page in enumerate(pages) if i > 1 and "Appendix B. Policies and procedures\n" in page)
    assert landscape == list(range(first, following)) and len(landscape) > 1
    for index in landscape:  # the header row repeats
        assert all(header in " ".join(pages[index].split()) for header in POAM_HEADERS), index
    found = " ".join(" ".join(pages[i].split()) for i in landscape)
    assert all(f"{nist_id} (" in found for nist_id in open_ids if nist_id != "3.12.4")


def test_the_poam_alone_is_landscape_with_its_own_title_and_running_header(ssp):
    doc = build_document(ssp, on=date(2026, 3, 5))
    pdf = render_pdf.render_poam(doc)
    reader = PdfReader(io.BytesIO(pdf))
    assert all(page.mediabox.width > page.mediabox.height for page in reader.pages)
    assert reader.metadata.title == "Plan of Action and Milestones: Acme CUI Enclave"
    pages = pdf_pages(pdf)
    assert "\nPlan of Action and Milestones\nAcme CUI Enclave\n" in pages[0]
    for page in pages:
        assert "ACME CUI ENCLAVE PLAN OF ACTION AND MILESTONES — Last updated March 5, 2026" in page
        assert "SYSTEM SECURITY PLAN" not in page and "Table of contents" not in page
    assert "3.1.3 (AC.L2-3.1.3) Control CUI Flow" in " ".join(" ".join(pages).split())


def test_a_requirements_heading_status_and_the_start_of_its_narrative_share_a_page(client):
    assessment = start_assessment(client)
    answer_all(assessment)
    ssp = complete(plan_for(assessment))
    # Descriptions of different lengths, so requirements start all over the page.
    for index, row in enumerate(Answer.objects.filter(assessment=assessment).select_related("requirement")):
        row.note = f"{row.requirement.nist_id}: " + "The procedure is followed every week. " * (index % 9 * 4 + 1)
        row.save()
    doc = build_document(ssp)
    pages = [" ".join(page.split()) for page in pdf_pages(rendered_pdf(doc))]
    for entry in doc.requirements:
        page = next(p for p in pages if entry.heading in p)
        after = page[page.index(entry.heading):]
        assert "Status: " in after and entry.description_label in after, entry.nist_id


def test_bidi_controls_are_gone_and_right_to_left_text_comes_through(ssp):
    Answer.objects.filter(assessment=ssp.assessment, requirement__nist_id="3.1.1").update(
        note="\u202eevil\u202c and \u2067live\u2069. Arabic: مرحبا بالعالم. Hebrew: שלום עולם.")
    ssp.system_name = "\u202dAcme\u202c enclave"
    ssp.save()
    doc = build_document(ssp)
    pdf = rendered_pdf(doc)
    text = pdf_text(pdf)
    assert not any(char in text for char in "\u202a\u202d\u202e\u2066\u2067\u2068\u2069")
    assert "evil and live." in text and "live and evil" not in text
    # pdftotext gives right-to-left text in reading order, each run wrapped in embedding marks (U+202B ... U+202C).
    plain = text.replace("\u202b", "").replace("\u202c", "")
    assert "مرحبا بالعالم" in plain and "שלום עולם" in plain
    assert "ACME ENCLAVE SYSTEM SECURITY PLAN" in text
