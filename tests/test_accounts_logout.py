import pytest
from django.urls import reverse

from tests.personas import make_user, signed_in

pytestmark = pytest.mark.django_db


def test_signing_out_clears_the_browsers_cache_and_storage(client):
    user = make_user("owner@example.com")
    client = signed_in(user, client)
    response = client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert response["Clear-Site-Data"] == '"cache", "storage"'
    assert "_auth_user_id" not in client.session


def test_other_pages_and_the_logout_confirmation_page_do_not_clear_site_data(client):
    client = signed_in(make_user("viewer@example.com"), client)
    assert "Clear-Site-Data" not in client.get(reverse("account_logout"))
    assert "Clear-Site-Data" not in client.get(reverse("controls:catalog"))
