"""manage.py encrypt_mfa_secrets: plain secrets from before encryption, and secrets under an older key, are
rewritten under the current key; a second run changes nothing."""

import io

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from cryptography.fernet import Fernet
from django.core.management import call_command

from accounts import mfa_secrets
from tests.personas import make_user, stored_secret

pytestmark = pytest.mark.django_db

PLAIN_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
PLAIN_SEED = "ab" * 40


def run() -> str:
    out = io.StringIO()
    call_command("encrypt_mfa_secrets", stdout=out)
    return out.getvalue().strip()


def test_plain_secrets_are_encrypted_once_and_keep_working():
    user = make_user("owner@acme.test", totp=False)
    totp = Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": PLAIN_SECRET})
    recovery = Authenticator.objects.create(user=user, type=Authenticator.Type.RECOVERY_CODES,
                                            data={"seed": PLAIN_SEED, "used_mask": 1})
    codes = RecoveryCodes(recovery).get_unused_codes()
    assert run() == "Encrypted the secrets of 2 authenticators."
    totp.refresh_from_db()
    recovery.refresh_from_db()
    assert PLAIN_SECRET not in str(totp.data) and PLAIN_SEED not in str(recovery.data)
    assert stored_secret(user) == PLAIN_SECRET
    assert RecoveryCodes(recovery).get_unused_codes() == codes and recovery.data["used_mask"] == 1
    assert run() == "Every MFA secret is already encrypted with the current key."


def test_a_new_first_key_rotates_every_secret_so_the_old_key_can_be_dropped(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.MFA_ENCRYPTION_KEYS = [old]
    user = make_user("owner@acme.test")
    secret = stored_secret(user)
    settings.MFA_ENCRYPTION_KEYS = [new, old]
    assert run() == "Encrypted the secrets of 1 authenticator."
    settings.MFA_ENCRYPTION_KEYS = [new]
    assert stored_secret(user) == secret
    assert mfa_secrets.is_current(Authenticator.objects.get(user=user).data["secret"])
