"""What our SSP renderers add to the libraries they drive, for a complete 110-requirement plan, and how long the
largest plan allowed takes.

Run: ``.venv/bin/python bench/ssp_render.py`` (``make bench`` runs it after bench/run.py). It builds a temporary
SQLite database (migrate + the catalog from controls.catalog), writes a complete plan (every requirement with a
two-line description of about 600 characters, one in ten planned, one in twenty not applicable, a few table rows),
builds the document model once, then times, best of several runs:

- DOCX: ``render_docx.render(doc)`` against bare python-docx writing the same paragraphs and table cells into its
  default template (no styles, fields, header, widths);
- PDF: ``render_pdf.render(doc)`` (print template + our fetcher + WeasyPrint) against WeasyPrint alone rendering
  the same pre-built HTML, with its stylesheets and fonts read from the file system by WeasyPrint's own fetcher;
- the same for the plan with descriptions in eight other scripts and emoji (Noto fallback fonts: only those the
  text needs are declared and read);
- the same PDF through ``cmmc_site.render_guard.run_limited`` (the child process the views use), against that bare
  WeasyPrint time;
- "Generate": both files in one render process (``ssp.jobs.both``, what the Generate button runs) against bare
  python-docx plus bare WeasyPrint;
- the largest plan allowed (just under ``blocks.MAX_PLAN_CHARS`` characters: ten full rows of hardware and software,
  the three narratives sharing a quarter of what is left, the requirements the rest, each not applicable with a
  description and a rationale), generated as the view does, against the 5 s it may take.

Times depend on the machine (and on what else runs on it); the ratios are what to compare between runs. No
assertion: it only reports.
"""

import io
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
DOCX_RUNS = 5
PDF_RUNS = 2
BUDGET_SECONDS = 5.0  # what the largest plan allowed may take to generate (docs/ssp.md)
OTHER_SCRIPTS = ("安全计划由系统所有者审核。", "セキュリティ計画は毎年見直します。", "보안 계획은 매년 검토합니다.",
                 "सुरक्षा योजना की समीक्षा हर साल होती है।", "แผนความปลอดภัยได้รับการทบทวนทุกปี",
                 "የደህንነት እቅዱ በየዓመቱ ይገመገማል።", "பாதுகாப்பு திட்டம் ஆண்டுதோறும் மதிப்பாய்வு செய்யப்படுகிறது.",
                 "Կանոնները վերանայվում են։ 🔒🛡️✅")


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


def complete_plan(name: str = "Bench Engineering LLC"):
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

    assessment = Assessment.objects.create(organization_name=name, cage_codes="1ABC2")
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


def multilingual(plan):
    """The plan with one description in ten also in another script (and emoji)."""
    from assessments.models import Answer

    for index, row in enumerate(Answer.objects.filter(assessment=plan.assessment).order_by("requirement__position")):
        if index % 10 == 0:
            row.note += "\n" + OTHER_SCRIPTS[index // 10 % len(OTHER_SCRIPTS)]
            row.save()
    plan.system_name = "Bench CUI Enclave 安全"
    plan.save()
    return plan


def words(length: int, seed: int) -> str:
    vocabulary = ("access", "control", "audit", "firewall", "encrypted", "backup", "procedure", "quarterly",
                  "administrator", "reviewed", "CUI", "enclave", "MFA", "baseline", "incident", "log")
    out, index = [], seed
    while sum(len(w) + 1 for w in out) < length:
        out.append(vocabulary[index % len(vocabulary)])
        index = (index * 7 + 3) % 1009
    return " ".join(out)[:length].strip()


def largest_plan():
    """A plan of just under MAX_PLAN_CHARS: ten full rows of hardware and software, the narratives sharing a quarter of
    what is left, and the requirements (not applicable: a description and a rationale each) the rest."""
    from assessments.models import TEXT_MAX, Answer, Assessment
    from controls.models import Requirement
    from ssp.blocks import MAX_PLAN_CHARS
    from ssp.document import build_document
    from ssp.models import NARRATIVE_MAX, SHORT_MAX, HardwareItem, SoftwareItem, SystemSecurityPlan, create_ssp

    assessment = Assessment.objects.create(organization_name="Largest LLC")
    Answer.objects.bulk_create(Answer(assessment=assessment, requirement=r) for r in Requirement.objects.all())
    ssp = create_ssp(assessment=assessment)
    row = words(SHORT_MAX, 9)
    HardwareItem.objects.bulk_create(HardwareItem(ssp=ssp, component=row, make_model=row, version=row[:100],
                                                  responsible=row) for _ in range(10))
    SoftwareItem.objects.bulk_create(SoftwareItem(ssp=ssp, name=row, vendor=row, version=row[:100], purpose=row,
                                                  responsible=row) for _ in range(10))
    answers = list(Answer.objects.filter(assessment=assessment).select_related("requirement"))

    def fill(narrative: int, per_requirement: int):
        for name in ("purpose", "boundary", "environment"):
            setattr(ssp, name, words(min(narrative, NARRATIVE_MAX), len(name)))
        ssp.system_name = words(SHORT_MAX, 3)
        ssp.save()
        for index, answer in enumerate(answers):
            answer.status = "met" if answer.requirement.nist_id == "3.12.4" else "na"
            answer.note = words(min(per_requirement // 2 or 10, TEXT_MAX), index)
            answer.justification = words(min(per_requirement // 2 or 10, TEXT_MAX), index + 500)
        Answer.objects.bulk_update(answers, ["status", "note", "justification"])
        return build_document(SystemSecurityPlan.objects.select_related("assessment").get(pk=ssp.pk))

    doc = fill(0, 0)
    narrative = int(min(NARRATIVE_MAX, (MAX_PLAN_CHARS - doc.size) * 0.25 / 3))
    doc = fill(narrative, 0)
    per_requirement = int((MAX_PLAN_CHARS - doc.size) / len(answers) * 0.98)
    return fill(narrative, per_requirement)


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


def file_based(doc, folder: Path) -> tuple[str, str]:
    """The document's HTML with everything our fetcher serves for it (stylesheets, fonts, the font stylesheet, the
    one font cut out of the CJK collection) laid out on disk, for WeasyPrint's default fetcher."""
    from ssp import render_pdf

    served: dict[str, bytes] = {}

    class Recorder(render_pdf.LocalOnlyFetcher):
        def fetch(self, url, headers=None):
            served[url] = self._resolve(url)[1]
            return super().fetch(url, headers)

    html = render_pdf.render_html(doc)
    render_pdf.html_to_pdf(html, fetcher=Recorder(render_pdf.assets_for(doc)))

    def local(url: str) -> str:
        parts = urlsplit(url)
        return parts.path.lstrip("/") + (f".{parts.fragment}" if parts.fragment else "")

    for url, body in served.items():
        target = folder / local(url)
        target.parent.mkdir(parents=True, exist_ok=True)
        if url.endswith(".css"):
            body = body.decode().replace(render_pdf.STATIC_BASE, (folder / "static").as_uri() + "/").encode()
            for font_url in served:
                if "#" in font_url:
                    body = body.replace(font_url.replace(render_pdf.STATIC_BASE, (folder / "static").as_uri() + "/")
                                        .encode(), (folder / local(font_url)).as_uri().encode())
        target.write_bytes(body)
    html = html.replace(render_pdf.STATIC_BASE, "static/").replace(render_pdf.ASSET_BASE, "asset/")
    return html, folder.as_uri() + "/"


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
        from ssp.blocks import MAX_PLAN_CHARS
        from ssp.document import build_document

        doc = build_document(complete_plan())
        other = build_document(multilingual(complete_plan("Bench Multilingual LLC")))
        paragraphs, tables = same_content(render_docx.render(doc))
        bare_html, base_url = file_based(doc, folder / "plain")
        other_html, other_url = file_based(other, folder / "other")
        HTML(string=bare_html, base_url=base_url).write_pdf()  # warm-up: library loading and caches
        run_limited(jobs.both, doc)  # starts the render fork server

        ours_docx, docx = best(lambda: render_docx.render(doc), DOCX_RUNS)
        bare_docx_time, _ = best(lambda: bare_docx(paragraphs, tables), DOCX_RUNS)
        ours_pdf, pdf = best(lambda: render_pdf.render(doc), PDF_RUNS)
        bare_pdf, _ = best(lambda: HTML(string=bare_html, base_url=base_url).write_pdf(), PDF_RUNS)
        ours_other, other_pdf = best(lambda: render_pdf.render(other), PDF_RUNS)
        bare_other, _ = best(lambda: HTML(string=other_html, base_url=other_url).write_pdf(), PDF_RUNS)
        child_pdf, _ = best(lambda: run_limited(jobs.pdf, doc), PDF_RUNS)
        generate, _ = best(lambda: run_limited(jobs.both, doc), PDF_RUNS)
        largest = largest_plan()
        largest_time, (_, largest_pdf) = best(lambda: run_limited(jobs.both, largest), PDF_RUNS)

    from pypdf import PdfReader

    def pages(data: bytes) -> int:
        return len(PdfReader(io.BytesIO(data)).pages)

    fallbacks = [f.family for f, _ in render_pdf.font_fallbacks(other)]
    print(f"SSP render: 110 requirements, {doc.size:,} characters, {pages(pdf)} PDF pages, {len(docx):,} B DOCX, "
          f"{len(pdf):,} B PDF (best of {DOCX_RUNS} DOCX / {PDF_RUNS} PDF runs)")
    print(f"  other scripts: {len(fallbacks)} fallback fonts ({', '.join(fallbacks)}), {len(other_pdf):,} B PDF")
    print(f"  largest plan allowed: {largest.size:,} characters (limit {MAX_PLAN_CHARS:,}), {pages(largest_pdf)} PDF "
          "pages")
    rows = [
        ("DOCX: render_docx.render vs bare python-docx", ours_docx, bare_docx_time),
        ("PDF: render_pdf.render vs bare WeasyPrint, same HTML", ours_pdf, bare_pdf),
        ("PDF, other scripts: vs bare WeasyPrint, same HTML", ours_other, bare_other),
        ("PDF in a render child (run_limited) vs bare WeasyPrint", child_pdf, bare_pdf),
        ("Generate (both, one child) vs bare DOCX + bare PDF", generate, bare_docx_time + bare_pdf),
        (f"Largest plan allowed: Generate vs its {BUDGET_SECONDS:g} s budget", largest_time, BUDGET_SECONDS),
    ]
    print(f"{'':58} {'ours (s)':>9} {'bare (s)':>9} {'ratio':>7}")
    for label, ours, bare in rows:
        print(f"{label:58} {ours:9.3f} {bare:9.3f} {ours / bare:7.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
