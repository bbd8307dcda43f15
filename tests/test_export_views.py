import csv
import io
import json
import string
from datetime import date

import lxml.html
import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assessments.models import Answer, Assessment, ObjectiveAnswer, Scope, TargetLevel
from assessments.poam import POAM_COLUMNS
from controls.models import Objective, Requirement

from . import zip_bombs
from .export_helpers import saved_as
from .personas import make_assessment

pytestmark = pytest.mark.django_db

EXPORTS = [
    ("assessments:export_csv", "text/csv; charset=utf-8", "{}-POAM-{}.csv"),
    ("assessments:export_xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "{}-POAM-{}.xlsx"),
    ("assessments:export_json", "application/json; charset=utf-8", "{}-assessment-{}.json"),
]
HOSTILE = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', '=HYPERLINK("http://x","y")', "+1", "-2+3",
           "@SUM(1)", "\t=1", "\r=1", "{{7*7}}", "{% raw %}", "]]>", "\u202eexe.txt", "\U0001f600", "\x0b\x1b\ufffe"]


def start(client: Client, name: str = "Acme") -> Assessment:
    response = client.post(reverse("assessments:start"), {"organization_name": name, "target_level": "l2",
                                                          "scope": "enterprise", "has_ssp": "yes"})
    assert response.status_code == 302, response.content
    return Assessment.objects.get(organization_name=name)


def upload(client: Client, body: bytes | str, name: str = "assessment.json"):
    raw = body.encode() if isinstance(body, str) else body
    return client.post(reverse("assessments:import"), {"file": SimpleUploadedFile(name, raw, "application/json")})


@pytest.fixture
def assessment(client) -> Assessment:
    assessment = start(client)
    for index, payload in enumerate(HOSTILE):
        Answer.objects.create(assessment=assessment, requirement=Requirement.objects.get(position=index + 1),
                              status="not_met", note=payload, evidence=payload, responsible=payload[:200])
    return assessment


@pytest.mark.parametrize("name, content_type, filename", EXPORTS)
def test_owner_downloads_each_export_as_a_private_attachment_with_our_filename(
    client, assessment, name, content_type, filename
):
    url = reverse(name, args=[assessment.public_id])
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    # Whose file, what it is and when, in the organisation's words (cmmc_site/downloads.py, tests/test_downloads.py).
    expected = filename.format("Acme", timezone.localdate().isoformat())
    assert response["Content-Disposition"] == f'attachment; filename="{expected}"'
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert response["X-Robots-Tag"] == "noindex, nofollow" and response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("name, _content_type, filename", EXPORTS)
def test_every_member_gets_the_organisations_name_on_the_file_however_it_is_written(
    org_people, name, _content_type, filename
):
    assessment = make_assessment(org_people["acme"], "Société Générale / R&D \"Ouest\"\r\n\u202e🚀")
    today = timezone.localdate().isoformat()
    for persona in ("owner", "editor", "viewer"):
        response = org_people["clients"][persona].get(reverse(name, args=[assessment.public_id]))
        assert response.status_code == 200
        assert saved_as(response) == (filename.format("Société-Générale-R-D-Ouest", today),
                                      filename.format("Societe-Generale-R-D-Ouest", today))
    for stranger in ("other_org", "loner"):
        response = org_people["clients"][stranger].get(reverse(name, args=[assessment.public_id]))
        assert response.status_code == 404 and "Content-Disposition" not in response


def test_poam_downloads_read_back_with_neutralised_formulas(client, assessment):
    csv_body = client.get(reverse("assessments:export_csv", args=[assessment.public_id])).content
    rows = list(csv.reader(io.StringIO(csv_body.decode("utf-8-sig"), newline="")))
    notes = [r[[key for key, _ in POAM_COLUMNS].index("note")] for r in rows[1:]]
    assert {"'" + HOSTILE[2], "'+1", "'-2+3", "'@SUM(1)", "'\t=1", "'\r=1", HOSTILE[0], "{{7*7}}"} <= set(notes)
    xlsx_body = client.get(reverse("assessments:export_xlsx", args=[assessment.public_id])).content
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx_body)).active
    assert sheet.max_row == len(rows)
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_export_views_query_counts_do_not_grow_with_the_answers(client, assessment, django_assert_num_queries):
    # 1: session; 2: the assessment (access check); 3: the catalog revision (the rules are in memory per revision:
    # controls/snapshot.py); 4: answers for scoring; 5: answer details; 6: requirement titles.
    with django_assert_num_queries(6):
        client.get(reverse("assessments:export_csv", args=[assessment.public_id]))
    with django_assert_num_queries(6):
        client.get(reverse("assessments:export_xlsx", args=[assessment.public_id]))
    # 1: session; 2: the assessment; 3: answers; 4: objective answers; 5: catalog revision (its text's hash is in
    # memory per revision); 6: the plan (none here); 7: the ISO head start (none here).
    with django_assert_num_queries(7):
        client.get(reverse("assessments:export_json", args=[assessment.public_id]))


@pytest.mark.parametrize("name", [e[0] for e in EXPORTS])
def test_outsider_and_anonymous_get_404_and_nobody_may_post(client, assessment, name):
    url = reverse(name, args=[assessment.public_id])
    outsider = Client()
    start(outsider, name="Other Co")  # a session with an assessment of its own, not this one
    assert outsider.get(url).status_code == 404
    assert Client().get(url).status_code == 404
    for who in (client, outsider, Client()):
        assert who.post(url).status_code == 405


def test_overview_links_every_export_and_home_links_the_import(client, assessment):
    doc = lxml.html.fromstring(client.get(reverse("assessments:overview", args=[assessment.public_id])).content)
    links = set(doc.xpath("//a/@href"))
    assert {reverse(name, args=[assessment.public_id]) for name, _, _ in EXPORTS} <= links
    home = lxml.html.fromstring(client.get(reverse("home")).content)
    assert reverse("assessments:import") in home.xpath("//a/@href")


def test_import_page_shows_a_file_form(client):
    response = Client().get(reverse("assessments:import"))
    assert response.status_code == 200
    doc = lxml.html.fromstring(response.content)
    assert doc.xpath('//form[@enctype="multipart/form-data"]//input[@type="file" and @name="file"]')
    assert "no-store" in response["Cache-Control"]


def test_import_creates_a_new_assessment_shows_its_new_key_once_and_opens_it(client, assessment):
    body = client.get(reverse("assessments:export_json", args=[assessment.public_id])).content
    importer = Client()
    response = upload(importer, body)
    assert response.status_code == 302
    copy = Assessment.objects.exclude(pk=assessment.pk).get(organization_name="Acme")
    assert response["Location"] == reverse("assessments:recovery_key", args=[copy.public_id])
    key_page = importer.get(response["Location"])
    key = lxml.html.fromstring(key_page.content).xpath('//*[@id="recovery-key"]')[0].text_content().strip()
    assert len(key.replace("-", "")) == 32
    copy.refresh_from_db()
    assert copy.recovery_key_hash and copy.access_id != assessment.access_id
    assert 'id="recovery-key"' not in importer.get(response["Location"]).content.decode()  # shown once
    assert importer.get(reverse("assessments:overview", args=[copy.public_id])).status_code == 200
    # The importer got the copy only; the original's owner does not get the copy.
    assert importer.get(reverse("assessments:overview", args=[assessment.public_id])).status_code == 404
    assert client.get(reverse("assessments:overview", args=[copy.public_id])).status_code == 404
    assert Answer.objects.filter(assessment=copy).count() == Answer.objects.filter(assessment=assessment).count()


def _upload_into(client: Client, body: bytes, organization: str | None):
    data = {"file": SimpleUploadedFile("assessment.json", body, "application/json")}
    if organization is not None:
        data["organization"] = organization
    return client.post(reverse("assessments:import"), data)


def test_a_signed_in_editor_imports_into_their_organisation_with_no_recovery_key(client, assessment, org_people):
    body = client.get(reverse("assessments:export_json", args=[assessment.public_id])).content
    editor = org_people["clients"]["editor"]
    page = lxml.html.fromstring(editor.get(reverse("assessments:import")).content)
    assert page.xpath("//input[@name='organization'][@checked]/@value") == [org_people["acme"].public_id]
    response = _upload_into(editor, body, org_people["acme"].public_id)
    copy = Assessment.objects.exclude(pk=assessment.pk).get(organization_name="Acme")
    assert (response.status_code, response["Location"]) == (302, reverse("assessments:overview",
                                                                         args=[copy.public_id]))
    assert copy.organization == org_people["acme"] and copy.recovery_key_hash == ""
    assert Answer.objects.filter(assessment=copy).count() == Answer.objects.filter(assessment=assessment).count()
    # Members open it by signing in (the viewer reads it); the importing session holds no grant, strangers get 404.
    assert org_people["clients"]["viewer"].get(reverse("assessments:overview", args=[copy.public_id])).status_code \
        == 200
    assert org_people["clients"]["other_org"].get(
        reverse("assessments:overview", args=[copy.public_id])).status_code == 404
    assert editor.get(reverse("assessments:recovery_key", args=[copy.public_id])).status_code == 404


def test_importing_into_another_organisation_is_refused_next_to_the_field_and_creates_nothing(
    client, assessment, org_people
):
    body = client.get(reverse("assessments:export_json", args=[assessment.public_id])).content
    before = Assessment.objects.count()
    response = _upload_into(org_people["clients"]["editor"], body, org_people["globex"].public_id)
    assert response.status_code == 400
    error = lxml.html.fromstring(response.content).xpath("//*[@id='id_organization_error']")
    assert error and "Choose one of your organisations" in error[0].text_content()
    assert "Globex" not in response.content.decode()
    assert Assessment.objects.count() == before


def test_a_viewer_only_member_and_an_anonymous_visitor_import_anonymously_whatever_they_post(
    client, assessment, org_people
):
    body = client.get(reverse("assessments:export_json", args=[assessment.public_id])).content
    for importer in (org_people["clients"]["viewer"], Client()):
        response = _upload_into(importer, body, org_people["acme"].public_id)
        copy = Assessment.objects.exclude(pk=assessment.pk).get(organization_name="Acme", organization=None)
        assert response["Location"] == reverse("assessments:recovery_key", args=[copy.public_id])
        assert copy.organization is None
        copy.delete()


def test_import_counts_against_the_new_assessment_rate_limit(client, monkeypatch):
    monkeypatch.setattr("assessments.export_views.CREATE_LIMIT", (1, 3600))
    minimal = json.dumps({"requirements": {"3.1.1": {"status": "met"}}})
    assert upload(client, minimal).status_code == 302
    response = upload(client, minimal)
    assert response.status_code == 429
    assert Assessment.objects.count() == 1


BAD_FILES = [
    (b"", "The submitted file is empty."),
    (b"not json at all", "not valid JSON"),
    (b"\xff\xfe\x00{", "not a UTF-8 text file"),
    (b"[1, 2]", "the file: expected an object"),
    (b'{"requirements": {"3.99.1": {"status": "met"}}}', 'unknown requirement id "3.99.1"'),
    (b'{"requirements": {"3.1.1": {"status": "done"}}}', 'requirements["3.1.1"].status: unknown status "done"'),
    (b'{"requirements": {"3.1.1": {"status": "partial"}}}', 'requirements["3.1.1"]: 3.1.1 has no partial credit'),
    (b'{"format": "cmmc-ready.assessment", "version": 9, "requirements": {}}', "version: 9 is not supported"),
    (b'{"requirements": {}, "sha256": "abc"}', 'the file: unknown key "sha256"'),  # the format has no checksum
    (b'{"schema_version": 2, "requirements": {}}', 'the file: unknown key "schema_version"'),
    (b'{"requirements": {"3.1.1": {"note": "a\\u0000b"}}}', "contains a NUL character"),
    (b'{"requirements": {"3.1.1": {"note": "\\ud800"}}}', "unpaired surrogate"),
    (json.dumps({"requirements": {"3.1.1": {"note": "n" * 10_001}}}).encode(), "at most 10000 characters allowed"),
]


@pytest.mark.parametrize("body, message", BAD_FILES)
def test_a_bad_file_gets_400_with_the_reason_next_to_the_file_field(client, body, message):
    response = upload(client, body)
    assert response.status_code == 400
    errors = response.context["form"].errors.as_data()["file"]
    assert message in errors[0].messages[0] and errors[0].code
    doc = lxml.html.fromstring(response.content)
    field = doc.xpath('//input[@name="file"]')[0]
    assert "is-invalid" in field.get("class", "")
    feedback = " ".join(doc.xpath('//*[contains(@class, "invalid-feedback")]//text()'))
    assert message in feedback
    assert Assessment.objects.count() == 0


def test_no_file_and_an_oversize_file_get_400(client, monkeypatch):
    response = client.post(reverse("assessments:import"), {})
    assert response.status_code == 400 and "This field is required." in response.content.decode()
    monkeypatch.setattr("assessments.forms.MAX_FILE_BYTES", 100)
    response = upload(client, json.dumps({"requirements": {"3.1.1": {"note": "x" * 200}}}))
    assert response.status_code == 400
    assert response.context["form"].errors.as_data()["file"][0].code == "file_too_large"
    assert Assessment.objects.count() == 0


def test_a_file_over_the_limit_is_refused_with_the_limit_next_to_the_field(client):
    from assessments.assessment_file import MAX_FILE_BYTES

    body = b'{"requirements": {}, "pad": "' + b"x" * MAX_FILE_BYTES + b'"}'
    response = upload(client, body)
    assert response.status_code == 400
    error = response.context["form"].errors.as_data()["file"][0]
    assert error.code == "file_too_large"
    doc = lxml.html.fromstring(response.content)
    feedback = " ".join(doc.xpath('//*[contains(@class, "invalid-feedback")]//text()'))
    assert f"The file is too large (at most {MAX_FILE_BYTES // 2**20} MB)." in feedback
    assert Assessment.objects.count() == 0


def _poam_xlsx(client: Client) -> bytes:
    assessment = start(client, "Has an XLSX")
    return client.get(reverse("assessments:export_xlsx", args=[assessment.public_id])).content


@pytest.mark.parametrize("make_zip", [_poam_xlsx, lambda client: zip_bombs.many_entries(),
                                      lambda client: zip_bombs.high_ratio()],
                         ids=["our own POA&M XLSX", "10,000 entries", "1000:1 ratio"])
def test_a_zip_is_refused_as_not_a_json_export_without_being_opened(client, monkeypatch, make_zip):
    raw = make_zip(client)
    entries, ratio = zip_bombs.entries_and_ratio(raw)
    assert raw.startswith(b"PK\x03\x04") and entries >= 1
    assert make_zip is _poam_xlsx or entries >= 10_000 or ratio >= 100
    zip_bombs.forbid_decompression(monkeypatch)
    before = Assessment.objects.count()
    response = upload(client, raw, name="assessment.json")
    assert response.status_code == 400
    error = response.context["form"].errors.as_data()["file"][0]
    assert error.code == "invalid_assessment_file"
    assert "not a JSON export but a zip archive" in error.messages[0]
    assert Assessment.objects.count() == before


def test_import_needs_a_csrf_token():
    response = upload(Client(enforce_csrf_checks=True), '{"requirements": {}}')
    assert response.status_code == 403 and Assessment.objects.count() == 0


# --- Round trip through the real pages ------------------------------------------------------------------------

STORABLE = st.characters(exclude_categories=("Cs",), exclude_characters="\x00")
TEXT = st.one_of(st.sampled_from(HOSTILE), st.text(STORABLE, max_size=40))
DATES = st.one_of(st.none(), st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)))
PARTIAL_OK = ("3.5.3", "3.13.11")


@st.composite
def assessments(draw) -> dict:
    name = draw(st.one_of(st.sampled_from(HOSTILE), st.text(STORABLE, min_size=1, max_size=200)).filter(str.strip))
    fields = {
        "organization_name": name,
        "target_level": draw(st.sampled_from(TargetLevel.values)),
        "scope": draw(st.sampled_from(Scope.values)),
        "cage_codes": draw(st.text(string.ascii_uppercase + string.digits + " ", max_size=20)),
        "employee_count": draw(st.one_of(st.none(), st.integers(0, 1_000_000))),
        "objective_mode": draw(st.booleans()),
        "assessment_date": draw(DATES), "affirming_official": draw(TEXT), "ssp_name": draw(TEXT),
        "ssp_version": draw(TEXT.map(lambda t: t[:50])), "ssp_date": draw(DATES),
        "conditional_status_date": draw(DATES),
    }
    ids = draw(st.lists(st.sampled_from(REQUIREMENT_IDS), unique=True, max_size=12))
    answers = {}
    for nist_id in ids:
        statuses = ["", "met", "not_met"] + (["partial"] if nist_id in PARTIAL_OK else [])
        if nist_id != "3.12.4":  # the SSP is met or not met: N/A there is refused, on the pages as in files
            statuses.append("na")
        answers[nist_id] = {"status": draw(st.sampled_from(statuses)), "justification": draw(TEXT),
                            "note": draw(TEXT), "evidence": draw(TEXT), "responsible": draw(TEXT),
                            "planned_date": draw(DATES)}
    objective_ids = draw(st.lists(st.sampled_from(OBJECTIVE_IDS), unique=True, max_size=12))
    objectives = {o: draw(st.sampled_from(["", "met", "not_met", "na"])) for o in objective_ids}
    return {"fields": fields, "answers": answers, "objectives": objectives}


REQUIREMENT_IDS = [f"3.{f}.{n}" for f, n in [(1, 1), (1, 3), (1, 20), (3, 1), (5, 3), (12, 4), (13, 11), (14, 7)]]
OBJECTIVE_IDS = ["3.1.1[a]", "3.1.1[b]", "3.1.1[f]", "3.5.3[a]", "3.5.3[d]", "3.13.11[a]", "3.1.20[a]"]


@pytest.mark.slow
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spec=assessments())
def test_export_import_export_round_trip_is_lossless(monkeypatch, spec):
    # Every example starts one assessment and imports one: more than the hourly limit of one client.
    monkeypatch.setattr("assessments.views.CREATE_LIMIT", (10_000, 3600))
    monkeypatch.setattr("assessments.export_views.CREATE_LIMIT", (10_000, 3600))
    monkeypatch.setattr("django.conf.settings.UPLOAD_RATE_LIMIT", (10_000, 60))  # and more than its uploads a minute
    owner = Client()
    original = start(owner, name="Round trip source")
    Assessment.objects.filter(pk=original.pk).update(**spec["fields"])
    Answer.objects.filter(assessment=original).delete()
    requirements = {r.nist_id: r for r in Requirement.objects.filter(nist_id__in=list(spec["answers"]))}
    for nist_id, values in spec["answers"].items():
        Answer.objects.create(assessment=original, requirement=requirements[nist_id], **values)
    objectives = {o.objective_id: o for o in Objective.objects.filter(objective_id__in=list(spec["objectives"]))}
    for objective_id, status in spec["objectives"].items():
        ObjectiveAnswer.objects.create(assessment=original, objective=objectives[objective_id], status=status)

    first = owner.get(reverse("assessments:export_json", args=[original.public_id]))
    importer = Client()
    response = upload(importer, first.content)
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    copy = Assessment.objects.get(public_id=response["Location"].rstrip("/").split("/")[-2])
    second = importer.get(reverse("assessments:export_json", args=[copy.public_id]))
    before, after = json.loads(first.content), json.loads(second.content)
    assert after["assessment"] == before["assessment"]
    assert after["requirements"] == before["requirements"]
    assert after["assessment"]["organization_name"] == spec["fields"]["organization_name"]
    assert copy.public_id != original.public_id


def test_an_integer_of_5000_digits_gets_400_with_a_clear_message_not_500(client):
    body = b'{"requirements": {}, "employee_count": ' + b"9" * 5000 + b"}"
    response = upload(client, body)
    assert response.status_code == 400
    error = response.context["form"].errors.as_data()["file"][0]
    assert error.code == "invalid_assessment_file"
    assert "a number in it is too long (more than 4,300 digits)" in error.messages[0]
    assert Assessment.objects.count() == 0
