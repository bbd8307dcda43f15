"""Sign up, verify the email address, sign in, and land on MFA enrolment; sign out."""

import re

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.urls import reverse

from tests.personas import PASSWORD, make_user

pytestmark = pytest.mark.django_db


def _signup(client: Client, email: str, password: str = PASSWORD):
    return client.post(reverse("account_signup"), {"email": email, "password1": password, "password2": password})


def test_the_signup_page_uses_our_layout_without_inline_script_or_style():
    body = Client().get(reverse("account_signup")).content.decode()
    assert "CMMC Ready" in body and 'href="/static/css/app.css"' in body
    assert "<style" not in body and "style=" not in body
    assert not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)", body)


def test_signing_up_sends_a_verification_email_and_signs_nobody_in_until_it_is_confirmed():
    client = Client()
    response = _signup(client, "new@example.test")
    assert response.status_code == 302
    assert get_user_model().objects.filter(email="new@example.test").exists()
    assert "_auth_user_id" not in client.session
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["new@example.test"]
    link = re.search(re.escape(settings.SITE_URL) + r"(/accounts/confirm-email/\S+/)", mail.outbox[0].body).group(1)
    assert client.get(link).status_code == 200  # a GET only shows the confirmation button
    client.post(link)
    response = client.post(reverse("account_login"), {"login": "new@example.test", "password": PASSWORD})
    assert "_auth_user_id" in client.session
    # Signed in, but every page leads to MFA enrolment first.
    assert client.get(reverse("orgs:dashboard"))["Location"] == reverse("mfa_activate_totp")


def test_signing_up_with_a_taken_address_reveals_nothing_and_creates_no_second_account():
    make_user("taken@example.test")
    client = Client()
    response = _signup(client, "taken@example.test")
    assert response.status_code == 302  # same answer as a fresh address (no account enumeration)
    assert get_user_model().objects.filter(email__iexact="taken@example.test").count() == 1


def test_a_wrong_password_is_refused_with_a_message_and_no_session():
    make_user("owner@acme.test")
    client = Client()
    response = client.post(reverse("account_login"), {"login": "owner@acme.test", "password": "wrong password 123"})
    assert response.status_code == 200
    assert "not correct" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_signing_out_is_a_post_and_the_old_session_is_dead_on_the_server(org_people):
    client = org_people["clients"]["owner"]
    old_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert client.get(reverse("account_logout")).status_code == 200  # a confirmation page, nothing happens
    assert client.get(reverse("orgs:dashboard")).status_code == 200
    client.post(reverse("account_logout"))
    assert client.get(reverse("orgs:dashboard")).status_code == 302
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = old_key
    assert replay.get(reverse("orgs:dashboard")).status_code == 302
