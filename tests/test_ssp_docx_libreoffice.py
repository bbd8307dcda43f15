"""The SSP and POA&M DOCX opened by an independent word processor: LibreOffice converts each to PDF, and the PDF is
read back (pypdf for the pages, pdftotext for the text). LibreOffice lays tables out from their grid and honours
section page sizes, which python-docx reading the XML back cannot show."""

import io
import subprocess
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader

from assessments.models import Answer
from ssp import render_docx
from ssp.document import build_document

from .ssp_helpers import answer_all, complete, pdf_text, plan_for, start_assessment

# One LibreOffice at a time: each conversion starts a whole office suite, and the machine's cores are shared.
pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("libreoffice")]
CONVERT_TIMEOUT = 120  # seconds
LETTER = (612, 792)  # points
WEAKNESS = "Outbound flows of CUI are not yet restricted to approved destinations."
MILESTONE = "Deploy the egress gateway"


def to_pdf(docx: bytes, folder: Path, name: str) -> bytes:
    """``docx`` converted by LibreOffice, with a profile of its own (no shared state, no first-start dialogs)."""
    source = folder / f"{name}.docx"
    source.write_bytes(docx)
    result = subprocess.run(
        ["soffice", f"-env:UserInstallation={(folder / 'lo').as_uri()}", "--headless", "--convert-to", "pdf",
         "--outdir", str(folder), str(source)],
        capture_output=True, timeout=CONVERT_TIMEOUT, check=False)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    return (folder / f"{name}.pdf").read_bytes()


def page_sizes(pdf: bytes) -> list[tuple[int, int]]:
    return [(round(page.mediabox.width), round(page.mediabox.height)) for page in PdfReader(io.BytesIO(pdf)).pages]


def internal_links(pdf: bytes) -> list[tuple[int, int]]:
    """(page, page it leads to) for each link within the document, pages counted from 0."""
    reader = PdfReader(io.BytesIO(pdf))
    numbers = {page.indirect_reference.idnum: number for number, page in enumerate(reader.pages)}
    return [(number, numbers[annotation.get_object()["/Dest"][0].idnum])
            for number, page in enumerate(reader.pages) for annotation in page.get("/Annots") or ()
            if "/Dest" in annotation.get_object()]


@pytest.fixture
def doc(client):
    assessment = start_assessment(client)
    answer_all(assessment, not_met=("3.1.3",), na=("3.1.16",))
    ssp = complete(plan_for(assessment))
    Answer.objects.filter(assessment=assessment, requirement__nist_id="3.1.3").update(
        weakness=WEAKNESS, milestones=f"2026-09-30 {MILESTONE}", identified_by="Internal review",
        identified_on=date(2026, 1, 15))
    return build_document(ssp, on=date(2026, 3, 5))


def test_libreoffice_opens_the_plan_with_the_poam_on_landscape_pages_between_portrait_ones(doc, tmp_path):
    pdf = to_pdf(render_docx.render(doc), tmp_path, "plan")
    sizes = page_sizes(pdf)
    assert len(sizes) > 20
    landscape = LETTER[::-1]
    turned = [number for number, size in enumerate(sizes) if size == landscape]
    assert turned and set(sizes) == {LETTER, landscape}
    # One run of landscape pages, portrait pages on both sides of it.
    assert turned == list(range(turned[0], turned[-1] + 1)) and 0 < turned[0] and turned[-1] < len(sizes) - 1
    pages = pdf_text(pdf).split("\f")
    poam = " ".join(" ".join(pages[number].split()) for number in turned)
    assert "Appendix A. Plan of action and milestones (POA&M)" in poam
    assert WEAKNESS in poam and f"2026-09-30: {MILESTONE}" in poam and "Internal review" in poam
    after = " ".join(pages[turned[-1] + 1].split())
    assert "Appendix B. Policies and procedures" in after
    text = " ".join(pdf_text(pdf).split())
    assert "3.1.1 (AC.L2-3.1.1) Authorized Access Control" in text and "Table of contents" in text
    # The links resolve to their bookmarks: the table of contents' (on the pages before the first section) and
    # the requirement's POA&M line, which leads to a landscape page.
    links = internal_links(pdf)
    first_section = next(n for n, page in enumerate(pages) if "I have reviewed this System Security Plan" in page)
    assert len([link for link in links if link[0] < first_section]) == len(doc.contents)
    (to_poam,) = [target for source, target in links if source >= first_section]
    assert to_poam in turned


def test_libreoffice_opens_the_poam_alone_on_landscape_pages_only(doc, tmp_path):
    pdf = to_pdf(render_docx.render_poam(doc), tmp_path, "poam")
    sizes = page_sizes(pdf)
    assert sizes and set(sizes) == {LETTER[::-1]}
    text = " ".join(pdf_text(pdf).split())
    assert "Plan of Action and Milestones" in text
    assert "ACME CUI ENCLAVE PLAN OF ACTION AND MILESTONES" in text and "SYSTEM SECURITY PLAN" not in text
    assert WEAKNESS in text and f"2026-09-30: {MILESTONE}" in text
    assert "3.1.3 (AC.L2-3.1.3) Control CUI Flow" in text
