"""/healthz: 200 "ok" when the database answers and is fully migrated, else 503; reveals nothing else."""

import pytest
from django.db import OperationalError, connection
from django.db.migrations.recorder import MigrationRecorder
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def assert_reveals_nothing(response) -> None:
    assert "Set-Cookie" not in response.headers
    assert "no-store" in response["Cache-Control"]
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["X-Content-Type-Options"] == "nosniff"
    everything = response.content.decode() + " ".join(f"{k}: {v}" for k, v in response.headers.items())
    for secret in ("django", "gunicorn", "python", "postgres", "sqlite", "6.1", "migration"):
        assert secret not in everything.lower()


def test_a_healthy_site_answers_ok_in_three_queries(django_assert_num_queries):
    with django_assert_num_queries(3):
        # 1. the table list (does django_migrations exist), 2. the applied migrations, 3. the cache table
        response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert_reveals_nothing(response)


def test_a_browser_session_is_neither_read_nor_set(django_assert_num_queries):
    client = Client()
    client.post(reverse("assessments:start"), {"organization_name": "Acme", "target_level": "l2",
                                                "scope": "enterprise", "has_ssp": "yes"})
    assert client.cookies.get("sessionid")
    with django_assert_num_queries(3):  # the same three: no session lookup
        response = client.get("/healthz")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert "Cookie" not in response.get("Vary", "")


def test_an_unapplied_migration_gives_503_without_naming_it(caplog):
    MigrationRecorder.Migration.objects.filter(app="assessments").order_by("-id").first().delete()
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.content == b"unavailable\n"
    assert_reveals_nothing(response)
    assert any(getattr(r, "error", "") == "unapplied migrations" for r in caplog.records)


def test_an_unreachable_database_gives_503(monkeypatch, caplog):
    def refuse(*args, **kwargs):
        raise OperationalError("connection refused: host db.internal port 5432")

    monkeypatch.setattr(connection, "cursor", refuse)
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.content == b"unavailable\n"
    assert_reveals_nothing(response)
    assert any(getattr(r, "error", "") == "database check failed: OperationalError" for r in caplog.records)


def test_a_missing_cache_table_gives_503(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache",
                                   "LOCATION": "no_such_cache_table"}}
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert_reveals_nothing(response)


def test_only_get_and_head_are_answered():
    assert Client().head("/healthz").status_code == 200
    assert Client().post("/healthz").status_code == 405


def test_load_balancers_may_probe_over_plain_http_by_address(settings):
    settings.SECURE_SSL_REDIRECT = True
    assert Client().get("/healthz", HTTP_HOST="10.0.0.7:8000").status_code == 200
    assert Client().get(reverse("controls:catalog")).status_code == 301


def test_only_the_exact_path_is_the_health_check():
    assert Client().get("/healthz/").status_code == 404
    assert Client().get("/healthzx").status_code == 404
