"""Shared set-up for the SSP tests (not a test module): an assessment with its plan, filled to a chosen degree; the
fixtures and helpers of the SSP view tests."""

import io
import itertools
import re
from datetime import date, timedelta

import lxml.html
import pytest
from django.db import models
from django.test import Client
from django.urls import reverse
from PIL import Image

from assessments.models import RESPONSIBLE_MAX, TEXT_MAX, Answer, Assessment
from cmmc_site import render_guard
from controls.models import Requirement
from ssp.blocks import MAX_PLAN_CHARS
from ssp.document import build_document
from ssp.environment_views import TABLES
from ssp.forms import UserRoleFormSet
from ssp.models import (
    DESCRIPTION_MAX,
    NARRATIVE_MAX,
    ROWS_MAX,
    SHORT_MAX,
    Contact,
    HardwareItem,
    Interconnection,
    ServiceProvider,
    SoftwareItem,
    SystemSecurityPlan,
    UserRole,
    create_ssp,
)
from ssp.records import RequirementRecord, records

from .personas import start_anonymous

PLANNED_DATE = date.today() + timedelta(days=90)


def start_assessment(client: Client, name: str = "Acme") -> Assessment:
    """A new anonymous assessment held by ``client`` (personas.start_anonymous: no request to the start view)."""
    return start_anonymous(client, name)


def answer_all(assessment: Assessment, *, not_met: tuple[str, ...] = (), na: tuple[str, ...] = ()) -> None:
    """Every requirement answered: met, except the given ones (not met with a date, or N/A with a reason)."""
    rows = []
    for requirement in Requirement.objects.exclude(nist_id="3.12.4"):
        if requirement.nist_id in not_met:
            rows.append(Answer(assessment=assessment, requirement=requirement, status="not_met",
                               responsible="IT lead", planned_date=PLANNED_DATE))
        elif requirement.nist_id in na:
            rows.append(Answer(assessment=assessment, requirement=requirement, status="na",
                               justification=f"No such thing here ({requirement.nist_id})."))
        else:
            rows.append(Answer(assessment=assessment, requirement=requirement, status="met"))
    Answer.objects.bulk_create(rows)


def plan_for(assessment: Assessment) -> SystemSecurityPlan:
    ssp = create_ssp(assessment=assessment)
    return SystemSecurityPlan.objects.select_related("assessment").get(pk=ssp.pk)


def complete(ssp: SystemSecurityPlan) -> SystemSecurityPlan:
    """Fill everything the readiness check asks for, with a distinct description per requirement."""
    ssp.system_name = "Acme CUI Enclave"
    ssp.boundary = "The enclave: one office network and a GCC High tenant."
    ssp.environment = "Windows 11 laptops, one firewall, one switch."
    ssp.purpose = "Engineering drawings for DoD contracts."
    ssp.cui_categories = ["Controlled Technical Information"]
    ssp.diagram_none_reason = "One flat office network; the boundary text above describes it fully."
    ssp.hardware_reference = "Asset register in the MSP's RMM tool"
    ssp.software_reference = "Intune discovered-apps report"
    ssp.approver_name, ssp.approver_title, ssp.approval_date = "Pat Doe", "CEO", date(2026, 3, 1)
    ssp.save()
    Contact.objects.filter(ssp=ssp).update(name="Pat Doe", title="CEO", email="pat@example.com")
    UserRole.objects.create(ssp=ssp, role="Engineers", users=12, privileged_users=1)
    for requirement in Requirement.objects.all():
        answer, _ = Answer.objects.get_or_create(assessment=ssp.assessment, requirement=requirement)
        answer.note = (f"How {requirement.nist_id} is done: the IT lead follows a written procedure, and a tool "
                       "setting enforces it on every laptop and server.")
        if answer.status == "na":
            answer.justification = answer.justification or "Not used here."
            answer.na_approved_by, answer.na_approved_on = "Pat Doe", date(2026, 2, 20)
        if not answer.status and requirement.nist_id != "3.12.4":
            answer.status = "met"
        if answer.status in ("not_met", "partial"):
            answer.weakness = f"{requirement.nist_id} is not in place yet."
            answer.responsible = answer.responsible or "IT lead"
            answer.milestones = f"{PLANNED_DATE.isoformat()} Put it in place and check it"
        answer.save()
    return ssp


def words(length: int, seed: int) -> str:
    vocabulary = ("access", "control", "audit", "firewall", "encrypted", "backup", "procedure", "quarterly",
                  "administrator", "reviewed", "CUI", "enclave", "MFA", "baseline", "incident", "log")
    out, index = [], seed
    while sum(len(w) + 1 for w in out) < length:
        out.append(vocabulary[index % len(vocabulary)])
        index = (index * 7 + 3) % 1009
    return " ".join(out)[:length].strip()


def _fill_tables(ssp: SystemSecurityPlan, rows: int) -> None:
    row = words(SHORT_MAX, 9)
    UserRole.objects.bulk_create(UserRole(ssp=ssp, role=row, users=999, privileged_users=99) for _ in range(rows))
    HardwareItem.objects.bulk_create(HardwareItem(ssp=ssp, component=row, make_model=row, version=row[:100],
                                                  responsible=row) for _ in range(rows))
    SoftwareItem.objects.bulk_create(SoftwareItem(ssp=ssp, name=row, vendor=row, version=row[:100], purpose=row,
                                                  responsible=row) for _ in range(rows))
    Interconnection.objects.bulk_create(Interconnection(ssp=ssp, system=row, owner=row, connection=row, data=row,
                                                        agreement=row) for _ in range(rows))
    ServiceProvider.objects.bulk_create(ServiceProvider(ssp=ssp, name=row, service=row, responsibility="shared",
                                                        notes=row) for _ in range(rows))


def _fill_fields(ssp: SystemSecurityPlan, narrative: int = NARRATIVE_MAX) -> None:
    for name in ("purpose", "boundary", "environment"):
        setattr(ssp, name, words(narrative, len(name)))
    for name in ("system_name", "org_name", "approver_name", "approver_title"):
        setattr(ssp, name, words(SHORT_MAX, len(name)))
    ssp.maintenance_explanation = words(DESCRIPTION_MAX, 5)
    ssp.maintained_by_org = "no"
    ssp.save()
    Contact.objects.filter(ssp=ssp).update(name=words(SHORT_MAX, 1), title=words(SHORT_MAX, 2),
                                           address=words(500, 3))


def _fill_requirements(ssp: SystemSecurityPlan, length: int) -> None:
    # Not applicable prints both the description and the rationale: the longest a requirement can be.
    for index, requirement in enumerate(Requirement.objects.order_by("position")):
        answer, _ = Answer.objects.get_or_create(assessment=ssp.assessment, requirement=requirement)
        answer.status = "met" if requirement.nist_id == "3.12.4" else "na"  # an SSP is never not applicable
        answer.note = words(min(length, TEXT_MAX), index)
        answer.justification = words(min(max(length - TEXT_MAX, 0), TEXT_MAX) or 10, index + 500)
        answer.responsible = words(RESPONSIBLE_MAX, index)
        answer.save()


def maximal_plan(ssp: SystemSecurityPlan) -> None:
    """Every field and table at its own limit."""
    _fill_fields(ssp)
    _fill_tables(ssp, ROWS_MAX)
    _fill_requirements(ssp, 2 * TEXT_MAX)


def fill_to_budget(ssp: SystemSecurityPlan) -> None:
    """The largest plan that may be rendered: three full rows in every table, every other field filled, the three
    narratives sharing a quarter of what is left of MAX_PLAN_CHARS (up to their limits), the requirements the rest."""
    _fill_tables(ssp, 3)
    _fill_fields(ssp, 0)
    _fill_requirements(ssp, 0)
    ssp.refresh_from_db()
    _fill_fields(ssp, min(NARRATIVE_MAX, (MAX_PLAN_CHARS - build_document(ssp).size) // 12))
    ssp.refresh_from_db()
    left = MAX_PLAN_CHARS - build_document(ssp).size
    _fill_requirements(ssp, int(left / 110 * 0.985))


# --- Reading the documents back ---------------------------------------------------------------------------------

HOSTILE = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', '=HYPERLINK("http://x","y")', "+1",
           "-2+3", "@SUM(1)", "{{7*7}}", "{% raw %}", "]]>", "\u202eexe.txt", "\U0001f600", "&amp; &lt;b&gt;"]
XML_ILLEGAL = "\x0b\x1b\ufffe"  # NUL cannot be stored at all (PostgreSQL, and forms refuse it)


_rendered: dict[bytes, bytes] = {}
_texts: dict[tuple[bytes, tuple[str, ...]], str] = {}


def rendered_pdf(doc) -> bytes:
    """``render_pdf.render(doc)``, once per process for each distinct document: many tests read the same complete
    plan. The key is the whole print HTML and every asset it links to, so any difference renders anew."""
    import hashlib

    from ssp import render_pdf

    html, assets = render_pdf.render_html(doc), render_pdf.assets_for(doc)
    key = hashlib.sha256(html.encode() + repr(sorted(assets.items())).encode()).digest()
    if key not in _rendered:
        _rendered[key] = render_pdf.html_to_pdf(html, assets=assets)
    return _rendered[key]


def pdf_text(pdf: bytes, *args: str) -> str:
    """pdftotext's reading of ``pdf`` (once per process for the same bytes and options)."""
    import hashlib
    import subprocess

    key = (hashlib.sha256(pdf).digest(), args)
    if key not in _texts:
        result = subprocess.run(["pdftotext", *args, "-", "-"], input=pdf, capture_output=True, check=True,
                                timeout=60)
        _texts[key] = result.stdout.decode()
    return _texts[key]


def pdf_pages(pdf: bytes) -> list[str]:
    return pdf_text(pdf).split("\f")[:-1]


def pdf_body_text(pdf: bytes, header_text: str) -> str:
    """The PDF's text without its page furniture (banner, running header, DRAFT mark, page numbers)."""
    import re

    furniture = re.compile(r"^(CUI|DRAFT|Page \d+ of \d+)$")
    lines = [line for line in pdf_text(pdf).splitlines()
             if not furniture.match(line.strip()) and line.strip() != header_text]
    return "\n".join(lines)


def docx_body_text(docx: bytes) -> str:
    import io

    from docx import Document

    return "\n".join(p.text for p in Document(io.BytesIO(docx)).paragraphs)


def requirement_blocks(text: str, doc) -> dict[str, tuple[str, str]]:
    """Each requirement's (status, description) as printed, found between its heading and the next heading."""
    import re

    entries = doc.requirements
    family_headings = [b.full for b in doc.section("3").blocks if b.kind == "heading"]
    flat = " ".join(text.split())
    starts = []
    position = 0
    for entry in entries:
        position = flat.index(" ".join(entry.heading.split()), position)
        starts.append(position)
    starts.append(flat.index("4. Record of changes", position))
    found = {}
    for entry, start, end in zip(entries, starts, starts[1:], strict=False):
        block = flat[start:end]
        for heading in family_headings:
            block = block.split(f" {heading} ", 1)[0] if block.endswith(f" {heading} ") else block
        status = re.search(r"Status: (Implemented|Partially implemented|Planned to be implemented|Not applicable)",
                           block)
        label = next(f"{label} " for label in ("Planned implementation details", "What is in place, and what is "
                                               "planned", "Implementation details") if label in block)
        description = block.split(label, 1)[1].split(" Rationale for not applicable", 1)[0].strip()
        found[entry.nist_id] = (status[1] if status else "", description)
    return found


# --- Fixtures of the SSP view tests (test_ssp_*_view.py, test_ssp_access.py import them by these names) -------------


@pytest.fixture(name="fresh_render_slots", autouse=True)
def fresh_render_slots_fixture() -> None:
    render_guard.reset_slots()


@pytest.fixture(name="assessment")
def assessment_fixture(client: Client) -> Assessment:
    assessment = start_assessment(client)
    answer_all(assessment, not_met=("3.1.3",), na=("3.1.16",))
    return assessment


@pytest.fixture(name="ssp")
def ssp_fixture(assessment: Assessment) -> SystemSecurityPlan:
    return plan_for(assessment)


# --- Helpers of the SSP view tests -------------------------------------------------------------------------------


def url(name: str, assessment, *args) -> str:
    return reverse(f"ssp:{name}", args=[assessment.public_id, *args])


def page(response) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(response.content.decode())


def textarea(html: lxml.html.HtmlElement, field_id: str) -> str:
    """A textarea's value as a browser reads it (the newline right after the opening tag is not content)."""
    text = html.xpath("//textarea[@id=$i]", i=field_id)[0].text or ""
    return text[1:] if text.startswith("\n") else text


def png_bytes(size=(120, 60)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "teal").save(buffer, format="PNG")
    return buffer.getvalue()


def requirement_data(rec: RequirementRecord, **overrides) -> dict:
    """What the step-3 form posts for a requirement, as the page shows it."""
    prefix = "r" + rec.requirement.nist_id.replace(".", "-")
    answer = rec.answer
    data = {"status": answer.status, "note": rec.description, "justification": answer.justification,
            "responsible": answer.responsible, "evidence": answer.evidence, "poam_reference": answer.poam_reference,
            "planned_date": answer.planned_date.isoformat() if answer.planned_date else "",
            "version": answer.version}
    data |= overrides
    return {f"{prefix}-{key}": value for key, value in data.items()}


def get_row(ssp, nist_id: str) -> RequirementRecord:
    _, (rec,) = records(ssp.assessment, requirement=Requirement.objects.get(nist_id=nist_id))
    return rec


ROW_MODELS = {name: formset.model for name, formset in TABLES} | {"roles": UserRoleFormSet.model}


ROW_FORMSETS = dict(TABLES) | {"roles": UserRoleFormSet}


def model_field(name: str) -> models.Field:
    """The model field behind a posted name: ``hardware-3-component``, ``system_owner-email`` or ``boundary``."""
    if row := re.fullmatch(r"(\w+)-\d+-(\w+)", name):
        return ROW_MODELS[row[1]]._meta.get_field(row[2])
    if "-" in name:
        return Contact._meta.get_field(name.split("-", 1)[1])
    return SystemSecurityPlan._meta.get_field(name)


def fill_everything():
    """A ``fill`` for browser_submission: every visible field at its model's limit, each value different."""
    seeds = itertools.count()

    def fill(el) -> str | None:
        name, seed = el.get("name"), next(seeds)
        field = model_field(name)
        if isinstance(field, models.EmailField):
            return f"person{seed}@example.com"
        if isinstance(field, models.IntegerField):
            return str(seed)
        return words(field.max_length, seed)
    return fill


def last_choice(name: str, values: list[str]) -> str:
    return values[-1]


def posted_rows(pairs: list[tuple[str, str]], table: str) -> list[dict]:
    """The rows of ``table`` in the order posted, as {field: value}."""
    rows: dict[int, dict] = {}
    for name, value in pairs:
        if (row := re.fullmatch(rf"{table}-(\d+)-(\w+)", name)) and row[2] not in ("id", "ssp", "DELETE"):
            rows.setdefault(int(row[1]), {})[row[2]] = value
    return [rows[i] for i in sorted(rows)]


def stored_rows(ssp: SystemSecurityPlan, table: str) -> list[dict]:
    fields = list(ROW_FORMSETS[table].form.base_fields)
    return [{k: str(v) for k, v in row.items()}
            for row in ROW_MODELS[table].objects.filter(ssp=ssp).order_by("pk").values(*fields)]


def refusal(response) -> tuple[int, list[str]]:
    """Why a post was not saved: the page's heading and the messages next to the fields."""
    texts = page(response).xpath("//h1//text() | //*[contains(@class, 'invalid-feedback')]//text()")
    return response.status_code, [t.strip() for t in texts if t.strip()]


def most_fields(form_class, tables: list[str], *, named_buttons: int = 1) -> int:
    """What a page posts at most, from the definitions: the CSRF token, the form's fields, the pressed button, and per
    table its 4 management fields and ROWS_MAX x (its fields + id, plan id, Delete)."""
    rows = sum(4 + ROWS_MAX * (len(ROW_FORMSETS[t].form.base_fields) + 3) for t in tables)
    return 1 + len(form_class.base_fields) + named_buttons + rows
