"""Password policy (check 9): at least 12 characters, not a common password, no composition rules."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

ACCEPTED = [
    "lowercase only words",  # no composition rule: no digit, capital or symbol needed
    "839201746583",  # digits only, 12 of them, not a common password
    "w" * 20 + " " + "correct horse battery staple " * 2,  # 64+ characters
    ("long passphrase " * 8)[:128],  # exactly 128 characters
    "🔐🛡️ mon mot de passe très sûr ✓",  # unicode and emoji
]
REJECTED = {
    "elevenchars": "password_too_short",  # 11 characters
    "password1234567": "password_too_common",
    "!!Dragon2024!!": "password_too_common",  # a common password padded with symbols and digits
    "baseball": "password_too_short",
}


@pytest.mark.parametrize("password", ACCEPTED)
def test_a_long_or_unusual_passphrase_is_accepted(password):
    validate_password(password)


@pytest.mark.parametrize(("password", "code"), REJECTED.items())
def test_a_short_or_common_password_is_rejected_with_its_reason(password, code):
    with pytest.raises(ValidationError) as error:
        validate_password(password)
    assert code in [e.code for e in error.value.error_list]


def test_a_128_character_passphrase_is_exactly_128():
    assert len(ACCEPTED[3]) == 128 and len(ACCEPTED[2]) >= 64


def test_signup_refuses_an_11_character_password_with_a_message_and_keeps_the_address():
    response = Client().post(reverse("account_signup"), {"email": "new@example.test", "password1": "elevenchars",
                                                         "password2": "elevenchars"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "at least 12 characters" in body and "new@example.test" in body
    assert not get_user_model().objects.filter(email="new@example.test").exists()


def test_signup_accepts_an_emoji_passphrase():
    password = ACCEPTED[4]
    response = Client().post(reverse("account_signup"), {"email": "new@example.test", "password1": password,
                                                         "password2": password})
    assert response.status_code == 302
    user = get_user_model().objects.get(email="new@example.test")
    assert user.check_password(password)
