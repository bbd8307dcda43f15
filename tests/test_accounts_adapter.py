"""accounts/adapter.py: allauth's emails link to SITE_URL whatever Host the request named; MFA secrets are stored
encrypted."""

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from tests.personas import PASSWORD, make_user

pytestmark = pytest.mark.django_db

SITE = "https://cmmc.example.com"
EVIL = {"HTTP_HOST": "testserver:6666"}  # ALLOWED_HOSTS ignores ports, so Django accepts this Host


@pytest.fixture
def site_url(settings) -> str:
    settings.SITE_URL = SITE
    return SITE


def links(body: str) -> list[str]:
    return re.findall(r"https?://\S+", body)


def test_a_password_reset_link_is_on_the_site_url_whatever_port_the_request_named(site_url):
    user = make_user("owner@acme.test")
    response = Client().post(reverse("account_reset_password"), {"email": user.email}, **EVIL)
    assert response.status_code == 302
    body = mail.outbox[-1].body
    [link] = [url for url in links(body) if "/accounts/password/reset/key/" in url]
    assert link.startswith(f"{SITE}/accounts/password/reset/key/")
    assert "6666" not in body and "testserver" not in body
    assert Client().get(link.removeprefix(SITE)).status_code == 302  # the link works (to the form, key in session)


def test_an_email_confirmation_link_and_the_footer_are_on_the_site_url(site_url):
    response = Client().post(reverse("account_signup"), {"email": "new@example.test", "password1": PASSWORD,
                                                         "password2": PASSWORD}, **EVIL)
    assert response.status_code == 302
    body = mail.outbox[-1].body
    assert [url for url in links(body) if "/accounts/confirm-email/" in url][0].startswith(SITE + "/")
    assert "cmmc.example.com" in body.split("Thank you for using")[1]  # the footer's domain
    assert "6666" not in body and "testserver" not in body


def test_the_emails_for_unknown_and_existing_addresses_link_to_the_site_url_too(site_url, settings):
    settings.ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = True
    Client().post(reverse("account_reset_password"), {"email": "nobody@example.test"}, **EVIL)
    make_user("owner@acme.test")
    Client().post(reverse("account_signup"), {"email": "owner@acme.test", "password1": PASSWORD,
                                              "password2": PASSWORD}, **EVIL)
    assert len(mail.outbox) == 2
    for message in mail.outbox:
        assert links(message.body) and all(url.startswith(SITE + "/") for url in links(message.body)), message.body


# --- MFA secrets at rest ---


def stored_data(user, kind: str) -> str:
    """The authenticator's data column as the database holds it (text, whatever its JSON structure)."""
    from allauth.mfa.models import Authenticator

    return str(Authenticator.objects.filter(user=user, type=kind).values_list("data", flat=True).get())


def test_the_totp_secret_and_the_recovery_seed_are_stored_encrypted_and_sign_in_still_works():
    from allauth.mfa.models import Authenticator
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    from tests.personas import stored_secret, totp_now

    user = make_user("owner@acme.test")
    secret = stored_secret(user)  # decrypted through the adapter
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    assert secret not in stored_data(user, Authenticator.Type.TOTP)
    codes = RecoveryCodes.activate(user)
    seed = codes.instance.data["seed"]
    assert seed.startswith("gAAAAA") and len(codes.get_unused_codes()) == 10
    assert RecoveryCodes(Authenticator.objects.get(pk=codes.instance.pk)).get_unused_codes() == \
        codes.get_unused_codes()

    client = Client()
    assert client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})["Location"] == \
        reverse("mfa_authenticate")
    client.post(reverse("mfa_authenticate"), {"code": totp_now(user)})
    assert "_auth_user_id" in client.session


def test_a_secret_stored_in_plain_before_encryption_still_signs_in():
    from allauth.mfa.models import Authenticator

    from tests.personas import totp_code

    user = make_user("owner@acme.test", totp=False)
    plain = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": plain})
    client = Client()
    client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    client.post(reverse("mfa_authenticate"), {"code": totp_code(plain)})
    assert "_auth_user_id" in client.session


def test_the_key_comes_from_mfa_encryption_key_and_a_secret_under_an_unknown_key_is_an_error(settings):
    from allauth.mfa.utils import decrypt, encrypt
    from cryptography.fernet import Fernet, InvalidToken

    first, second = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.MFA_ENCRYPTION_KEYS = [first]
    token = encrypt("JBSWY3DPEHPK3PXP")
    assert Fernet(first.encode()).decrypt(token.encode()) == b"JBSWY3DPEHPK3PXP"
    settings.MFA_ENCRYPTION_KEYS = [second, first]  # rotation: the new key first, the old one still decrypts
    assert decrypt(token) == "JBSWY3DPEHPK3PXP"
    settings.MFA_ENCRYPTION_KEYS = [second]
    with pytest.raises(InvalidToken):  # never mistaken for a secret stored in plain
        decrypt(token)


def test_without_a_configured_key_the_key_is_derived_from_the_secret_key(settings):
    from allauth.mfa.utils import decrypt, encrypt
    from cryptography.fernet import InvalidToken

    settings.MFA_ENCRYPTION_KEYS = []
    token = encrypt("JBSWY3DPEHPK3PXP")
    assert decrypt(token) == "JBSWY3DPEHPK3PXP"
    old_key, settings.SECRET_KEY = settings.SECRET_KEY, "another secret key " * 3
    with pytest.raises(InvalidToken):
        decrypt(token)
    settings.SECRET_KEY_FALLBACKS = [old_key]  # Django's way to rotate SECRET_KEY keeps these readable
    assert decrypt(token) == "JBSWY3DPEHPK3PXP"


def test_a_key_that_is_not_a_fernet_key_fails_the_system_check_without_showing_it(settings):
    from django.core.checks import run_checks

    settings.MFA_ENCRYPTION_KEYS = ["not-a-key-but-a-secret-value"]
    errors = [e for e in run_checks() if e.id == "accounts.E001"]
    assert len(errors) == 1 and "key 1 is not a Fernet key" in errors[0].msg
    assert "not-a-key-but-a-secret-value" not in errors[0].msg + (errors[0].hint or "")
    settings.MFA_ENCRYPTION_KEYS = []
    assert not [e for e in run_checks() if e.id == "accounts.E001"]
