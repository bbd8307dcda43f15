"""Every SSP view, by who asks: strangers get 404, the owner a private page, an organisation's viewers read every step
read-only (and download every version) while its editors write."""

import pytest
from django.test import Client

from controls.models import Requirement
from ssp.models import NetworkDiagram, SspVersion, SystemSecurityPlan

from .personas import make_assessment
from .questionnaire_helpers import by_testid, enabled_post_controls
from .ssp_helpers import (
    assessment_fixture,  # noqa: F401  (the assessment fixture)
    fresh_render_slots_fixture,  # noqa: F401  (autouse: a fresh render guard)
    get_row,
    page,
    plan_for,
    png_bytes,
    ssp_fixture,  # noqa: F401  (the ssp fixture: the assessment's plan)
    start_assessment,
    textarea,
    url,
)

pytestmark = pytest.mark.django_db


# Every SSP URL: name, extra arguments after the public id.
URLS = [
    ("overview", []), ("start", []), ("identification", []), ("environment", []), ("diagram", []),
    ("diagram_upload", []), ("diagram_delete", []), ("requirements", []), ("family", ["AC"]),
    ("requirement", ["3.1.1"]), ("plan", []), ("generate", []), ("version_docx", [1]),
    ("version_pdf", [1]), ("poam_docx", []),
]


@pytest.mark.parametrize("name, args", URLS)
@pytest.mark.parametrize("method", ["get", "post", "put", "delete"])
def test_every_ssp_url_is_404_for_an_outsider_and_for_anonymous(ssp, name, args, method):
    target = url(name, ssp.assessment, *args)
    outsider = Client()
    start_assessment(outsider, "Other Co")  # a session with its own assessment, not this one
    for stranger in (outsider, Client()):
        response = getattr(stranger, method)(target)
        assert response.status_code == 404, (name, method, response.status_code)
        assert b"Acme" not in response.content


@pytest.mark.parametrize("name, args", URLS)
def test_every_ssp_url_answers_its_owner_and_is_private(client, ssp, name, args):
    NetworkDiagram.objects.create(ssp=ssp, image=png_bytes(), content_type="image/png", width=120, height=60,
                                  sha256="a" * 64)
    SspVersion.objects.create(ssp=ssp, number=1, label="1.0", generated_on="2026-03-05", description="First",
                              made_by="Pat", catalog_revision="x", draft=True, docx=b"PK docx", docx_sha256="d",
                              pdf=b"%PDF pdf", pdf_sha256="p")
    target = url(name, ssp.assessment, *args)
    posted = ("start", "diagram_upload", "diagram_delete", "requirement", "generate")
    response = client.post(target) if name in posted else client.get(target)
    assert response.status_code in (200, 302, 400), (name, response.status_code)
    assert "no-store" in response["Cache-Control"] and response["X-Robots-Tag"] == "noindex, nofollow"
    assert response["Referrer-Policy"] in ("same-origin", "no-referrer")  # never sent to another site
    assert client.put(target).status_code == 405


def test_organisation_members_read_by_role_and_only_editors_write(client):
    from .personas import make_assessment, make_org, make_user, signed_in

    editor, viewer, stranger = make_user("ed@example.com"), make_user("vi@example.com"), make_user("st@example.com")
    org = make_org("Acme Org", editor=[editor], viewer=[viewer])
    make_org("Other Org", owner=[stranger])
    assessment = make_assessment(org, "Org Co")
    plan_for(assessment)
    as_viewer, as_editor, as_stranger = signed_in(viewer), signed_in(editor), signed_in(stranger)
    assert as_viewer.get(url("overview", assessment)).status_code == 200
    assert as_viewer.post(url("requirement", assessment, "3.1.1")).status_code == 403
    assert as_viewer.post(url("generate", assessment), {"label": "1.0"}).status_code == 403
    assert as_editor.post(url("requirement", assessment, "3.1.1")).status_code == 400
    assert as_stranger.get(url("overview", assessment)).status_code == 404
    assert as_stranger.post(url("generate", assessment)).status_code == 404


def _post_actions(doc) -> set[str]:
    """The actions of the POST forms someone could submit from the page ("" for the page itself); a button with a
    form attribute submits that form."""
    return {(doc.get_element_by_id(el.get("form")) if el.get("form") else next(el.iterancestors("form")))
            .get("action", "") for el in enabled_post_controls(doc)}


def test_before_the_plan_is_started_a_viewer_is_told_who_can_start_it_and_an_editor_can(org_people):
    assessment = make_assessment(org_people["acme"])
    doc = page(org_people["clients"]["viewer"].get(url("overview", assessment)))
    assert "only editors and owners can change them" in by_testid(doc, "read-only")
    assert "an editor or owner can start it" in by_testid(doc, "not-started")
    assert not enabled_post_controls(doc) and not doc.xpath("//form[@action=$a]", a=url("start", assessment))
    doc = page(org_people["clients"]["editor"].get(url("overview", assessment)))
    assert not doc.xpath("//*[@data-testid='read-only' or @data-testid='not-started']")
    assert _post_actions(doc) == {url("start", assessment)}


def test_a_viewer_reads_every_step_read_only_and_downloads_every_version_and_an_editor_still_edits(org_people):
    """A viewer's saves, uploads and generations would get 403: each step shows what is saved in disabled
    controls (or not at all) and says why; every GET download still works."""
    assessment = make_assessment(org_people["acme"])
    ssp = plan_for(assessment)
    SystemSecurityPlan.objects.filter(pk=ssp.pk).update(system_name="Acme CUI Enclave", approver_name="Pat")
    NetworkDiagram.objects.create(ssp=ssp, image=png_bytes(), content_type="image/png", width=120, height=60,
                                  sha256="a" * 64)
    SspVersion.objects.create(ssp=ssp, number=1, label="1.0", generated_on="2026-03-05", description="First",
                              made_by="Pat", catalog_revision="x", draft=True, docx=b"PK docx", docx_sha256="d",
                              pdf=b"%PDF pdf", pdf_sha256="p")
    viewer, editor = org_people["clients"]["viewer"], org_people["clients"]["editor"]
    here = ""  # the step's own URL: its main form has no action attribute
    editor_forms = {
        ("overview",): {url("generate", assessment)},
        ("identification",): {here},
        ("environment",): {here, url("diagram_delete", assessment)},  # its Save uploads a diagram too
        ("family", "AC"): {url("requirement", assessment, r.nist_id)
                           for r in Requirement.objects.filter(family__code="AC")},
        ("plan",): {here},
    }
    for (name, *args), actions in editor_forms.items():
        doc = page(viewer.get(url(name, assessment, *args)))
        assert "only editors and owners can change them" in by_testid(doc, "read-only"), name
        assert not enabled_post_controls(doc) and not doc.xpath("//main//form//button"), name
        doc = page(editor.get(url(name, assessment, *args)))
        assert not doc.xpath("//*[@data-testid='read-only']") and not doc.xpath("//fieldset[@disabled]"), name
        assert _post_actions(doc) == actions, name

    # What the viewer reads: the saved values, the diagram, why they cannot generate, and every download.
    assert page(viewer.get(url("identification", assessment))).xpath(
        "//input[@name='system_name']/@value") == ["Acme CUI Enclave"]
    assert page(viewer.get(url("plan", assessment))).xpath("//input[@name='approver_name']/@value") == ["Pat"]
    described = page(viewer.get(url("family", assessment, "AC")))
    pending = by_testid(described, "pending-3.1.3")  # no description yet: the starting text stands in
    assert "not yet confirmed by an editor" in pending and "tick" not in pending  # nothing to tick for a viewer
    assert "tick “confirm”" in by_testid(page(editor.get(url("family", assessment, "AC"))), "pending-3.1.3")
    assert textarea(described, "id_r3-1-1-note") == get_row(ssp, "3.1.1").description
    environment = page(viewer.get(url("environment", assessment)))
    assert environment.xpath("//img[starts-with(@src, $u)]", u=url("diagram", assessment))
    assert viewer.get(url("diagram", assessment)).content == png_bytes()
    doc = page(viewer.get(url("overview", assessment)))
    assert "only editors and owners can do it" in by_testid(doc, "generate-read-only")
    for name, body in (("version_docx", b"PK docx"), ("version_pdf", b"%PDF pdf")):
        assert doc.xpath("//a[@href=$u]", u=url(name, assessment, 1))
        assert viewer.get(url(name, assessment, 1)).content == body
    assert doc.xpath("//a[@href=$u]", u=url("poam_docx", assessment))
    assert viewer.get(url("poam_docx", assessment))["Content-Disposition"].startswith("attachment")
