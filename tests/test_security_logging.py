"""Security events (check 15): logged once each with outcome, hashed ids and IP; never a secret."""

import logging
import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from accounts import security
from assessments.models import Assessment
from tests.personas import PASSWORD, make_assessment, make_org, make_user, totp_now

pytestmark = pytest.mark.django_db
NOTE = "Our firewall admin password is on a sticky note"


def _events(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "security"]


def _one(caplog, event: str, outcome: str) -> str:
    lines = [m for m in _events(caplog) if f"event={event} " in m and f"outcome={outcome} " in m]
    assert len(lines) == 1, (event, outcome, _events(caplog))
    return lines[0]


def test_a_whole_flow_logs_each_event_once_and_no_secret(caplog):
    caplog.set_level(logging.DEBUG)
    user = make_user("owner@acme.test")
    stranger_org = make_org("Globex", owner=[make_user("globex@example.test")])
    theirs = make_assessment(stranger_org, "Globex")
    client = Client()

    # An anonymous assessment with a note, and its recovery key (read from the show-once page).
    client.post(reverse("assessments:start"), {"organization_name": "Acme", "target_level": "l2",
                                               "scope": "enterprise", "has_ssp": "yes"})
    mine = Assessment.objects.get(organization_name="Acme")
    key = re.search(r'id="recovery-key">([A-Z0-9-]+)<',
                    client.get(reverse("assessments:recovery_key", args=[mine.public_id])).content.decode()).group(1)
    client.post(reverse("assessments:answer", args=[mine.public_id, "3.1.1"]),
                {"r3-1-1-status": "met", "r3-1-1-note": NOTE, "r3-1-1-version": "0"})

    # Failed login, then password + TOTP.
    client.post(reverse("account_login"), {"login": user.email, "password": "wrong " + PASSWORD})
    client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    code = totp_now(user)
    client.post(reverse("mfa_authenticate"), {"code": code})
    # IDOR attempt, CSRF failure, recovery-key failure.
    assert client.get(reverse("assessments:overview", args=[theirs.public_id])).status_code == 404
    assert Client(enforce_csrf_checks=True).post(reverse("assessments:start"), {}).status_code == 403
    wrong_key = "ABCD-EFGH-JKMN-PQRS-TVWX-YZ23-4567-89AB"
    assert Client().post(reverse("assessments:resume"), {"recovery_key": wrong_key}).status_code == 400

    failed = _one(caplog, "login", "failure")
    ok = _one(caplog, "login", "success")
    _one(caplog, "mfa", "success")
    _one(caplog, "access", "denied_not_member")
    _one(caplog, "csrf", "rejected")
    _one(caplog, "recovery_key", "failure")
    for line in (failed, ok):
        assert re.search(r"user=(-|[0-9a-f]{16}) sid=(-|[0-9a-f]{16}) ip=\S+", line), line
    assert f"user={security.pseudonym(f'user:{user.pk}')}" in ok

    session_id = client.cookies[settings.SESSION_COOKIE_NAME].value
    secrets = [PASSWORD, "wrong " + PASSWORD, code, key, key.replace("-", ""), wrong_key, session_id, NOTE,
               str(mine.access_id)]
    for record in caplog.records:
        text = record.getMessage() + " " + " ".join(str(v) for v in vars(record).values())
        for secret in filter(None, secrets):
            assert secret not in text, (record.name, secret)


def test_newlines_in_logged_values_are_escaped(caplog):
    caplog.set_level(logging.INFO, logger="security")
    security.event(None, "test", "forged\nevent=login outcome=success", detail="a\r\nb")
    (line,) = _events(caplog)
    assert "\n" not in line and "\r" not in line and "\\n" in line
