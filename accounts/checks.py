from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security)
def mfa_encryption_keys(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """A key that is not a Fernet key would fail every TOTP enrolment and sign-in: say so at start-up instead."""
    from cryptography.fernet import Fernet

    errors = []
    for number, key in enumerate(settings.MFA_ENCRYPTION_KEYS, start=1):
        try:
            Fernet(key.encode())
        except ValueError:
            errors.append(checks.Error(
                f"MFA_ENCRYPTION_KEY: key {number} is not a Fernet key (32 bytes, URL-safe base64).",
                hint='Generate one with: python -c "from cryptography.fernet import Fernet; '
                     'print(Fernet.generate_key().decode())"',
                id="accounts.E001"))
    return errors
