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
