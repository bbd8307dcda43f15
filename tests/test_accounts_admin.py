"""accounts/admin.py: staff see that a user has an authenticator and may remove it, never its secret."""

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from tests.personas import make_user, signed_in, stored_secret

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff() -> Client:
    user = get_user_model().objects.create_superuser("admin", "admin@example.test", "a long staff passphrase")
    TOTP.activate(user, generate_totp_secret())  # staff need MFA like everyone else (accounts/middleware.py)
    return signed_in(user)


def test_staff_never_see_or_edit_another_users_totp_secret(staff):
    user = make_user("owner@acme.test")
    secret = stored_secret(user)
    authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    change = reverse("admin:mfa_authenticator_change", args=[authenticator.pk])
    page = staff.get(change)
    assert page.status_code == 200
    body = page.content.decode()
    assert secret not in body and authenticator.data["secret"] not in body
    assert 'name="data"' not in body
    assert "owner@acme.test" in body or str(user.pk) in body
    listing = staff.get(reverse("admin:mfa_authenticator_changelist")).content.decode()
    assert secret not in listing and authenticator.data["secret"] not in listing
    # A post with new data changes nothing.
    staff.post(change, {"user": user.pk, "type": "totp", "data": '{"secret": "AAAAAAAAAAAAAAAA"}'})
    assert stored_secret(user) == secret


def test_staff_may_remove_a_lost_authenticator(staff):
    user = make_user("owner@acme.test")
    authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    response = staff.post(reverse("admin:mfa_authenticator_delete", args=[authenticator.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not Authenticator.objects.filter(pk=authenticator.pk).exists()
    assert staff.get(reverse("admin:mfa_authenticator_add")).status_code == 403
