"""TOTP secrets and recovery-code seeds are stored encrypted (Fernet: AES-128-CBC with HMAC-SHA256).

The keys come from ``MFA_ENCRYPTION_KEY`` (comma-separated Fernet keys: the first encrypts, every one decrypts, so
a key can be rotated, see ``manage.py encrypt_mfa_secrets``). Without it, a key derived from ``SECRET_KEY`` (and one
from each of ``SECRET_KEY_FALLBACKS``), so that the app runs with no configuration at all.

Rows written before encryption hold the plain value: a base32 TOTP secret or a hex seed, neither of which can start
like a Fernet token (version byte 0x80, "gAAAAA" in base64). Those are read as they are until
``encrypt_mfa_secrets`` rewrites them; a token that no key opens is an error, never taken for a plain secret.
"""

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import transaction

FERNET_START = "gAAAAA"


def _derived(secret_key: str) -> bytes:
    digest = hmac.new(secret_key.encode(), b"cmmc-ready mfa-secret encryption", hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest)


def keys() -> list[bytes]:
    """The configured keys, the one that encrypts first."""
    if settings.MFA_ENCRYPTION_KEYS:
        return [key.encode() for key in settings.MFA_ENCRYPTION_KEYS]
    return [_derived(settings.SECRET_KEY), *(_derived(key) for key in settings.SECRET_KEY_FALLBACKS)]


def _fernets() -> list[Fernet]:
    return [Fernet(key) for key in keys()]


def is_encrypted(value: str) -> bool:
    return value.startswith(FERNET_START)


def encrypt(text: str) -> str:
    return _fernets()[0].encrypt(text.encode()).decode()


def decrypt(value: str) -> str:
    if not is_encrypted(value):
        return value  # written before encryption (see the module's docstring)
    return MultiFernet(_fernets()).decrypt(value.encode()).decode()


def is_current(value: str) -> bool:
    """Encrypted with the key that encrypts now (nothing for encrypt_mfa_secrets to do)."""
    if not is_encrypted(value):
        return False
    try:
        _fernets()[0].decrypt(value.encode())
    except InvalidToken:
        return False
    return True


def _current(value: str) -> str:
    return value if is_current(value) else encrypt(decrypt(value))


@transaction.atomic
def encrypt_stored_secrets() -> int:
    """Rewrite every stored TOTP secret and recovery-code seed under the key that encrypts now: plain ones from
    before encryption and ones under an older key. Returns how many authenticators changed (0 on a second run)."""
    from allauth.mfa.models import Authenticator

    changed = 0
    for authenticator in Authenticator.objects.select_for_update().order_by("pk"):
        data = dict(authenticator.data)
        for field in ("secret", "seed"):
            if isinstance(data.get(field), str):
                data[field] = _current(data[field])
        if isinstance(data.get("migrated_codes"), list):
            data["migrated_codes"] = [_current(code) for code in data["migrated_codes"]]
        if data != authenticator.data:
            authenticator.data = data
            authenticator.save(update_fields=["data"])
            changed += 1
    return changed
