"""MFA is required (check 11): enrolment gate, TOTP at login, replayed codes, recovery codes, reset, disabling,
the per-user limit on wrong codes."""

import re
import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse

from tests.personas import PASSWORD, make_assessment, make_org, make_user, signed_in, stored_secret, totp_code, totp_now

pytestmark = pytest.mark.django_db


def _password_step(client: Client, email: str, password: str = PASSWORD):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def _is_signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def _reauthenticate(client: Client) -> None:
    # allauth asks for the password again before an authenticator is added or removed.
    response = client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert response.status_code == 302, response.status_code


def test_a_new_account_reaches_only_mfa_setup_and_sign_out_until_totp_is_enrolled():
    user = make_user("new@example.test", totp=False)
    org = make_org("Acme", owner=[user])
    assessment = make_assessment(org)
    client = signed_in(user, mfa=False)
    setup = reverse("mfa_activate_totp")
    _reauthenticate(client)
    for url in (reverse("home"), reverse("orgs:dashboard"), reverse("controls:catalog"),
                reverse("assessments:overview", args=[assessment.public_id]), reverse("orgs:claim"),
                reverse("account_change_password")):
        response = client.get(url)
        assert (response.status_code, response["Location"]) == (302, setup), url
    assert client.get(setup).status_code == 200
    assert client.get("/static/css/app.css").status_code == 200
    assert client.post(reverse("account_logout")).status_code == 302
    assert not _is_signed_in(client)


def test_the_password_asked_again_before_the_first_enrolment_says_why():
    client = signed_in(make_user("new@example.test", totp=False), mfa=False)
    response = client.get(reverse("mfa_activate_totp"), follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("account_reauthenticate"))
    assert "Two-factor authentication is required for every account" in response.content.decode()
    # Elsewhere (changing the password) the page stays allauth's own.
    page = client.get(reverse("account_reauthenticate"), {"next": reverse("account_change_password")})
    assert page.status_code == 200 and "Two-factor authentication is required" not in page.content.decode()


def test_activating_totp_with_a_code_from_the_secret_opens_the_account_in_that_session():
    user = make_user("new@example.test", totp=False)
    org = make_org("Acme", owner=[user])
    assessment = make_assessment(org)
    client = signed_in(user, mfa=False)
    _reauthenticate(client)
    page = client.get(reverse("mfa_activate_totp"))
    secret = client.session["mfa.totp.secret"]
    assert secret in page.content.decode()  # shown once, for manual entry into the authenticator app
    wrong = client.post(reverse("mfa_activate_totp"), {"code": "000000" if totp_code(secret) != "000000" else "1"})
    assert wrong.status_code == 200 and not Authenticator.objects.filter(user=user).exists()
    response = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    assert client.get(reverse("assessments:overview", args=[assessment.public_id])).status_code == 200


def test_the_code_that_activated_totp_cannot_sign_in_again():
    user = make_user("new@example.test", totp=False)
    client = signed_in(user, mfa=False)
    _reauthenticate(client)
    client.get(reverse("mfa_activate_totp"))
    code = totp_code(client.session["mfa.totp.secret"])
    assert client.post(reverse("mfa_activate_totp"), {"code": code}).status_code == 302
    other = Client()
    _password_step(other, user.email)
    other.post(reverse("mfa_authenticate"), {"code": code})
    assert not _is_signed_in(other)


def test_a_password_alone_does_not_sign_in_a_user_with_totp():
    user = make_user("owner@acme.test")
    assessment = make_assessment(make_org("Acme", owner=[user]))
    client = Client()
    response = _password_step(client, user.email)
    assert (response.status_code, response["Location"]) == (302, reverse("mfa_authenticate"))
    assert not _is_signed_in(client)
    assert client.get(reverse("assessments:overview", args=[assessment.public_id])).status_code == 404
    assert client.get(reverse("orgs:dashboard")).status_code == 302


def test_the_right_totp_code_signs_in_and_the_same_code_replayed_fails():
    user = make_user("owner@acme.test")
    assessment = make_assessment(make_org("Acme", owner=[user]))
    code = totp_now(user)
    first = Client()
    _password_step(first, user.email)
    response = first.post(reverse("mfa_authenticate"), {"code": code})
    assert response.status_code == 302 and _is_signed_in(first)
    assert first.get(reverse("assessments:overview", args=[assessment.public_id])).status_code == 200

    replay = Client()
    _password_step(replay, user.email)
    response = replay.post(reverse("mfa_authenticate"), {"code": code})
    assert response.status_code == 200 and not _is_signed_in(replay)
    assert "Incorrect code" in response.content.decode()


def test_a_wrong_totp_code_fails():
    user = make_user("owner@acme.test")
    client = Client()
    _password_step(client, user.email)
    wrong = totp_code(user and "JBSWY3DPEHPK3PXP")  # a code of some other secret
    client.post(reverse("mfa_authenticate"), {"code": wrong if wrong != totp_now(user) else "000000"})
    assert not _is_signed_in(client)


def test_a_recovery_code_works_once():
    user = make_user("owner@acme.test")
    code = RecoveryCodes.activate(user).get_unused_codes()[0]
    first = Client()
    _password_step(first, user.email)
    first.post(reverse("mfa_authenticate"), {"code": code})
    assert _is_signed_in(first)
    again = Client()
    _password_step(again, user.email)
    again.post(reverse("mfa_authenticate"), {"code": code})
    assert not _is_signed_in(again)


def test_after_a_password_reset_signing_in_still_needs_totp():
    user = make_user("owner@acme.test")
    client = Client()
    client.post(reverse("account_reset_password"), {"email": user.email})
    link = re.search(re.escape(settings.SITE_URL) + r"(/accounts/password/reset/key/\S+/)",
                     mail.outbox[-1].body).group(1)
    form_url = client.get(link)["Location"]
    new_password = "another long passphrase 2026"
    response = client.post(form_url, {"password1": new_password, "password2": new_password})
    assert response.status_code == 302
    assert not _is_signed_in(client)
    response = _password_step(client, user.email, new_password)
    assert response["Location"] == reverse("mfa_authenticate")
    assert not _is_signed_in(client)
    client.post(reverse("mfa_authenticate"), {"code": totp_now(user)})
    assert _is_signed_in(client)


def test_disabling_totp_needs_a_recent_reauthentication():
    user = make_user("owner@acme.test")
    client = signed_in(user)
    session = client.session
    for record in session["account_authentication_methods"]:
        record["at"] = time.time() - 3600  # signed in an hour ago
    session.save()
    response = client.get(reverse("mfa_deactivate_totp"))
    assert response.status_code == 302
    assert "reauthenticate" in response["Location"]
    assert client.post(reverse("mfa_deactivate_totp")).status_code == 302
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def test_the_admin_sign_in_goes_through_the_account_login_and_its_mfa_step():
    response = Client().get(reverse("admin:login"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def _wrong_code(user) -> str:
    """A code that is not valid now, nor one step either side (MFA_TOTP_TOLERANCE)."""
    valid = {totp_code(stored_secret(user), at=time.time() + step) for step in (-30, 0, 30)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in valid)


def test_after_five_wrong_codes_even_the_right_code_is_refused_for_that_user_only(monkeypatch):
    # allauth counts MFA failures per user under ACCOUNT_RATE_LIMITS["login_failed"] (its "key" part).
    assert "5/5m/key" in settings.ACCOUNT_RATE_LIMITS["login_failed"].split(",")
    alice, bob = make_user("alice@acme.test"), make_user("bob@acme.test")
    recovery_code = RecoveryCodes.activate(alice).get_unused_codes()[0]
    guesser = Client(REMOTE_ADDR="203.0.113.40")
    _password_step(guesser, alice.email)
    for _ in range(5):
        response = guesser.post(reverse("mfa_authenticate"), {"code": _wrong_code(alice)})
        assert response.status_code == 200 and "Incorrect code" in response.content.decode()
    response = guesser.post(reverse("mfa_authenticate"), {"code": totp_now(alice)})
    assert response.status_code == 200 and "Too many failed login attempts" in response.content.decode()
    assert not _is_signed_in(guesser)

    # Per user, not per browser or address: Alice from elsewhere, with her code or a recovery code, is refused too.
    elsewhere = Client(REMOTE_ADDR="198.51.100.40")
    _password_step(elsewhere, alice.email)
    for code in (totp_now(alice), recovery_code):
        response = elsewhere.post(reverse("mfa_authenticate"), {"code": code})
        assert "Too many failed login attempts" in response.content.decode()
    assert not _is_signed_in(elsewhere)
    # ... while another user from the guesser's own address signs in.
    neighbour = Client(REMOTE_ADDR="203.0.113.40")
    _password_step(neighbour, bob.email)
    neighbour.post(reverse("mfa_authenticate"), {"code": totp_now(bob)})
    assert _is_signed_in(neighbour)

    # Five minutes later Alice's right code works again (allauth's counts are timestamps in the cache).
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 301)
    later = Client(REMOTE_ADDR="198.51.100.40")
    _password_step(later, alice.email)
    later.post(reverse("mfa_authenticate"), {"code": totp_now(alice)})
    assert _is_signed_in(later)
