"""Step 1, identification: the system, the organisation, its contacts, user roles and CUI categories."""

import pytest
from django.conf import settings as django_settings

from ssp.forms import IdentificationForm
from ssp.models import ROWS_MAX, Contact, SystemSecurityPlan, UserRole

from .questionnaire_helpers import browser_submission, post_submission
from .ssp_helpers import (
    assessment_fixture,  # noqa: F401  (the assessment fixture)
    fill_everything,
    fresh_render_slots_fixture,  # noqa: F401  (autouse: a fresh render guard)
    last_choice,
    page,
    posted_rows,
    refusal,
    ssp_fixture,  # noqa: F401  (the ssp fixture: the assessment's plan)
    stored_rows,
    textarea,
    url,
)

pytestmark = pytest.mark.django_db


def identification_data(**overrides) -> dict:
    data = {"system_name": "Acme CUI Enclave", "system_identifier": "ACME-01", "categorization": "Moderate",
            "org_name": "Acme", "org_address": "1 Main St", "org_phone": "555-0100", "purpose": "Drawings.",
            "cui_categories": ["Controlled Technical Information"], "cui_other": "Export Controlled Research",
            "roles-TOTAL_FORMS": "1", "roles-INITIAL_FORMS": "0", "roles-MIN_NUM_FORMS": "0",
            "roles-MAX_NUM_FORMS": "50", "roles-0-role": "Engineers", "roles-0-users": "12",
            "roles-0-privileged_users": "2"}
    for role in ("information_owner", "system_owner", "security_officer"):
        data |= {f"{role}-name": f"Name {role}", f"{role}-title": "Boss", f"{role}-address": "HQ",
                 f"{role}-phone": "555", f"{role}-email": f"{role}@example.com"}
    return data | overrides


def test_identification_saves_everything_and_moves_on(client, ssp):
    response = client.post(url("identification", ssp.assessment), identification_data(next="1"))
    assert response.status_code == 302 and response["Location"] == url("environment", ssp.assessment)
    ssp.refresh_from_db()
    assert (ssp.system_name, ssp.cui_categories) == ("Acme CUI Enclave", ["Controlled Technical Information"])
    assert Contact.objects.get(ssp=ssp, role="security_officer").email == "security_officer@example.com"
    assert list(UserRole.objects.values_list("role", "users", "privileged_users")) == [("Engineers", 12, 2)]


def test_saving_identification_again_unchanged_writes_no_history_and_one_change_writes_one_row(client, ssp):
    """The activity log reads these histories: a second Save with nothing changed adds nothing to them."""
    client.post(url("identification", ssp.assessment), identification_data())

    def history_rows() -> tuple[int, int]:
        return (SystemSecurityPlan.history.filter(id=ssp.pk).count(), Contact.history.filter(ssp_id=ssp.pk).count())

    before = history_rows()
    assert client.post(url("identification", ssp.assessment), identification_data()).status_code == 302
    assert history_rows() == before
    client.post(url("identification", ssp.assessment), identification_data(**{"system_owner-phone": "555-0199"}))
    assert history_rows() == (before[0], before[1] + 1)
    assert Contact.objects.get(ssp=ssp, role="system_owner").phone == "555-0199"


def test_identification_errors_sit_next_to_their_field_and_nothing_typed_is_lost(client, ssp):
    huge = "x" * 102_400
    response = client.post(url("identification", ssp.assessment), identification_data(
        purpose=huge, **{"system_owner-email": "not-an-email", "roles-0-users": "many"}))
    assert response.status_code == 400
    html = page(response)
    assert html.xpath("string(//*[@id='id_purpose_error'])").strip().startswith(
        "Keep this to 20000 characters or fewer (it has 102400).")
    assert "is-invalid" in html.xpath("//textarea[@id='id_purpose']/@class")[0]
    assert textarea(html, "id_purpose") == huge
    assert html.xpath("//input[@name='system_owner-email']/@value") == ["not-an-email"]
    assert html.xpath("//input[@name='system_name']/@value") == ["Acme CUI Enclave"]
    assert html.xpath("//input[@name='roles-0-role']/@value") == ["Engineers"]
    assert not html.xpath("//textarea[@id='id_purpose']/@maxlength")  # the browser must not cut a paste short
    ssp.refresh_from_db()
    assert ssp.system_name == "" and UserRole.objects.count() == 0  # nothing half-saved


def test_nul_characters_are_refused_with_a_message_not_a_500(client, ssp):
    response = client.post(url("identification", ssp.assessment), identification_data(system_name="A\x00B"))
    assert response.status_code == 400 and "Null characters are not allowed" in response.content.decode()


def test_the_identification_page_at_its_largest_saves_every_role_contact_and_category(client, ssp):
    UserRole.objects.bulk_create(UserRole(ssp=ssp, role="Kept", users=1, privileged_users=0)
                                 for _ in range(ROWS_MAX - 2))
    form = page(client.get(url("identification", ssp.assessment))).xpath(
        "//form[@data-testid='identification-form']")[0]
    pairs = browser_submission(form, fill=fill_everything(), choose=last_choice,
                               tick=lambda el: not el.get("name").endswith("-DELETE"), click=("next", "1"))
    # Every Delete box ticked as well would add ROWS_MAX.
    assert len(pairs) + ROWS_MAX < django_settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    response = post_submission(client, url("identification", ssp.assessment), pairs)
    assert response.status_code == 302, refusal(response)
    assert response["Location"] == url("environment", ssp.assessment)
    ssp.refresh_from_db()
    posted = dict(pairs)
    assert ssp.cui_categories == [v for k, v in pairs if k == "cui_categories"]
    assert len(ssp.cui_categories) == len(IdentificationForm.base_fields["cui_categories"].choices)
    assert (ssp.system_name, ssp.purpose) == (posted["system_name"], posted["purpose"])
    for contact in Contact.objects.filter(ssp=ssp):
        assert (contact.name, contact.email) == (posted[f"{contact.role}-name"], posted[f"{contact.role}-email"])
    assert stored_rows(ssp, "roles") == posted_rows(pairs, "roles")
    assert len(stored_rows(ssp, "roles")) == ROWS_MAX


def test_the_environment_of_the_example_narratives_is_chosen_here_and_an_unknown_one_is_refused(client, ssp):
    html = page(client.get(url("identification", ssp.assessment)))
    assert html.xpath("//input[@type='radio'][@name='narrative_variant']/@value") == ["gcc_high", "on_prem"]
    assert not html.xpath("//input[@name='narrative_variant'][@checked]")  # not chosen yet
    response = client.post(url("identification", ssp.assessment), identification_data(narrative_variant="on_prem"))
    assert response.status_code == 302
    ssp.refresh_from_db()
    assert ssp.narrative_variant == "on_prem"
    assert page(client.get(url("identification", ssp.assessment))).xpath(
        "//input[@name='narrative_variant'][@checked]/@value") == ["on_prem"]
    response = client.post(url("identification", ssp.assessment), identification_data(narrative_variant="azure"))
    status, messages = refusal(response)
    assert status == 400 and any("Select a valid choice" in m for m in messages)
    ssp.refresh_from_db()
    assert ssp.narrative_variant == "on_prem"
