
import pytest
from django.test import Client
from django.urls import reverse

from assessments.access import SESSION_KEY
from assessments.models import Assessment
from assessments.views import CREATE_LIMIT, RESUME_LIMIT
from cmmc_site import ratelimit

from .questionnaire_helpers import INTAKE, html, start_and_read_key, text

pytestmark = pytest.mark.django_db

RESUME = reverse("assessments:resume")
WRONG = "ABCD-EFGH-JKMN-PQRS-TVWX-YZ23-4567-89AB"


def test_the_11th_resume_attempt_within_a_minute_gets_429_even_with_the_right_key(rate_clock):
    assert RESUME_LIMIT == (10, 60)
    _, key = start_and_read_key(Client())
    attacker = Client()
    for _ in range(10):
        assert attacker.post(RESUME, {"recovery_key": WRONG}).status_code == 400
    response = attacker.post(RESUME, {"recovery_key": key})
    assert response.status_code == 429
    assert "Too many attempts" in text(html(response).xpath("//main")[0])
    assert key not in response.content.decode()  # never echoed back
    assert SESSION_KEY not in attacker.session


def test_the_resume_limit_resets_after_the_window(rate_clock):
    _, key = start_and_read_key(Client())
    browser = Client()
    for _ in range(11):
        browser.post(RESUME, {"recovery_key": WRONG})
    assert browser.post(RESUME, {"recovery_key": key}).status_code == 429
    rate_clock.now += 60
    assert browser.post(RESUME, {"recovery_key": key}).status_code == 302


def test_the_resume_limit_counts_per_client_address_and_ignores_x_forwarded_for(rate_clock):
    for _ in range(10):
        Client(REMOTE_ADDR="203.0.113.7").post(RESUME, {"recovery_key": WRONG})
    spoofing = Client(REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="198.51.100.99")
    assert spoofing.post(RESUME, {"recovery_key": WRONG}).status_code == 429
    assert Client(REMOTE_ADDR="203.0.113.8").post(RESUME, {"recovery_key": WRONG}).status_code == 400


def test_a_get_of_the_resume_page_is_not_counted(rate_clock):
    browser = Client()
    for _ in range(20):
        assert browser.get(RESUME).status_code == 200
    assert browser.post(RESUME, {"recovery_key": WRONG}).status_code == 400


def test_the_21st_new_assessment_within_an_hour_gets_429_and_keeps_what_was_typed(rate_clock):
    limit, _ = CREATE_LIMIT
    browser = Client()
    for n in range(limit):
        assert browser.post(reverse("assessments:start"), INTAKE | {"organization_name": f"Co {n}"}).status_code \
            == 302
    response = browser.post(reverse("assessments:start"), INTAKE | {"organization_name": "One too many",
                                                                    "cage_codes": "1ABC2"})
    assert response.status_code == 429
    doc = html(response)
    assert "Too many new assessments" in text(doc.xpath("//main")[0])
    assert doc.xpath("//input[@name='organization_name']/@value") == ["One too many"]
    assert doc.xpath("//input[@name='cage_codes']/@value") == ["1ABC2"]
    assert Assessment.objects.count() == limit


def test_an_invalid_intake_is_not_counted_as_a_new_assessment(rate_clock):
    browser = Client()
    for _ in range(CREATE_LIMIT[0] + 5):
        assert browser.post(reverse("assessments:start"), INTAKE | {"organization_name": ""}).status_code == 400
    assert browser.post(reverse("assessments:start"), INTAKE).status_code == 302


def test_hit_counts_each_scope_and_identity_on_its_own(rate_clock):
    assert [ratelimit.hit("a", "x", limit=2, window=60) for _ in range(3)] == [True, True, False]
    assert ratelimit.hit("a", "y", limit=2, window=60)
    assert ratelimit.hit("b", "x", limit=2, window=60)


@pytest.mark.django_db(transaction=True)
def test_simultaneous_attempts_are_each_counted_so_a_burst_cannot_slip_past_the_limit():
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (SQLite serialises every write)")
    barrier = Barrier(12)

    def attempt(_: int) -> bool:
        try:
            barrier.wait()
            return ratelimit.hit("burst", "203.0.113.5", limit=8, window=3600)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=12) as pool:
        allowed = list(pool.map(attempt, range(12)))
    assert allowed.count(True) == 8 and allowed.count(False) == 4


def test_the_recovery_key_429_says_when_to_try_again(rate_clock):
    browser = Client()
    for _ in range(RESUME_LIMIT[0]):
        browser.post(RESUME, {"recovery_key": WRONG})
    response = browser.post(RESUME, {"recovery_key": WRONG})
    assert response.status_code == 429
    assert response["Retry-After"] == "30"  # the clock is 30 s into its minute
    assert "no-store" in response["Cache-Control"]


def test_the_new_assessment_429_says_when_to_try_again_whether_started_or_imported(rate_clock, settings):
    import io

    settings.UPLOAD_RATE_LIMIT = (100, 60)  # the import's own upload limit is not what this is about
    browser = Client()
    for n in range(CREATE_LIMIT[0]):
        browser.post(reverse("assessments:start"), INTAKE | {"organization_name": f"Co {n}"})
    started = browser.post(reverse("assessments:start"), INTAKE)
    assert started.status_code == 429 and started["Retry-After"] == str(3600 - 30)
    upload = io.BytesIO(b'{"requirements": {}}')
    upload.name = "assessment.json"
    imported = browser.post(reverse("assessments:import"), {"file": upload})
    assert imported.status_code == 429 and imported["Retry-After"] == str(3600 - 30)
