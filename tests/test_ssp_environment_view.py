"""Step 2, environment: the narratives and the four inventory tables."""

import pytest
from django.conf import settings as django_settings
from django.db import models

from ssp.forms import EnvironmentForm
from ssp.models import ROWS_MAX, HardwareItem
from ssp.views import TABLES

from .questionnaire_helpers import browser_submission, post_submission
from .ssp_helpers import (
    ROW_MODELS,
    assessment_fixture,  # noqa: F401  (the assessment fixture)
    fill_everything,
    fresh_render_slots_fixture,  # noqa: F401  (autouse: a fresh render guard)
    last_choice,
    most_fields,
    page,
    posted_rows,
    refusal,
    ssp_fixture,  # noqa: F401  (the ssp fixture: the assessment's plan)
    stored_rows,
    textarea,
    url,
)

pytestmark = pytest.mark.django_db


def environment_data(**overrides) -> dict:
    data = {"boundary": "One office.", "environment": "Laptops.", "hardware_reference": "",
            "software_reference": "Intune", "maintained_by_org": "yes", "maintenance_explanation": ""}
    for prefix in ("hardware", "software", "interconnections", "providers"):
        data |= {f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0", f"{prefix}-MIN_NUM_FORMS": "0",
                 f"{prefix}-MAX_NUM_FORMS": "50"}
    data |= {"hardware-TOTAL_FORMS": "1", "hardware-0-component": "Firewall", "hardware-0-make_model": "FG-60F"}
    return data | overrides


def test_environment_saves_the_narratives_and_tables(client, ssp):
    response = client.post(url("environment", ssp.assessment), environment_data())
    assert response["Location"] == url("environment", ssp.assessment)
    ssp.refresh_from_db()
    assert (ssp.boundary, ssp.maintained_by_org) == ("One office.", "yes")
    assert list(HardwareItem.objects.values_list("component", "make_model")) == [("Firewall", "FG-60F")]


def test_a_100_kb_boundary_is_refused_with_a_message_and_kept_in_the_form(client, ssp):
    huge = ("boundary " * 12_000).strip()
    response = client.post(url("environment", ssp.assessment), environment_data(boundary=huge))
    assert response.status_code == 400
    html = page(response)
    assert html.xpath("string(//*[@id='id_boundary_error'])").strip().startswith(
        "Keep this to 20000 characters or fewer (it has 107999).")
    assert textarea(html, "id_boundary") == huge
    ssp.refresh_from_db()
    assert ssp.boundary == ""


def test_too_many_rows_are_refused(client, ssp):
    rows = {"hardware-TOTAL_FORMS": "55"} | {f"hardware-{i}-component": f"Box {i}" for i in range(55)}
    response = client.post(url("environment", ssp.assessment), environment_data(**rows))
    assert response.status_code == 400 and "Please submit at most 50 forms." in response.content.decode()
    assert HardwareItem.objects.count() == 0


def test_the_environment_page_at_its_largest_saves_every_row_and_field_in_one_post(client, ssp):
    """The largest form of the product: both narratives, four tables at ROWS_MAX rows, every field at its limit."""
    tables = [name for name, _ in TABLES]
    for name in tables:  # two rows short of the limit: the page adds two empty rows, as it does for the user
        model = ROW_MODELS[name]
        required = {f.name: f.choices[0][0] if f.choices else "Kept" for f in model._meta.fields
                    if isinstance(f, models.CharField) and not f.blank}
        model.objects.bulk_create(model(ssp=ssp, **required) for _ in range(ROWS_MAX - 2))
    form = page(client.get(url("environment", ssp.assessment))).xpath("//form[@data-testid='environment-form']")[0]
    pairs = browser_submission(form, fill=fill_everything(), choose=last_choice,
                               tick=lambda el: not el.get("name").endswith("-DELETE"))
    response = post_submission(client, url("environment", ssp.assessment), pairs)
    assert response.status_code == 302, refusal(response)
    ssp.refresh_from_db()
    posted = dict(pairs)
    for name in EnvironmentForm.base_fields:
        assert getattr(ssp, name) == posted[name], name
    assert len(posted["boundary"]) > 19_000  # the narratives really are at their limit
    for name in tables:
        assert stored_rows(ssp, name) == posted_rows(pairs, name), name
        assert len(stored_rows(ssp, name)) == ROWS_MAX

    # Now every row is stored: tick every Delete and press "Save and continue", the most a browser can post here.
    form = page(client.get(url("environment", ssp.assessment))).xpath("//form[@data-testid='environment-form']")[0]
    pairs = browser_submission(form, choose=last_choice, tick=lambda el: True, click=("next", "1"))
    assert len(pairs) == most_fields(EnvironmentForm, tables) < django_settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    response = post_submission(client, url("environment", ssp.assessment), pairs)
    assert response.status_code == 302, refusal(response)
    assert response["Location"] == url("requirements", ssp.assessment)
    assert not any(ROW_MODELS[name].objects.filter(ssp=ssp).exists() for name in tables)
