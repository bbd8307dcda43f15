"""What our SSP renderers add to the libraries they drive, for a complete 110-requirement plan.

Run: ``.venv/bin/python bench/ssp_render.py`` (``make bench`` runs it after bench/run.py). It builds a temporary
SQLite database (migrate + the catalog from controls.catalog), writes a complete plan (every requirement with a
two-line description of about 600 characters, one in ten planned, one in twenty not applicable, a few table rows),
builds the document model once, then times, best of several runs:

- DOCX: ``render_docx.render(doc)`` against bare python-docx writing the same paragraphs and table cells into its
  default template (no styles, fields, header, widths);
- PDF: ``render_pdf.render(doc)`` (print template + our fetcher + WeasyPrint) against WeasyPrint alone rendering
  the same pre-built HTML, with its stylesheet and fonts read from the file system by WeasyPrint's own fetcher;
- the same PDF through ``cmmc_site.render_guard.run_limited`` (the child process the views use, one run), against
  that bare WeasyPrint time.

Times depend on the machine; the ratios are what to compare between runs. No assertion: it only reports.
"""

import io
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCX_RUNS = 5
PDF_RUNS = 2


def setup(db_path: Path) -> None:
    warnings.filterwarnings("ignore", message="No directory at")
    os.environ["DATABASE_URL"] = f"sqlite:///{db_path}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cmmc_site.settings")
    os.environ.setdefault("LOG_LEVEL", "ERROR")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from controls.catalog import load_catalog, read_catalog

    call_command("migrate", verbosity=0, interactive=False)
    load_catalog(catalog=read_catalog(settings.CATALOG_FIXTURE))


def complete_plan():
    from datetime import date, timedelta

    from assessments.models import Answer, Assessment
    from controls.models import Requirement
    from ssp.models import (
        HardwareItem,
        SoftwareItem,
        SystemSecurityPlan,
        UserRole,
        create_ssp,
    )

    assessment = Assessment.objects.create(organization_name="Bench Engineering LLC", cage_codes="1ABC2")
    answers = []
    for index, requirement in enumerate(Requirement.objects.order_by("position")):
        status = "not_met" if index % 10 == 3 else "na" if index % 20 == 7 else "met"
        answers.append(Answer(assessment=assessment, requirement=requirement, status=status,
                              justification="No wireless access exists in the enclave." if status == "na" else "",
                              planned_date=date.today() + timedelta(days=90) if status == "not_met" else None,
                              responsible="IT manager"))
    Answer.objects.bulk_create(answers)
    ssp = create_ssp(assessment=assessment)
    ssp.system_name, ssp.boundary = "Bench CUI Enclave", "One office, one Microsoft 365 GCC High tenant. " * 20
    ssp.environment, ssp.purpose = "Windows 11 laptops managed by Intune. " * 20, "Engineering drawings. " * 10
    ssp.save()
    for index in range(8):
        UserRole.objects.create(ssp=ssp, role=f"Role {index}", users=10 + index, privileged_users=1)
        HardwareItem.objects.create(ssp=ssp, component=f"Laptop model {index}", make_model="Dell Latitude 7440",
                                    version="BIOS 1.2", responsible="IT manager")
        SoftwareItem.objects.create(ssp=ssp, name=f"Application {index}", vendor="Microsoft", version="2024",
                                    purpose="Office work", responsible="IT manager")
    sentence = ("Access is granted through Entra ID groups approved by the system owner; the IT manager reviews "
                "membership quarterly and removes leavers the same day. ")
    for row in Answer.objects.filter(assessment=assessment).select_related("requirement"):
        row.note = f"{row.requirement.nist_id}: {sentence * 2}\nEvidence: {sentence * 2}"
        row.save()
    return SystemSecurityPlan.objects.select_related("assessment").get(pk=ssp.pk)


def bare_docx(paragraphs: list[str], tables: list[list[list[str]]]) -> bytes:
    """python-docx alone: the same texts, default template, no styles or fields."""
    from docx import Document

    document = Document()
    for text in paragraphs:
        document.add_paragraph(text)
    for rows in tables:
        table = document.add_table(rows=len(rows), cols=len(rows[0]))
        for cells, values in zip(table.rows, rows, strict=True):
            for cell, value in zip(cells.cells, values, strict=True):
                cell.text = value
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def same_content(docx: bytes) -> tuple[list[str], list[list[list[str]]]]:
    from docx import Document

    document = Document(io.BytesIO(docx))
    return ([p.text for p in document.paragraphs],
            [[[c.text for c in row.cells] for row in table.rows] for table in document.tables])


def file_based_html(html: str, folder: Path) -> tuple[str, str]:
    """The same HTML with its stylesheet and fonts laid out on disk, for WeasyPrint's default fetcher."""
    from django.contrib.staticfiles import finders

    from ssp import render_pdf

    for relative in ("ssp/print.css", "vendor/dejavu/DejaVuSans.ttf", "vendor/dejavu/DejaVuSans-Bold.ttf",
                     "vendor/dejavu/DejaVuSans-Oblique.ttf", "vendor/dejavu/DejaVuSans-BoldOblique.ttf"):
        target = folder / "static" / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(Path(finders.find(relative)).read_bytes())
    return html.replace(render_pdf.STATIC_BASE, "static/"), folder.as_uri() + "/"


def best(function, runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return min(times), result


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="ssp-bench-") as tmp:
        folder = Path(tmp)
        setup(folder / "bench.sqlite3")
        from weasyprint import HTML

        from cmmc_site.render_guard import run_limited
        from ssp import jobs, render_docx, render_pdf
        from ssp.document import build_document

        doc = build_document(complete_plan())
        paragraphs, tables = same_content(render_docx.render(doc))
        html = render_pdf.render_html(doc)
        bare_html, base_url = file_based_html(html, folder)
        HTML(string=bare_html, base_url=base_url).write_pdf()  # warm-up: library loading and caches

        ours_docx, docx = best(lambda: render_docx.render(doc), DOCX_RUNS)
        bare_docx_time, _ = best(lambda: bare_docx(paragraphs, tables), DOCX_RUNS)
        ours_pdf, pdf = best(lambda: render_pdf.render(doc), PDF_RUNS)
        bare_pdf, _ = best(lambda: HTML(string=bare_html, base_url=base_url).write_pdf(), PDF_RUNS)
        child_pdf, _ = best(lambda: run_limited(jobs.pdf, doc), 1)

    from pypdf import PdfReader

    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    print(f"SSP render: 110 requirements, {doc.size:,} characters, {pages} PDF pages, {len(docx):,} B DOCX, "
          f"{len(pdf):,} B PDF (best of {DOCX_RUNS} DOCX / {PDF_RUNS} PDF runs)")
    rows = [
        ("DOCX: render_docx.render vs bare python-docx", ours_docx, bare_docx_time),
        ("PDF: render_pdf.render vs bare WeasyPrint, same HTML", ours_pdf, bare_pdf),
        ("PDF in a render child (run_limited) vs bare WeasyPrint", child_pdf, bare_pdf),
    ]
    print(f"{'':56} {'ours (s)':>9} {'bare (s)':>9} {'ratio':>7}")
    for label, ours, bare in rows:
        print(f"{label:56} {ours:9.3f} {bare:9.3f} {ours / bare:7.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
