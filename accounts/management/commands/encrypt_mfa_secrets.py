from django.core.management.base import BaseCommand

from accounts.mfa_secrets import encrypt_stored_secrets


class Command(BaseCommand):
    help = (
        "Encrypt every stored TOTP secret and recovery-code seed with the first MFA_ENCRYPTION_KEY: the plain ones "
        "from before encryption, and those under an older key (rotation). Idempotent; run by deploy/prepare.sh."
    )

    def handle(self, *args, **options) -> None:
        n = encrypt_stored_secrets()
        self.stdout.write(f"Encrypted the secrets of {n} authenticator{'s' if n != 1 else ''}." if n
                          else "Every MFA secret is already encrypted with the current key.")
