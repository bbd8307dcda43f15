"""cmmc_site.render_guard: renders are rate limited, capped per process, and run with a time and memory limit."""

import io
import os
import threading
import time

import pytest
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import include, path
from pypdf import PdfReader

from cmmc_site import render_guard
from cmmc_site.render_guard import (
    RenderBusy,
    RenderCrashed,
    RenderMemoryExceeded,
    RenderTimeout,
    guarded_render,
    render_slot,
    run_limited,
)
from tests.render_jobs import (
    allocate,
    child_pid,
    die_by_signal,
    fail,
    not_bytes,
    sleep_forever,
    two_files,
    weasyprint_pdf,
)

pytestmark = pytest.mark.urls("tests.test_render_guard")  # the views below, behind the real middleware

# --- Views under the guard, on a URLconf of this module (the real middleware stack runs). ---

release_render = threading.Event()
render_started = threading.Event()


@guarded_render("test")
def fast_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse(run_limited(child_pid), content_type="text/plain")


@guarded_render("test")
def blocking_view(request: HttpRequest) -> HttpResponse:
    render_started.set()
    release_render.wait(10)
    return HttpResponse(b"done", content_type="text/plain")


@guarded_render("test")
def timeout_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse(run_limited(sleep_forever, timeout=0.5), content_type="text/plain")


urlpatterns = [
    path("fast/", fast_view),
    path("blocking/", blocking_view),
    path("timeout/", timeout_view),
    path("", include("cmmc_site.urls")),  # the site's URLs, which the refusal page links to
]


@pytest.fixture(autouse=True)
def fresh_slots():
    render_guard.reset_slots(2)
    yield
    render_guard.reset_slots()


# --- run_limited ---


def test_the_render_runs_in_another_process_and_its_bytes_come_back():
    assert int(run_limited(child_pid)) != os.getpid()


def test_a_render_may_return_several_files_from_one_process():
    first, pid = run_limited(two_files)
    assert first == b"first" and int(pid) != os.getpid()


def test_a_real_pdf_renders_within_the_default_limits():
    pdf = run_limited(weasyprint_pdf, "System Security Plan")
    assert pdf.startswith(b"%PDF")
    assert "System Security Plan" in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


def test_a_render_past_its_time_limit_is_killed_and_reported():
    started = time.monotonic()
    with pytest.raises(RenderTimeout, match="longer than 0.5 s"):
        run_limited(sleep_forever, timeout=0.5)
    assert time.monotonic() - started < 5


def test_a_render_past_its_memory_limit_is_stopped_and_reported():
    with pytest.raises(RenderMemoryExceeded, match="more than 512 MB"):
        run_limited(allocate, 2048, memory_mb=512)


def test_a_render_within_its_memory_limit_succeeds():
    assert run_limited(allocate, 64, memory_mb=512) == b"\x00"


def test_an_exception_in_the_render_is_reported_by_type_with_the_child_traceback():
    with pytest.raises(RenderCrashed) as info:
        run_limited(fail, "private note text")
    assert info.value.error_type == "ValueError"
    assert "private note text" not in str(info.value)
    assert "raise ValueError(note)" in info.value.child_traceback
    assert "private note text" not in info.value.child_traceback


def test_a_render_that_returns_no_bytes_is_an_error():
    with pytest.raises(RenderCrashed) as info:
        run_limited(not_bytes)
    assert info.value.error_type == "TypeError"


def test_a_render_process_that_dies_is_reported_as_a_crash():
    with pytest.raises(RenderCrashed, match="signal 11"):
        run_limited(die_by_signal)


# --- render_slot ---


def test_a_process_holds_at_most_its_render_slots_and_frees_them_afterwards():
    with render_slot(), render_slot():
        with pytest.raises(RenderBusy):
            with render_slot():
                pass
    with render_slot(), render_slot():
        pass


def test_a_slot_is_freed_when_the_render_raises():
    for _ in range(3):
        with pytest.raises(ValueError), render_slot(), render_slot():
            raise ValueError
    with render_slot(), render_slot():
        pass


# --- guarded_render, through the middleware stack ---


@pytest.mark.django_db
def test_a_guarded_view_renders_when_slots_and_rate_allow():
    response = Client().get("/fast/")
    assert response.status_code == 200
    assert int(response.content) != os.getpid()


@pytest.mark.django_db
def test_the_client_over_its_render_rate_gets_429_with_retry_after(settings):
    settings.RENDER_RATE_LIMIT = (3, 3600)
    client = Client()
    assert [client.get("/fast/").status_code for _ in range(3)] == [200, 200, 200]
    refused = client.get("/fast/")
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 3600
    assert "no-store" in refused["Cache-Control"]
    assert b"many documents" in refused.content


@pytest.mark.django_db
def test_another_client_is_not_limited_by_the_first(settings):
    settings.RENDER_RATE_LIMIT = (1, 3600)
    assert Client(REMOTE_ADDR="192.0.2.1").get("/fast/").status_code == 200
    assert Client(REMOTE_ADDR="192.0.2.1").get("/fast/").status_code == 429
    assert Client(REMOTE_ADDR="192.0.2.2").get("/fast/").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_a_render_when_every_slot_is_busy_gets_503_with_retry_after():
    render_guard.reset_slots(1)
    release_render.clear()
    render_started.clear()
    results: list[int] = []

    def hold_a_slot() -> None:
        try:
            results.append(Client().get("/blocking/").status_code)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_a_slot)
    holder.start()
    try:
        assert render_started.wait(10)
        busy = Client().get("/fast/")
        assert busy.status_code == 503
        assert busy["Retry-After"] == str(render_guard.BUSY_RETRY_AFTER)
        assert b"other documents" in busy.content
    finally:
        release_render.set()
        holder.join(10)
    assert results == [200]
    assert Client().get("/fast/").status_code == 200  # the slot came back


@pytest.mark.django_db
def test_a_render_that_times_out_gets_503_and_is_logged_without_details(caplog):
    response = Client().get("/timeout/")
    assert response.status_code == 503
    assert response["Retry-After"]
    assert b"took too long" in response.content
    record = next(r for r in caplog.records if getattr(r, "event", "") == "render_refused")
    assert (record.levelname, record.reason, record.error) == ("WARNING", "failed", "RenderTimeout")
    assert not [r for r in caplog.records if r.name == "django.request"]  # not also an ERROR per refusal
