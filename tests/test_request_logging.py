"""cmmc_site.request_logging: one JSON line per event on stdout, with the request id, never secrets or notes."""

import json
import logging
import re
import sys

import pytest
from django.test import Client
from django.urls import reverse

from assessments.models import Answer, Assessment
from cmmc_site.request_logging import JsonFormatter, RequestIdFilter, StdoutHandler, redact

pytestmark = pytest.mark.django_db

KEY_RE = re.compile(r"\b[A-Z2-9]{4}(?:-[A-Z2-9]{4}){7}\b")
NOTE = "Our firewall admin password is Hunter2-CONFIDENTIAL-NOTE"


def json_handler() -> StdoutHandler:
    return next(h for h in logging.getLogger().handlers if isinstance(h, StdoutHandler))


def log_lines(captured: str) -> list[dict]:
    lines = [line for line in captured.splitlines() if line.strip()]
    return [json.loads(line) for line in lines]  # every line is one JSON object


def start_assessment(client: Client) -> tuple[Assessment, str]:
    response = client.post(reverse("assessments:start"), {"organization_name": "Acme", "target_level": "l2",
                                                          "scope": "enterprise", "has_ssp": "yes"}, follow=True)
    key = KEY_RE.search(response.content.decode())
    assert key, "the recovery key page shows the key"
    return Assessment.objects.get(organization_name="Acme"), key.group(0)


def test_every_response_carries_a_fresh_request_id():
    client = Client()
    first, second = client.get(reverse("controls:catalog")), client.get(reverse("controls:catalog"))
    assert re.fullmatch(r"[0-9a-f]{32}", first["X-Request-ID"])
    assert first["X-Request-ID"] != second["X-Request-ID"]


def test_a_client_cannot_choose_its_request_id_unless_a_trusted_proxy_header_is_configured(settings):
    client = Client()
    assert client.get("/", HTTP_X_REQUEST_ID="chosen-by-client-123")["X-Request-ID"] != "chosen-by-client-123"
    settings.REQUEST_ID_HEADER = "X-Request-ID"
    assert client.get("/", HTTP_X_REQUEST_ID="from-the-proxy-123")["X-Request-ID"] == "from-the-proxy-123"


def test_a_trusted_header_that_could_forge_log_lines_is_replaced(settings):
    settings.REQUEST_ID_HEADER = "X-Request-ID"
    for bad in ('abc"}\n{"level":"ERROR', "short", "x" * 65, ""):
        assert re.fullmatch(r"[0-9a-f]{32}", Client().get("/", HTTP_X_REQUEST_ID=bad)["X-Request-ID"])


def test_each_request_logs_one_json_line_with_its_id_and_no_query_string(capsys):
    capsys.readouterr()
    response = Client().get(reverse("controls:catalog") + "?q=secret-search")
    lines = [entry for entry in log_lines(capsys.readouterr().out) if entry.get("event") == "request"]
    assert len(lines) == 1
    entry = lines[0]
    assert entry["request_id"] == response["X-Request-ID"]
    assert entry["method"] == "GET"
    assert entry["path"] == reverse("controls:catalog")
    assert entry["status"] == 200
    assert entry["logger"] == "cmmc_site.request"
    assert entry["duration_ms"] >= 0
    assert "secret-search" not in json.dumps(entry)


def test_django_warnings_during_a_request_carry_that_request_id(capsys):
    capsys.readouterr()
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    lines = log_lines(capsys.readouterr().out)
    not_found = [e for e in lines if e["logger"] == "django.request"]
    assert not_found and not_found[0]["level"] == "WARNING"
    assert {e["request_id"] for e in lines} == {response["X-Request-ID"]}


def test_notes_recovery_keys_cookies_and_csrf_tokens_never_reach_the_log(capsys):
    capsys.readouterr()
    owner = Client()
    assessment, key = start_assessment(owner)
    saved = owner.post(reverse("assessments:answer", args=[assessment.public_id, "3.1.1"]), {
        "r3-1-1-status": "met", "r3-1-1-note": NOTE, "r3-1-1-version": "0",
    })
    assert saved.status_code in (200, 302)
    assert Answer.objects.get(assessment=assessment, requirement__nist_id="3.1.1").note == NOTE
    stranger = Client()
    stranger.post(reverse("assessments:resume"), {"recovery_key": "AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG-HHHH"})
    stranger.post(reverse("assessments:resume"), {"recovery_key": key})
    stranger.get(reverse("assessments:overview", args=[assessment.public_id]))
    Client().get(reverse("assessments:overview", args=[assessment.public_id]))  # an outsider's 404

    out = capsys.readouterr().out
    entries = log_lines(out)
    assert len([e for e in entries if e.get("event") == "request"]) >= 6
    secrets = [NOTE, "Hunter2", key, key.replace("-", ""), str(assessment.access_id),
               owner.cookies["sessionid"].value, stranger.cookies["sessionid"].value]
    if "csrftoken" in owner.cookies:
        secrets.append(owner.cookies["csrftoken"].value)
    for secret in secrets:
        assert secret not in out


def test_tokens_and_keys_carried_in_a_url_path_never_reach_the_log(capsys, org_people):
    """Invitation tokens and allauth's email-confirmation and password-reset keys are in the path itself; the
    access line and Django's "Not Found"/"Gone" warnings show the route with the secret replaced."""
    from allauth.account.forms import default_token_generator
    from allauth.account.utils import user_pk_to_url_str

    from orgs.models import Role, create_invitation

    capsys.readouterr()
    _, invitation_token = create_invitation(organization=org_people["acme"], email="new@acme.test",
                                            role=Role.VIEWER, invited_by=org_people["owner"])
    reset_key = default_token_generator.make_token(org_people["editor"])
    reset_path = reverse("account_reset_password_from_key",
                         kwargs={"uidb36": user_pk_to_url_str(org_people["editor"]), "key": reset_key})
    confirm_key = "MQ:1tTestConfirmKey:abcdefghijklmnopqrstuvwxyz0123456789"
    client = Client()
    pages = [
        reverse("orgs:invitation", args=[invitation_token]),
        reverse("orgs:invitation", args=["not-a-real-token-but-still-secret-shaped"]),  # 404/410 warning too
        reset_path,
        reverse("account_confirm_email", args=[confirm_key]),
    ]
    for path in pages:
        client.get(path)

    out = capsys.readouterr().out
    paths = [e["path"] for e in log_lines(out) if e.get("event") == "request"]
    assert len(paths) >= len(pages)
    for secret in (invitation_token, "not-a-real-token-but-still-secret-shaped", reset_key, confirm_key,
                   confirm_key.split(":")[-1]):
        assert secret not in out
    assert "/invitations/[redacted]/" in paths
    assert any(p.startswith("/accounts/password/reset/key/[redacted]") for p in paths)
    assert "/accounts/confirm-email/[redacted]/" in paths


def test_path_redaction_keeps_the_route_and_ordinary_paths():
    assert redact("Not Found: /invitations/abc123/") == "Not Found: /invitations/[redacted]/"
    assert redact("/accounts/password/reset/key/done/") == "/accounts/password/reset/key/done/"
    assert redact("/a/AbCdEf/family/AC/") == "/a/AbCdEf/family/AC/"


def test_secrets_in_a_message_or_a_traceback_are_redacted(capsys):
    logger = logging.getLogger("tests.request_logging")
    assert isinstance(json_handler().formatter, JsonFormatter)
    capsys.readouterr()
    try:
        raise RuntimeError("failed for key ABCD-EFGH-JKMN-PQRS-TVWX-YZ23-4567-89AB, Cookie: sessionid=s3cr3tvalue")
    except RuntimeError:
        logger.exception("lookup of 0f8fad5b-d9cb-469f-a165-70867728950e with password=letmein failed")
    entry = log_lines(capsys.readouterr().out)[-1]
    text = json.dumps(entry)
    for secret in ("ABCD-EFGH", "s3cr3tvalue", "0f8fad5b-d9cb", "letmein"):
        assert secret not in text
    assert entry["exc_type"] == "RuntimeError"
    assert "[recovery-key]" in entry["traceback"] and "[redacted]" in entry["message"]
    assert entry["level"] == "ERROR" and entry["request_id"] == ""


def test_the_formatter_writes_only_whitelisted_fields():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello %s", ("world",), None)
    record.request = object()  # what django.request attaches: never serialised
    record.status_code = 404
    record.note = NOTE
    RequestIdFilter().filter(record)
    entry = json.loads(JsonFormatter().format(record))
    assert set(entry) == {"time", "level", "logger", "message", "request_id", "status_code"}
    assert entry["message"] == "hello world"


def test_redact_keeps_ordinary_text():
    assert redact("GET /controls/3.1.1/ 200") == "GET /controls/3.1.1/ 200"
    assert redact("CSRF token missing.") == "CSRF token missing."


def test_the_handler_writes_to_the_current_stdout(capsys):
    assert json_handler().stream is sys.stdout


def test_document_text_in_weasyprint_warnings_never_reaches_the_log(client, caplog, capsys):
    from ssp import render_pdf
    from ssp.document import build_document
    from tests.ssp_helpers import complete, pdf_text, plan_for
    from tests.ssp_helpers import start_assessment as start_plan

    ssp = complete(plan_for(start_plan(client)))
    # Private-use characters: no font has a glyph for them, so WeasyPrint warns about each (with the character).
    secret = "\ue000\ue001\ue0ff"
    ssp.system_name = f"Enclave {secret}"
    ssp.save()
    capsys.readouterr()
    with caplog.at_level(logging.WARNING):
        pdf = render_pdf.render(build_document(ssp))
    assert secret in pdf_text(pdf)  # printed as boxes: exactly what WeasyPrint warns about
    library = [r for r in caplog.records if r.name.startswith(("weasyprint", "fontTools"))]
    assert len(library) == len({r.msg for r in library})  # each template at most once, not once per character
    written = capsys.readouterr().out
    for char in secret:
        code = f"{ord(char):04X}"
        assert not any(char in r.getMessage() or code in r.getMessage() for r in caplog.records), char
        assert char not in written and code not in written, char
