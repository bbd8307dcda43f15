"""The plan's part of the assessment file (version 2, key ``ssp``): every step, every table row, the diagram (as
base64 with its SHA-256) and the list of generated versions (without their documents).

Registered with ``assessments.assessment_file`` in ``SspConfig.ready()``. Parsing checks everything before the
import writes anything; the import then writes through the same models as the pages.
"""

import base64
import binascii
import re
from dataclasses import dataclass
from datetime import date

from django.db import models

from assessments.assessment_file import AssessmentFileError, Section, expect_object, field_value, only_keys, show
from assessments.models import Assessment

from . import images
from .forms import LABEL_RE
from .models import (
    ROWS_MAX,
    SHORT_MAX,
    Contact,
    ContactRole,
    HardwareItem,
    Interconnection,
    NetworkDiagram,
    PlanReview,
    PolicyDocument,
    ServiceProvider,
    SoftwareItem,
    SspVersion,
    SystemSecurityPlan,
    UserRole,
    create_ssp,
    sha256,
)

KEY = "ssp"
PLAN_FIELDS = ("system_name", "system_identifier", "categorization", "org_name", "org_address", "org_phone",
               "purpose", "cui_categories", "cui_other", "boundary", "environment", "hardware_reference",
               "software_reference", "maintained_by_org", "maintenance_explanation", "review_frequency",
               "approver_name", "approver_title", "cui_banner", "approval_date", "cui_controlled_by",
               "cui_category_marking", "cui_dissemination", "cui_poc", "diagram_none_reason", "narrative_variant")
CONTACT_FIELDS = ("name", "title", "address", "phone", "email")
TABLES: dict[str, tuple[type[models.Model], tuple[str, ...]]] = {
    "user_roles": (UserRole, ("role", "users", "privileged_users")),
    "hardware": (HardwareItem, ("component", "make_model", "version", "responsible")),
    "software": (SoftwareItem, ("name", "vendor", "version", "purpose", "responsible")),
    "interconnections": (Interconnection, ("system", "owner", "connection", "data", "agreement")),
    "providers": (ServiceProvider, ("name", "service", "responsibility", "notes")),
    "policies": (PolicyDocument, ("title", "reference", "version")),
    "reviews": (PlanReview, ("reviewed_on", "reviewer", "outcome")),
}
DIAGRAM_KEYS = ("content_type", "width", "height", "caption", "sha256", "image_base64")
VERSION_FIELDS = ("number", "label", "generated_on", "description", "made_by", "catalog_revision", "draft",
                  "docx_sha256", "pdf_sha256")
SHA256_RE = re.compile(r"[0-9a-f]{64}")


def _json(value: object) -> object:
    return value.isoformat() if isinstance(value, date) else value


def export(assessment: Assessment) -> dict | None:
    """The plan as JSON (10 queries), or None when the assessment has none."""
    ssp = SystemSecurityPlan.objects.filter(assessment=assessment).first()
    if ssp is None:
        return None
    out: dict[str, object] = {name: _json(getattr(ssp, name)) for name in PLAN_FIELDS}
    out["contacts"] = {c.role: {name: getattr(c, name) for name in CONTACT_FIELDS}
                       for c in sorted(Contact.objects.filter(ssp=ssp), key=lambda c: ContactRole.values.index(c.role))}
    for key, (model, fields) in TABLES.items():
        out[key] = [{name: _json(value) for name, value in zip(fields, row, strict=True)}
                    for row in model.objects.filter(ssp=ssp).order_by("pk").values_list(*fields)]
    diagram = NetworkDiagram.objects.filter(ssp=ssp).first()
    out["diagram"] = None if diagram is None else {
        "content_type": diagram.content_type, "width": diagram.width, "height": diagram.height,
        "caption": diagram.caption, "sha256": diagram.sha256,
        "image_base64": base64.b64encode(bytes(diagram.image)).decode("ascii"),
    }
    out["versions"] = [{name: _json(value) for name, value in zip(VERSION_FIELDS, row, strict=True)}
                       for row in SspVersion.objects.filter(ssp=ssp).order_by("number").values_list(*VERSION_FIELDS)]
    return out


@dataclass(frozen=True)
class ParsedPlan:
    plan: dict[str, object]
    contacts: dict[str, dict[str, object]]
    tables: dict[str, list[dict[str, object]]]
    diagram: images.Reencoded | None
    caption: str
    versions: list[dict[str, object]]


def _text_list(value: object, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and "\x00" not in v for v in value):
        raise AssessmentFileError(f"{where}: expected a list of texts, got {show(value)}")
    if len(value) > ROWS_MAX or any(len(v) > SHORT_MAX for v in value):
        raise AssessmentFileError(f"{where}: at most {ROWS_MAX} entries of at most {SHORT_MAX} characters")
    return list(value)


def _row(model: type[models.Model], fields: tuple[str, ...], raw: object, where: str) -> dict[str, object]:
    data = expect_object(raw, where)
    only_keys(data, fields, where)
    row = {}
    for name in fields:
        field = model._meta.get_field(name)
        value = field_value(model, name, data[name], f"{where}.{name}") if name in data else field.get_default()
        if not field.blank and value in ("", None):
            raise AssessmentFileError(f"{where}.{name}: must not be empty")
        row[name] = value
    return row


def _diagram(raw: object) -> tuple[images.Reencoded | None, str]:
    if raw is None:
        return None, ""
    data = expect_object(raw, "ssp.diagram")
    only_keys(data, DIAGRAM_KEYS, "ssp.diagram")
    encoded, digest = data.get("image_base64"), data.get("sha256")
    if not isinstance(encoded, str) or not isinstance(digest, str) or not SHA256_RE.fullmatch(digest):
        raise AssessmentFileError("ssp.diagram: needs image_base64 (text) and sha256 (64 lowercase hex digits)")
    if len(encoded) > (images.MAX_UPLOAD_BYTES * 4) // 3 + 4:
        raise AssessmentFileError(f"ssp.diagram: the image is larger than {images.MAX_UPLOAD_BYTES // 2**20} MB")
    try:
        raw_image = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise AssessmentFileError("ssp.diagram.image_base64: not valid base64") from None
    if sha256(raw_image) != digest:
        raise AssessmentFileError("ssp.diagram.sha256: does not match the image (the file was changed or damaged)")
    try:
        # The same checks and re-encoding as an upload: what is stored is always our own encoding. Our own export
        # of a PNG re-encodes to the same bytes, so export -> import -> export gives the same document.
        image = images.reencode(raw_image)
    except images.ImageRejected as exc:
        raise AssessmentFileError(f"ssp.diagram: {exc}") from None
    caption = field_value(NetworkDiagram, "caption", data.get("caption", ""), "ssp.diagram.caption")
    return image, str(caption)


def _versions(raw: object) -> list[dict[str, object]]:
    if not isinstance(raw, list):
        raise AssessmentFileError(f"ssp.versions: expected a list, got {show(raw)}")
    versions, numbers, labels = [], set(), set()
    for index, item in enumerate(raw):
        where = f"ssp.versions[{index}]"
        data = expect_object(item, where)
        only_keys(data, VERSION_FIELDS, where)
        missing = [name for name in VERSION_FIELDS if name not in data]
        if missing:
            raise AssessmentFileError(f"{where}: missing {missing[0]}")
        number, label = data["number"], data["label"]
        if type(number) is not int or not 0 < number <= 100_000 or number in numbers:
            raise AssessmentFileError(f"{where}.number: expected a new whole number from 1, got {show(number)}")
        if not isinstance(label, str) or not LABEL_RE.match(label) or label in labels:
            raise AssessmentFileError(f"{where}.label: expected a new version label such as 1.0, got {show(label)}")
        for name in ("docx_sha256", "pdf_sha256"):
            if not isinstance(data[name], str) or not SHA256_RE.fullmatch(data[name]):
                raise AssessmentFileError(f"{where}.{name}: expected 64 lowercase hex digits")
        version = {name: field_value(SspVersion, name, data[name], f"{where}.{name}")
                   for name in ("generated_on", "description", "made_by", "catalog_revision", "draft")}
        numbers.add(number)
        labels.add(label)
        versions.append(version | {"number": number, "label": label, "docx_sha256": data["docx_sha256"],
                                   "pdf_sha256": data["pdf_sha256"]})
    return versions


def parse(raw: object) -> ParsedPlan:
    data = expect_object(raw, KEY)
    only_keys(data, (*PLAN_FIELDS, "contacts", *TABLES, "diagram", "versions"), KEY)
    plan: dict[str, object] = {}
    for name in PLAN_FIELDS:
        if name not in data:
            continue
        where = f"ssp.{name}"
        plan[name] = _text_list(data[name], where) if name == "cui_categories" else \
            field_value(SystemSecurityPlan, name, data[name], where)
    contacts: dict[str, dict[str, object]] = {}
    for role, values in expect_object(data.get("contacts", {}), "ssp.contacts").items():
        if role not in ContactRole.values:
            raise AssessmentFileError(f"ssp.contacts: unknown role {show(role)}; use {', '.join(ContactRole.values)}")
        contacts[role] = _row(Contact, CONTACT_FIELDS, values, f"ssp.contacts[{show(role)}]")
    tables = {}
    for key, (model, fields) in TABLES.items():
        rows = data.get(key, [])
        if not isinstance(rows, list) or len(rows) > ROWS_MAX:
            raise AssessmentFileError(f"ssp.{key}: expected a list of at most {ROWS_MAX} rows")
        tables[key] = [_row(model, fields, row, f"ssp.{key}[{index}]") for index, row in enumerate(rows)]
    image, caption = _diagram(data.get("diagram"))
    return ParsedPlan(plan=plan, contacts=contacts, tables=tables, diagram=image, caption=caption,
                      versions=_versions(data.get("versions", [])))


def write(*, assessment: Assessment, value: ParsedPlan) -> None:
    """Inside the import's transaction: the plan, its rows, its diagram, and its versions' record (each marked
    imported: its documents were not in the file, so they cannot be downloaded from this copy)."""
    ssp = create_ssp(assessment=assessment)
    for name, field_value_ in value.plan.items():
        setattr(ssp, name, field_value_)
    ssp.save()
    for contact in Contact.objects.filter(ssp=ssp, role__in=list(value.contacts)):
        for name, field_value_ in value.contacts[contact.role].items():
            setattr(contact, name, field_value_)
        contact.save()
    for key, (model, _) in TABLES.items():
        for row in value.tables[key]:
            model.objects.create(ssp=ssp, **row)
    if value.diagram is not None:
        image = value.diagram
        NetworkDiagram.objects.create(ssp=ssp, image=image.data, content_type=image.content_type, width=image.width,
                                      height=image.height, sha256=sha256(image.data), caption=value.caption)
    for version in value.versions:
        SspVersion.objects.create(ssp=ssp, docx=b"", pdf=b"", imported=True, **version)


SECTION = Section(key=KEY, export=export, parse=parse, write=write)
