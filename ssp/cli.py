"""``manage.py render_ssp``: the plan held in an assessment file, rendered as the Generate button renders it, and
nothing kept.

The file goes through the import's own code (``assessment_file.read_document`` and ``import_json``) inside a
transaction that is rolled back once the document model is built: the database ends as it was, and the plan is
exactly what importing the file on the site would give. The renders then run like Generate's, each through
``render_guard.run_limited`` with the same render functions (``ssp/jobs.py``). Every refusal is a ``RenderRefused``
whose message is one line; nothing is written unless everything asked for was rendered.
"""

from __future__ import annotations

import os
import sys
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from django.db import transaction

from assessments.assessment_file import DATE_RE, MAX_FILE_BYTES, AssessmentFileError, import_json, read_document
from cmmc_site.render_guard import RenderError, run_limited

from . import jobs
from .blocks import MAX_PLAN_CHARS, ChangeRow, SspDocument
from .document import build_document
from .file_section import KEY
from .forms import GenerateForm
from .models import SspVersion, SystemSecurityPlan


class RenderRefused(Exception):
    """The file cannot be rendered, or an output cannot be written. The message is one line."""


@dataclass(frozen=True)
class Written:
    path: Path
    size: int


@dataclass(frozen=True)
class Rendered:
    written: tuple[Written, ...]
    draft: bool
    issues: int  # the readiness issues that make it a DRAFT
    open_items: tuple[str, ...]  # as the DRAFT's first page lists them

    @property
    def summary(self) -> str:
        files = ", ".join(f"{w.path} ({w.size:,} bytes)" for w in self.written)
        if not self.draft:
            return f"Wrote {files}: final"
        return f"Wrote {files}: DRAFT, {self.issues} open item{'s' if self.issues != 1 else ''}"


def parse_date(*, text: str) -> date:
    try:
        if DATE_RE.fullmatch(text):
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise RenderRefused(f"--date: expected a real date as YYYY-MM-DD, got {text!r}")


def read_input(*, file: str) -> object:
    """The file's JSON data (``-``: standard input), at most as large as the import takes."""
    try:
        if file == "-":
            raw = sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
        else:
            with open(file, "rb") as handle:
                raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise RenderRefused(f"{file}: cannot read the file ({exc.strerror or exc})") from None
    if len(raw) > MAX_FILE_BYTES:
        raise RenderRefused(f"{file}: the file is larger than {MAX_FILE_BYTES // 2**20} MB")
    try:
        data = read_document(raw)
    except AssessmentFileError as exc:
        raise RenderRefused(f"{file}: {exc}") from None
    if isinstance(data, dict) and KEY not in data:
        raise RenderRefused(f'{file}: no "{KEY}" section: the file holds no System Security Plan (export the '
                            "assessment again once its plan is started)")
    return data


def check_outputs(*, paths: list[Path]) -> None:
    """Refuse, before any work, an output that cannot be written (it is still checked when written)."""
    if not paths:
        raise RenderRefused("nothing to write: give --docx FILE, --pdf FILE or both")
    if len(paths) == 2 and paths[0].absolute() == paths[1].absolute():
        raise RenderRefused(f"{paths[0]}: --docx and --pdf name the same file")
    for path in paths:
        folder = path.absolute().parent
        if path.is_dir():
            raise RenderRefused(f"{path}: cannot write the file (it is a directory)")
        if not folder.is_dir():
            raise RenderRefused(f"{path}: cannot write the file (no directory {folder})")
        if not os.access(folder, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
            raise RenderRefused(f"{path}: cannot write the file (permission denied)")


def plan_document(*, data: object, file: str, label: str, on: date, description: str | None,
                  made_by: str | None) -> SspDocument:
    """The document model of the plan in ``data``, built from a rolled-back import. ``description`` defaults to
    "Initial version" for a plan without versions, ``made_by`` to the plan's approver (else the organisation)."""
    with transaction.atomic():
        try:
            assessment = import_json(data=data)
        except AssessmentFileError as exc:
            raise RenderRefused(f"{file}: {exc}") from None
        ssp = SystemSecurityPlan.objects.select_related("assessment").get(assessment=assessment)
        labels = list(SspVersion.objects.filter(ssp=ssp).order_by("number").values_list("label", flat=True))
        # The Generate form's own rules for the record-of-changes row (label format and uniqueness, lengths).
        form = GenerateForm({
            "label": label,
            "description": description if description is not None else
            ("Initial version" if not labels else "Revised plan"),
            "made_by": made_by if made_by is not None else (ssp.approver_name or ssp.org_name
                                                              or assessment.organization_name),
        }, taken=set(labels))
        if not form.is_valid():
            name, errors = next(iter(form.errors.items()))
            option = {"label": "--version", "description": "--description", "made_by": "--made-by"}[name]
            raise RenderRefused(f"{option}: {' '.join(errors)}")
        row = form.cleaned_data
        doc = build_document(ssp, version=row["label"], on=on,
                             change=ChangeRow(row["label"], on, row["description"], row["made_by"]))
        # Nothing of the import is kept: the document model holds everything the renders need.
        transaction.set_rollback(True)
    if doc.too_large:
        raise RenderRefused(f"{file}: this plan has {doc.size:,} characters of text; one document holds at most "
                            f"{MAX_PLAN_CHARS:,} (about 85 pages)")
    return doc


def render(*, doc: SspDocument, docx: Path | None, pdf: Path | None) -> dict[Path, bytes]:
    """Each requested document, rendered as Generate renders it (a child process with time and memory limits)."""
    out: dict[Path, bytes] = {}
    for path, job, kind in ((docx, jobs.docx, "DOCX"), (pdf, jobs.pdf, "PDF")):
        if path is None:
            continue
        try:
            out[path] = run_limited(job, doc)
        except RenderError as exc:
            raise RenderRefused(f"the {kind} could not be rendered: {exc}") from None
    return out


def write_outputs(*, documents: dict[Path, bytes]) -> tuple[Written, ...]:
    """All the files or none: each is written beside its target under a temporary name, then moved into place; a
    failure removes whatever this run wrote."""
    staged: list[tuple[Path, Path]] = []  # (temporary, target)
    moved: list[Path] = []
    path = None
    try:
        for path, body in documents.items():
            handle, temporary = tempfile.mkstemp(dir=path.absolute().parent, prefix=f".{path.name}.", suffix=".tmp")
            staged.append((Path(temporary), path))
            with os.fdopen(handle, "wb") as stream:
                stream.write(body)
        for temporary, path in staged:
            os.replace(temporary, path)
            moved.append(path)
    except OSError as exc:
        for leftover in [t for t, _ in staged] + moved:
            leftover.unlink(missing_ok=True)
        raise RenderRefused(f"{path}: cannot write the file ({exc.strerror or exc})") from None
    return tuple(Written(path, len(body)) for path, body in documents.items())


def render_file(*, file: str, docx: Path | None, pdf: Path | None, label: str, on: date,
                description: str | None = None, made_by: str | None = None) -> Rendered:
    """The whole command: read, import and build (rolled back), render, write."""
    check_outputs(paths=[p for p in (docx, pdf) if p is not None])
    data = read_input(file=file)
    doc = plan_document(data=data, file=file, label=label, on=on, description=description, made_by=made_by)
    written = write_outputs(documents=render(doc=doc, docx=docx, pdf=pdf))
    return Rendered(written=written, draft=doc.draft, issues=len(doc.issues), open_items=doc.open_items)
