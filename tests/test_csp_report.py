"""/csp-report/: what the CSP blocked is logged (directive, origin, path), never more; bad reports never 500."""

import json
import logging

import pytest
from django.test import Client, RequestFactory

from cmmc_site import csp_report

pytestmark = pytest.mark.django_db
URL = csp_report.PATH

REPORT_URI_BODY = {"csp-report": {
    "document-uri": "https://cmmc.example/a/abc/family/AC/?q=secret-query",
    "referrer": "https://cmmc.example/a/abc/",
    "violated-directive": "script-src-elem",
    "effective-directive": "script-src-elem",
    "original-policy": "default-src 'self'; report-uri /csp-report/",
    "blocked-uri": "https://evil.example/x.js?token=abc",
    "script-sample": "alert('our note text')",
    "status-code": 200,
}}


def _events(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "security" and "event=csp_violation" in r.getMessage()]


def _post(client: Client, body: object, content_type: str = "application/csp-report"):
    return client.post(URL, json.dumps(body), content_type=content_type)


def test_a_report_is_logged_with_directive_blocked_origin_and_path_only(caplog):
    caplog.set_level(logging.INFO)
    client = Client(enforce_csrf_checks=True)  # browsers send no CSRF token with a report
    response = _post(client, REPORT_URI_BODY)
    assert response.status_code == 204
    [line] = _events(caplog)
    assert "directive=script-src-elem" in line
    assert "blocked=https://evil.example " in line + " "
    assert "page=/a/abc/family/AC/" in line
    for leaked in ("secret-query", "token=abc", "our note text", "original-policy", "default-src"):
        assert leaked not in line
    assert not response.cookies  # no session, no CSRF cookie


def test_a_reporting_api_batch_logs_each_csp_violation_and_ignores_other_report_types(caplog):
    caplog.set_level(logging.INFO)
    batch = [
        {"type": "csp-violation", "url": "https://cmmc.example/", "body": {
            "documentURL": "https://cmmc.example/guide/", "effectiveDirective": "style-src-attr",
            "blockedURL": "inline", "sample": "color: red"}},
        {"type": "deprecation", "body": {"id": "x"}},
    ]
    assert _post(Client(), batch, "application/reports+json").status_code == 204
    [line] = _events(caplog)
    assert "directive=style-src-attr" in line and "blocked=inline" in line and "page=/guide/" in line
    assert "color: red" not in line


@pytest.mark.parametrize(("method", "status"), [("get", 405), ("put", 405), ("delete", 405)])
def test_only_post_is_accepted(method, status):
    assert getattr(Client(), method)(URL).status_code == status


def test_an_unknown_content_type_an_empty_or_oversize_body_and_bad_json_are_refused_without_logging(caplog):
    caplog.set_level(logging.INFO)
    client = Client()
    assert client.post(URL, "x", content_type="text/plain").status_code == 415
    assert client.post(URL).status_code == 415  # a bodiless post has no content type either
    empty = RequestFactory().generic("POST", URL, CONTENT_TYPE="application/csp-report")
    assert csp_report.csp_report(empty).status_code == 400
    huge = {"csp-report": {"blocked-uri": "x" * (csp_report.MAX_BODY + 1)}}
    assert _post(client, huge).status_code == 413
    assert client.post(URL, "{not json", content_type="application/csp-report").status_code == 400
    assert client.post(URL, b"\xff\xfe\x00", content_type="application/csp-report").status_code == 400
    assert _events(caplog) == []


@pytest.mark.parametrize("body", [
    None, 1, "text", [], {}, {"csp-report": None}, {"csp-report": []}, [1, "x", None],
    [{"type": "csp-violation", "body": "not a dict"}], {"csp-report": {"blocked-uri": 5, "document-uri": ["x"]}},
    {"csp-report": {"blocked-uri": "\x00\n\r", "violated-directive": "a\nforged=line"}},
])
def test_odd_but_valid_json_never_fails(body, caplog):
    caplog.set_level(logging.INFO)
    assert _post(Client(), body).status_code == 204
    for line in _events(caplog):
        assert "\n" not in line  # values are escaped: a report cannot forge a second log line


def test_reports_beyond_the_limit_are_dropped_quietly(caplog, settings):
    caplog.set_level(logging.INFO)
    client = Client()
    for _ in range(csp_report.LIMIT[0] + 5):
        assert _post(client, REPORT_URI_BODY).status_code == 204
    assert len(_events(caplog)) == csp_report.LIMIT[0]


def test_every_page_names_the_report_endpoint_in_its_policy():
    policy = Client().get("/")["Content-Security-Policy"]
    assert f"report-uri {URL}" in policy
