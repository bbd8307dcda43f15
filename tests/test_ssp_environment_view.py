"""Step 2, environment: the narratives, the four inventory tables, and the diagram its Save uploads."""

import io

import pytest
from django.conf import settings as django_settings
from django.db import models

from ssp.environment_views import TABLES
from ssp.forms import EnvironmentForm
from ssp.models import ROWS_MAX, HardwareItem, NetworkDiagram

from .personas import make_assessment
from .questionnaire_helpers import browser_submission, by_testid, post_submission
from .ssp_helpers import (
    ROW_MODELS,
    assessment_fixture,  # noqa: F401  (the assessment fixture)
    fill_everything,
    fresh_render_slots_fixture,  # noqa: F401  (autouse: a fresh render guard)
    last_choice,
    most_fields,
    page,
    plan_for,
    png_bytes,
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


def test_the_ownership_question_is_asked_as_a_question(client, ssp):
    legends = page(client.get(url("environment", ssp.assessment))).xpath("//legend")
    asked = [" ".join(legend.text_content().split()) for legend in legends]
    assert "Is all hardware and software maintained and owned by the organization?" in asked


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
    fill = fill_everything()
    # A caption needs a diagram, and this post is URL-encoded (no file): the diagram is in its own tests.
    pairs = browser_submission(form, fill=lambda el: None if el.get("name") == "caption" else fill(el),
                               choose=last_choice, tick=lambda el: not el.get("name").endswith("-DELETE"))
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
    # + the diagram's caption (its file field sends nothing here).
    assert len(pairs) == most_fields(EnvironmentForm, tables) + 1 < django_settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    response = post_submission(client, url("environment", ssp.assessment), pairs)
    assert response.status_code == 302, refusal(response)
    assert response["Location"] == url("requirements", ssp.assessment)
    assert not any(ROW_MODELS[name].objects.filter(ssp=ssp).exists() for name in tables)


def upload(raw: bytes, name: str = "net.png") -> io.BytesIO:
    file = io.BytesIO(raw)
    file.name = name
    return file


def test_the_environment_save_uploads_the_diagram_chosen_on_the_page_with_everything_else(client, ssp):
    response = client.post(url("environment", ssp.assessment),
                           environment_data(image=upload(png_bytes() + b"hidden"), caption="Office LAN"))
    assert response.status_code == 302 and response["Location"] == url("environment", ssp.assessment)
    stored = NetworkDiagram.objects.get(ssp=ssp)
    assert (stored.caption, stored.width, stored.height) == ("Office LAN", 120, 60)
    assert b"hidden" not in bytes(stored.image)  # the same re-encoding as the diagram's own upload
    ssp.refresh_from_db()
    assert ssp.boundary == "One office."
    html = page(client.get(url("environment", ssp.assessment)))
    assert html.xpath("//img[starts-with(@src, $u)]/@alt", u=url("diagram", ssp.assessment)) == ["Office LAN"]
    assert html.xpath("//input[@name='caption']/@value") == ["Office LAN"]  # editable with the next Save

    # A later Save without a file keeps the diagram and edits only its caption; an unchanged one writes nothing.
    response = client.post(url("environment", ssp.assessment), environment_data(caption="Office and cloud"))
    assert response.status_code == 302
    assert NetworkDiagram.objects.get(ssp=ssp).caption == "Office and cloud"
    assert bytes(NetworkDiagram.objects.get(ssp=ssp).image) == bytes(stored.image)
    before = NetworkDiagram.history.count()
    client.post(url("environment", ssp.assessment), environment_data(caption="Office and cloud"))
    assert NetworkDiagram.history.count() == before


def test_a_refused_diagram_on_the_environment_save_saves_nothing_and_keeps_what_was_typed(client, ssp):
    response = client.post(url("environment", ssp.assessment),
                           environment_data(boundary="Typed boundary", image=upload(b"GIF89a;"), caption="Net"))
    assert response.status_code == 400
    html = page(response)
    assert html.xpath("string(//*[@id='id_image_error'])").strip() == "Upload a PNG or JPEG image."
    assert textarea(html, "id_boundary") == "Typed boundary"
    assert html.xpath("//input[@name='caption']/@value") == ["Net"]
    assert not html.xpath("//*[@data-testid='diagram-not-kept']")  # the file's own error says what to do
    ssp.refresh_from_db()
    assert ssp.boundary == "" and not NetworkDiagram.objects.exists()


def test_a_good_diagram_with_a_field_to_fix_is_not_saved_and_the_page_says_to_choose_it_again(client, ssp):
    huge = "x" * 20_001
    response = client.post(url("environment", ssp.assessment),
                           environment_data(boundary=huge, image=upload(png_bytes(), "office.png")))
    assert response.status_code == 400
    assert "office.png" in by_testid(page(response), "diagram-not-kept")
    assert not NetworkDiagram.objects.exists()


def test_a_caption_without_a_diagram_is_refused_next_to_the_file_field(client, ssp):
    response = client.post(url("environment", ssp.assessment), environment_data(caption="Our network"))
    assert response.status_code == 400
    assert "a caption alone cannot be saved" in page(response).xpath("string(//*[@id='id_image_error'])")
    assert page(response).xpath("//input[@name='caption']/@value") == ["Our network"]
    assert not NetworkDiagram.objects.exists()


def test_a_viewer_cannot_upload_a_diagram_through_the_environment_save(org_people):
    assessment = make_assessment(org_people["acme"])
    plan_for(assessment)
    response = org_people["clients"]["viewer"].post(url("environment", assessment),
                                                    environment_data(image=upload(png_bytes())))
    assert response.status_code == 403 and not NetworkDiagram.objects.exists()
