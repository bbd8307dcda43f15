import re

from django.contrib.auth.password_validation import CommonPasswordValidator
from django.core.exceptions import ValidationError

_EDGES = re.compile(r"^[\W\d_]+|[\W\d_]+$")


class CommonPasswordVariantValidator(CommonPasswordValidator):
    """Also refuse a common password padded with digits or symbols to reach the length ("password1234567",
    "!!dragon2024!!"): people meet a minimum length exactly that way. Not a composition rule: nothing is
    required, only this one predictable pattern is refused."""

    def validate(self, password: str, user=None) -> None:
        core = _EDGES.sub("", password.lower().strip())
        if core != password.lower().strip() and len(core) >= 4 and core in self.passwords:
            raise ValidationError("This password is a common password with digits or symbols added.",
                                  code="password_too_common")

    def get_help_text(self) -> str:
        return "Your password can’t be a common password, even with digits or symbols added."
