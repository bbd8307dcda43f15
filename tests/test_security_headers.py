"""Security headers and cookies (check 3) on a page of each kind, under the production settings' values."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.personas import make_user, signed_in
from tests.test_security_deploy_check import production_settings

pytestmark = [pytest.mark.django_db, pytest.mark.slow]
SECURE = {"secure": True, "HTTP_HOST": "cmmc.example.com"}


@pytest.fixture(scope="module")
def production_values() -> dict:
    return production_settings()


@pytest.fixture
def production(settings, production_values):
    for name, value in production_values.items():
        setattr(settings, name, value)
    settings.ALLOWED_HOSTS = ["cmmc.example.com"]
    settings.CSRF_TRUSTED_ORIGINS = ["https://cmmc.example.com"]
    return settings


def _csp(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {d.split()[0]: d.split()[1:] for d in (part.strip() for part in header.split(";")) if d}


def _assert_headers(response, *, data_page: bool) -> None:
    hsts = response["Strict-Transport-Security"]
    assert int(re.search(r"max-age=(\d+)", hsts).group(1)) >= 31536000 and "includeSubDomains" in hsts
    csp = _csp(response)
    for directive in ("object-src", "base-uri", "frame-ancestors"):
        assert csp[directive] == ["'none'"], directive
    assert csp.pop("report-uri") == ["/csp-report/"]  # a path on this site (cmmc_site/csp_report.py)
    for directive, sources in csp.items():
        for source in sources:
            assert source not in ("'unsafe-inline'", "'unsafe-eval'"), directive
            # Only our own origin: no third-party host anywhere in the policy.
            assert source in ("'self'", "'none'", "data:") or source.startswith("'nonce-"), (directive, source)
    # README, Security: "same-origin" rather than "no-referrer" (no-referrer makes browsers send Origin: null on
    # same-origin form POSTs, which the CSRF check refuses); nothing is ever sent to another site either way.
    assert response["Referrer-Policy"] in ("same-origin", "no-referrer")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    if data_page:
        assert "no-store" in response["Cache-Control"]


def test_plain_http_is_redirected_to_https(production):
    response = Client().get("/", HTTP_HOST="cmmc.example.com")
    assert response.status_code == 301 and response["Location"].startswith("https://cmmc.example.com/")


def test_an_anonymous_assessment_page_has_every_header_and_host_prefixed_cookies(production):
    client = Client()
    page = client.get(reverse("assessments:start"), **SECURE)
    csrf = page.cookies["__Host-csrftoken"]
    assert csrf["secure"] and csrf["path"] == "/" and not csrf["domain"]
    response = client.post(reverse("assessments:start"), {
        "organization_name": "Acme", "target_level": "l2", "scope": "enterprise", "has_ssp": "yes",
        "csrfmiddlewaretoken": csrf.value}, **SECURE)
    assert response.status_code == 302
    session = response.cookies["__Host-sessionid"]
    assert session["secure"] and session["httponly"] and session["path"] == "/" and not session["domain"]
    assert session["samesite"] == "Lax"
    overview = client.get(response["Location"], **SECURE)
    assert overview.status_code == 200
    _assert_headers(overview, data_page=True)


def test_an_account_page_is_a_data_page(production):
    client = signed_in(make_user("owner@acme.test"))
    response = client.get(reverse("mfa_index"), **SECURE)
    assert response.status_code == 200
    _assert_headers(response, data_page=True)


def test_a_pdf_download_has_the_headers_and_is_not_cached(production, org_people):
    from datetime import date

    from ssp.models import create_ssp, record_version
    from tests.personas import make_assessment

    assessment = make_assessment(org_people["acme"])
    record_version(ssp=create_ssp(assessment=assessment), label="1.0", generated_on=date(2026, 1, 1),
                   description="first", made_by="owner", catalog_revision="test", draft=True, docx=b"d", pdf=b"%PDF")
    client = signed_in(org_people["owner"])
    response = client.get(reverse("ssp:version_pdf", args=[assessment.public_id, 1]), **SECURE)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment")
    _assert_headers(response, data_page=True)


def _assert_our_page(response, *links: str) -> str:
    """One of our pages (our layout and CSS, no inline script or style), linking to each of ``links``."""
    body = response.content.decode()
    assert '<link rel="stylesheet" href="/static/css/app.css">' in body
    assert not re.search(r"<style|\sstyle=|<script(?![^>]*\ssrc=)", body)  # strict CSP: nothing inline
    for name in links:
        assert f'href="{reverse(name)}"' in body, name
    return body


def test_the_404_page_has_the_headers(production):
    response = Client().get("/no-such-page/", **SECURE)
    assert response.status_code == 404
    _assert_headers(response, data_page=False)
    body = _assert_our_page(response, "home", "assessments:resume", "account_login")
    assert "<title>Not found · CMMC Ready</title>" in body
    assert ("The page doesn't exist or you don't have access to it. If you were working on an\n  anonymous "
            "assessment, open it again with its recovery key.") in body
    assert "/no-such-page/" not in body  # the path asked for is not echoed
    assert "The requested resource was not found on this server" not in body  # not Django's bare page


def test_the_404_page_of_a_signed_in_user_links_to_their_dashboard(production):
    response = signed_in(make_user("owner@acme.test")).get("/no-such-page/", **SECURE)
    assert response.status_code == 404
    _assert_headers(response, data_page=True)
    body = _assert_our_page(response, "home", "assessments:resume", "orgs:dashboard")
    assert f'href="{reverse("account_login")}"' not in body


def test_the_403_page_has_the_headers_and_says_what_each_role_may_do(production, org_people):
    from tests.personas import make_assessment

    assessment = make_assessment(org_people["acme"])
    response = signed_in(org_people["viewer"]).post(
        reverse("assessments:answer", args=[assessment.public_id, "3.1.1"]), {}, **SECURE)
    assert response.status_code == 403
    _assert_headers(response, data_page=True)
    body = _assert_our_page(response, "orgs:dashboard")
    assert "You are not allowed to do this" in body and "ask an owner of the organisation" in body


def test_the_400_page_has_the_headers(production):
    client = Client()
    page = client.get(reverse("assessments:start"), **SECURE)
    token = page.cookies["__Host-csrftoken"].value
    response = client.post(reverse("assessments:start"), {"csrfmiddlewaretoken": token} | {
        f"junk{i}": "x" for i in range(5000)}, **SECURE)  # over DATA_UPLOAD_MAX_NUMBER_FIELDS
    assert response.status_code == 400
    _assert_headers(response, data_page=False)
    body = _assert_our_page(response, "home")
    assert "Request refused (400)" in body and "Nothing was saved" in body


def test_a_request_for_another_host_gets_the_400_page_without_echoing_the_host(production):
    response = Client().get(reverse("home"), secure=True, HTTP_HOST="evil.example")  # not in ALLOWED_HOSTS
    assert response.status_code == 400
    # Refused early (SecurityMiddleware/CommonMiddleware), yet with every header: CSP and X-Frame-Options sit
    # above them in MIDDLEWARE. The page echoes nothing of the request.
    _assert_headers(response, data_page=False)
    body = _assert_our_page(response, "home")
    assert "Request refused (400)" in body and "evil.example" not in body


def test_the_500_page_has_the_headers(production, monkeypatch):
    import assessments.views

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(assessments.views, "granted_ids", broken)  # the home view reads the session grants
    response = Client(raise_request_exception=False).get(reverse("home"), **SECURE)
    assert response.status_code == 500
    _assert_headers(response, data_page=False)
    body = _assert_our_page(response, "home", "assessments:resume", "account_login")
    assert "Something went wrong on our side" in body
    assert "boom" not in body and "RuntimeError" not in body and "Traceback" not in body


def test_the_500_page_renders_without_context_request_or_database(django_assert_num_queries):
    # Django renders 500.html with no context at all; it must not need the request, the user or the database
    # (which may be what failed).
    from django.template import loader

    with django_assert_num_queries(0):
        body = loader.get_template("500.html").render()
    assert "Something went wrong on our side" in body
    assert '<link rel="stylesheet" href="/static/css/app.css">' in body
    assert not re.search(r"<style|\sstyle=|<script", body)
