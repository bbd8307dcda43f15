"""Deploy check (check 2): `check --deploy --fail-level WARNING` is clean under production environment variables,
and the production values of the security settings are what README, Security, says."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
PRODUCTION_ENV = {
    "SECRET_KEY": "x" * 20 + "a-dummy-production-secret-key-for-the-deploy-check-only-0123456789",
    "DEBUG": "false",
    "ALLOWED_HOSTS": "cmmc.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://cmmc.example.com",
    "SECURE_SSL_REDIRECT": "true",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
    "SECURE_HSTS_PRELOAD": "true",
    "SESSION_COOKIE_SECURE": "true",
    "CSRF_COOKIE_SECURE": "true",
    "EMAIL_HOST": "smtp.example.com",
    "DATABASE_URL": "sqlite:///:memory:",
}


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=BASE_DIR, env=clean | env,
                          capture_output=True, text=True, timeout=120)


def production_settings() -> dict:
    """The settings module's values under the production environment, read in a fresh process."""
    names = ["SESSION_COOKIE_NAME", "CSRF_COOKIE_NAME", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE",
             "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_SSL_REDIRECT", "DEBUG",
             "SESSION_COOKIE_HTTPONLY", "SESSION_COOKIE_SAMESITE", "ALLAUTH_TRUSTED_PROXY_COUNT"]
    code = ("from django.conf import settings; import json; "
            f"print(json.dumps({{n: getattr(settings, n) for n in {names!r}}}))")
    result = _run(PRODUCTION_ENV, "shell", "-c", code)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_the_deploy_check_is_clean_under_production_settings():
    result = _run(PRODUCTION_ENV, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues (0 silenced)" in result.stdout


@pytest.mark.slow
def test_the_deploy_check_fails_without_the_production_settings():
    # Proves the check above can fail: the development defaults are not fit for production.
    result = _run({"DATABASE_URL": "sqlite:///:memory:"}, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode != 0
    assert "security.W004" in result.stderr + result.stdout  # no HSTS


@pytest.mark.slow
def test_production_cookies_take_the_host_prefix_and_hsts_is_a_year():
    values = production_settings()
    assert values["SESSION_COOKIE_NAME"] == "__Host-sessionid"
    assert values["CSRF_COOKIE_NAME"] == "__Host-csrftoken"
    assert values["SESSION_COOKIE_SECURE"] and values["CSRF_COOKIE_SECURE"] and values["SESSION_COOKIE_HTTPONLY"]
    assert values["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert values["SECURE_HSTS_SECONDS"] >= 31536000 and values["SECURE_HSTS_INCLUDE_SUBDOMAINS"]
    assert values["SECURE_SSL_REDIRECT"] and not values["DEBUG"]
    assert values["ALLAUTH_TRUSTED_PROXY_COUNT"] == 0
