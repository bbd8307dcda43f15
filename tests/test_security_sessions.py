"""Sessions (check 5): new key at login, dead after logout, idle and absolute timeouts, password change; an autosave
after a time-out (check 19)."""

import time

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from accounts import middleware
from assessments.models import Answer
from tests.personas import PASSWORD, make_assessment, make_org, make_user, signed_in, totp_now
from tests.questionnaire_helpers import post_answer

pytestmark = pytest.mark.django_db


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_the_session_key_changes_at_login():
    user = make_user("owner@acme.test")
    client = Client()
    client.get(reverse("account_login"))
    client.post(reverse("assessments:start"), {"organization_name": "Acme", "target_level": "l2",
                                               "scope": "enterprise", "has_ssp": "yes"})
    before = client.cookies[settings.SESSION_COOKIE_NAME].value
    client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    client.post(reverse("mfa_authenticate"), {"code": totp_now(user)})
    assert _signed_in(client)
    assert client.cookies[settings.SESSION_COOKIE_NAME].value != before


def test_after_logout_the_old_cookie_is_rejected_by_the_server():
    client = signed_in(make_user("owner@acme.test"))
    client.get(reverse("orgs:dashboard"))
    old = client.cookies[settings.SESSION_COOKIE_NAME].value
    client.post(reverse("account_logout"))
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = old
    assert replay.get(reverse("orgs:dashboard")).status_code == 302


def test_inactivity_beyond_the_idle_timeout_signs_out(monkeypatch):
    client = signed_in(make_user("owner@acme.test"))
    now = [time.time()]  # the sign-in stamped the real time
    monkeypatch.setattr(middleware, "now", lambda: now[0])
    assert client.get(reverse("orgs:dashboard")).status_code == 200
    now[0] += settings.SESSION_IDLE_TIMEOUT - 60
    assert client.get(reverse("orgs:dashboard")).status_code == 200
    now[0] += settings.SESSION_IDLE_TIMEOUT + 1
    response = client.get(reverse("orgs:dashboard"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))
    assert not _signed_in(client)


def test_the_absolute_lifetime_signs_out_even_an_active_session(monkeypatch):
    client = signed_in(make_user("owner@acme.test"))
    now = [time.time()]  # the sign-in stamped the real time
    monkeypatch.setattr(middleware, "now", lambda: now[0])
    client.get(reverse("orgs:dashboard"))
    start, step = now[0], settings.SESSION_IDLE_TIMEOUT // 2
    while now[0] + step < start + settings.SESSION_ABSOLUTE_TIMEOUT - 60:  # active all along, never idle
        now[0] += step
        assert client.get(reverse("orgs:dashboard")).status_code == 200
    now[0] = start + settings.SESSION_ABSOLUTE_TIMEOUT + 60
    assert client.get(reverse("orgs:dashboard")).status_code == 302
    assert not _signed_in(client)


def test_a_password_change_signs_out_the_other_sessions():
    user = make_user("owner@acme.test")
    this, other = signed_in(user), signed_in(user)
    this.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    new = "a brand new long passphrase"
    response = this.post(reverse("account_change_password"),
                         {"oldpassword": PASSWORD, "password1": new, "password2": new})
    assert response.status_code == 302
    assert this.get(reverse("orgs:dashboard")).status_code == 200
    assert other.get(reverse("orgs:dashboard")).status_code == 302


def test_a_deactivated_users_live_session_is_rejected_on_the_next_request():
    user = make_user("owner@acme.test")
    client = signed_in(user)
    assert client.get(reverse("orgs:dashboard")).status_code == 200
    get_user_model().objects.filter(pk=user.pk).update(is_active=False)
    assert client.get(reverse("orgs:dashboard")).status_code == 302


def test_an_autosave_after_the_idle_timeout_writes_nothing_signs_out_and_says_why_with_401(monkeypatch):
    """Check 19: the htmx save of a member whose session timed out gets a status the page explains (static/js/app.js
    says "you were signed out" for 401), never the 404 that means lost anonymous access."""
    user = make_user("owner@acme.test")
    assessment = make_assessment(make_org("Acme", owner=[user]))
    client = signed_in(user)
    now = [time.time()]
    monkeypatch.setattr(middleware, "now", lambda: now[0])
    # In time, the same save is accepted (so the refusal below is the time-out's, not the request's).
    saved = post_answer(client, assessment, "3.1.1", status="met", note="saved in time")
    assert saved.status_code == 200
    answer = Answer.objects.get(assessment=assessment, requirement__nist_id="3.1.1")
    assert (answer.note, answer.version) == ("saved in time", 2)

    now[0] += settings.SESSION_IDLE_TIMEOUT + 1
    response = post_answer(client, assessment, "3.1.1", status="not_met", note="typed after the time-out")
    assert response.status_code == 401
    assert response["Content-Type"].startswith("text/plain")
    assert response.content.decode() == middleware.SIGNED_OUT_MESSAGE
    assert "no-store" in response["Cache-Control"]
    answer.refresh_from_db()
    assert (answer.note, answer.status, answer.version) == ("saved in time", "met", 2)
    assert Answer.history.filter(id=answer.id).count() == 2  # created, then saved in time; nothing since
    assert not _signed_in(client)
    # Signed out for good: the assessment is closed to this browser, and the next page says why.
    overview = client.get(reverse("assessments:overview", args=[assessment.public_id]))
    assert overview.status_code == 404
    assert middleware.SIGNED_OUT_MESSAGE in overview.content.decode()


def test_a_plain_form_save_after_the_idle_timeout_writes_nothing_and_signs_out(monkeypatch):
    user = make_user("owner@acme.test")
    assessment = make_assessment(make_org("Acme", owner=[user]))
    client = signed_in(user)
    now = [time.time() + settings.SESSION_IDLE_TIMEOUT + 1]
    monkeypatch.setattr(middleware, "now", lambda: now[0])
    response = post_answer(client, assessment, "3.1.1", status="not_met", note="typed after the time-out", htmx=False)
    # The request goes on signed out: the page answers as to anyone without access, with the reason on it.
    assert response.status_code == 404
    assert middleware.SIGNED_OUT_MESSAGE in response.content.decode()
    answer = Answer.objects.get(assessment=assessment, requirement__nist_id="3.1.1")
    assert (answer.note, answer.version) == ("note for 3.1.1", 1)
    assert not _signed_in(client)
