"""Generating a version: a draft until the plan is ready, each label once, refused when too large to render."""

import hashlib
import io
import re

import pytest
from django.urls import reverse
from docx import Document

from cmmc_site.render_guard import run_limited
from ssp import jobs, views
from ssp.blocks import MAX_PLAN_CHARS
from ssp.models import SspVersion

from .export_helpers import saved_as
from .ssp_helpers import (
    assessment_fixture,  # noqa: F401  (the assessment fixture)
    complete,
    docx_body_text,
    fresh_render_slots_fixture,  # noqa: F401  (autouse: a fresh render guard)
    maximal_plan,
    page,
    pdf_pages,
    ssp_fixture,  # noqa: F401  (the ssp fixture: the assessment's plan)
    url,
)

pytestmark = pytest.mark.django_db


def record_of_changes(docx: bytes) -> list[list[str]]:
    """The rows of the DOCX's table of versions (section 4.1), found by its header row."""
    for table in Document(io.BytesIO(docx)).tables:
        rows = [[c.text for c in r.cells] for r in table.rows]
        if rows[0] == ["Version", "Date", "Description", "Made by"]:
            return rows
    raise AssertionError("no record of changes")


def generate(client, ssp, label: str, description: str = "Update"):
    return client.post(url("generate", ssp.assessment), {"label": label, "description": description,
                                                         "made_by": "Pat Doe"})


@pytest.mark.slow
def test_generated_versions_are_drafts_until_ready_and_download_again_byte_for_byte(client, ssp):
    complete(ssp)
    ssp.assessment.answers.filter(requirement__nist_id="3.2.1").update(note="")
    response = generate(client, ssp, "1.0", "Initial version")
    assert response.status_code == 302, response.content[:2000]
    first = SspVersion.objects.get(ssp=ssp, number=1)
    assert first.draft and first.label == "1.0" and len(first.catalog_revision) == 12
    ssp.assessment.refresh_from_db()
    assert ssp.assessment.ssp_version == ""  # a draft is not the plan SPRS refers to
    docx = client.get(url("version_docx", ssp.assessment, 1))
    pdf = client.get(url("version_pdf", ssp.assessment, 1))
    # Named as the user wrote the label (the system's name, "Acme CUI Enclave", already says whose it is).
    assert docx["Content-Disposition"] == 'attachment; filename="Acme-CUI-Enclave-SSP-v1.0.docx"'
    assert pdf["Content-Disposition"] == 'attachment; filename="Acme-CUI-Enclave-SSP-v1.0.pdf"'
    assert pdf["Content-Type"] == "application/pdf"
    assert hashlib.sha256(docx.content).hexdigest() == first.docx_sha256
    assert hashlib.sha256(pdf.content).hexdigest() == first.pdf_sha256
    pages = pdf_pages(pdf.content)
    assert all("DRAFT" in text for text in pages)
    assert Document(io.BytesIO(docx.content)).sections[0].header.paragraphs[-1].text == "DRAFT"
    # The record of changes of version 1.0 already lists 1.0.
    record = record_of_changes(docx.content)
    assert record[-1][0] == "1.0" and record[-1][2:] == ["Initial version", "Pat Doe"]

    # Fix what was missing: the next version is final, and version 1 still downloads exactly as it was.
    ssp.assessment.answers.filter(requirement__nist_id="3.2.1").update(
        note="Every user takes the annual security awareness training, tracked by the HR lead in the LMS.")
    response = generate(client, ssp, "1.1")
    assert response.status_code == 302 and response["Location"] == url("overview", ssp.assessment)
    # The overview, where the final version leads, offers to mark 3.12.4 met while it says "no SSP yet".
    assert not page(client.get(response["Location"])).xpath("//*[@data-testid='ssp-prompt']")
    ssp.assessment.answers.filter(requirement__nist_id="3.12.4").update(status="not_met")
    prompt = page(client.get(response["Location"])).xpath("//*[@data-testid='ssp-prompt']")[0]
    assert "Version 1.1 is final." in prompt.text_content()
    assert prompt.xpath(".//form/@action") == [reverse("assessments:ssp_answer", args=[ssp.assessment.public_id])]
    second = SspVersion.objects.get(ssp=ssp, number=2)
    assert not second.draft
    ssp.assessment.refresh_from_db()  # the SPRS worksheet now names the final plan
    assert (ssp.assessment.ssp_name, ssp.assessment.ssp_version, ssp.assessment.ssp_date) == (
        ssp.system_name, "1.1", second.generated_on)
    assert not any("DRAFT" in text for text in pdf_pages(client.get(url("version_pdf", ssp.assessment, 2)).content))
    again = client.get(url("version_pdf", ssp.assessment, 1))
    assert again.content == pdf.content and client.get(url("version_docx", ssp.assessment, 1)).content == \
        docx.content
    second_record = record_of_changes(client.get(url("version_docx", ssp.assessment, 2)).content)
    assert [r[0] for r in second_record[1:]] == ["1.0", "1.1"]
    versions = page(client.get(url("overview", ssp.assessment))).xpath("//*[@data-testid='versions']//tbody/tr")
    assert [tr.xpath("string(td[1])") for tr in versions] == ["1.1", "1.0"]


def test_a_version_label_cannot_be_used_twice(client, ssp):
    SspVersion.objects.create(ssp=ssp, number=1, label="1.0", generated_on="2026-03-05", description="First",
                              made_by="Pat", catalog_revision="x", draft=True, docx=b"d", docx_sha256="d",
                              pdf=b"p", pdf_sha256="p")
    response = generate(client, ssp, "1.0")
    assert response.status_code == 400
    assert "Version 1.0 was already generated" in response.content.decode()
    assert page(response).xpath("//input[@name='description']/@value") == ["Update"]
    assert SspVersion.objects.count() == 1


def test_a_plan_too_large_to_render_is_refused_with_a_message(client, ssp):
    maximal_plan(ssp)
    response = generate(client, ssp, "1.0")
    assert response.status_code == 400
    assert re.search(rf"This plan has [\d,]+ characters of text; one document holds at most {MAX_PLAN_CHARS:,}",
                     response.content.decode())
    assert SspVersion.objects.count() == 0


def test_generate_renders_both_files_in_one_render_process(client, ssp, monkeypatch):
    complete(ssp)
    calls = []

    def spy(func, *args, **kwargs):
        calls.append(func)
        return run_limited(func, *args, **kwargs)

    monkeypatch.setattr(views, "run_limited", spy)
    response = generate(client, ssp, "1.0")
    assert response.status_code == 302
    assert calls == [jobs.both]
    version = SspVersion.objects.get(ssp=ssp)
    assert bytes(version.docx).startswith(b"PK") and bytes(version.pdf).startswith(b"%PDF")
    assert "Acme CUI Enclave" in "\n".join(p.text for p in Document(io.BytesIO(bytes(version.docx))).paragraphs)
    assert "Acme CUI Enclave" in pdf_pages(bytes(version.pdf))[0]


def docx_tables(docx: bytes) -> list[list[list[str]]]:
    return [[[c.text for c in r.cells] for r in table.rows] for table in Document(io.BytesIO(docx)).tables]


def test_a_version_reads_as_the_user_wrote_it_everywhere_never_by_its_sequence_number(client, ssp):
    complete(ssp)
    for number, label in enumerate(("0.1", "0.2"), start=1):
        SspVersion.objects.create(ssp=ssp, number=number, label=label, generated_on="2026-03-05",
                                  description="Early", made_by="Pat", catalog_revision="x", draft=True,
                                  docx=b"d", docx_sha256="d", pdf=b"p", pdf_sha256="p")
    response = generate(client, ssp, "0.9", "Ready for review")
    assert response.status_code == 302, response.content[:2000]
    version = SspVersion.objects.get(ssp=ssp, label="0.9")
    assert version.number == 3 and not version.draft  # its number is 3; nothing may say so
    assessment = ssp.assessment

    overview = page(client.get(response["Location"]))
    assert "Version 0.9 is generated; it is final." in overview.text_content()
    rows = overview.xpath("//*[@data-testid='versions']//tbody/tr")
    assert [tr.xpath("string(td[1])") for tr in rows] == ["0.9", "0.2", "0.1"]
    activity = " ".join(page(client.get(reverse("orgs:activity", args=[assessment.public_id]))).text_content().split())
    assert "SSP: version 0.9 generated (final)" in activity
    snapshots = page(client.get(reverse("timeline:snapshots", args=[assessment.public_id]))).text_content()
    assert "SSP version 0.9 (final)" in snapshots
    assessment.refresh_from_db()
    assert assessment.ssp_version == "0.9"

    docx = client.get(url("version_docx", assessment, 3))
    pdf = client.get(url("version_pdf", assessment, 3))
    assert saved_as(docx) == ("Acme-CUI-Enclave-SSP-v0.9.docx",) * 2
    assert saved_as(pdf) == ("Acme-CUI-Enclave-SSP-v0.9.pdf",) * 2
    tables = docx_tables(docx.content)
    assert ["Version", "0.9"] in tables[0]  # the title page's fields
    assert [r[0] for r in record_of_changes(docx.content)] == ["Version", "0.1", "0.2", "0.9"]
    title_page = " ".join(pdf_pages(pdf.content)[0].split())
    assert "Version 0.9" in title_page
    for text in (title_page, docx_body_text(docx.content), " ".join(" ".join(c) for t in tables for c in t)):
        assert not re.search(r"\b(version|v) ?3\b", text, re.IGNORECASE)
