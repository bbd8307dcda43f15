"""Starting the plan: once, by POST; before it, every step leads back to the overview."""

import pytest

from assessments.models import Answer
from ssp.models import Contact, SspVersion, SystemSecurityPlan

from .ssp_helpers import (
    assessment_fixture,  # noqa: F401  (the assessment fixture)
    fresh_render_slots_fixture,  # noqa: F401  (autouse: a fresh render guard)
    page,
    ssp_fixture,  # noqa: F401  (the ssp fixture: the assessment's plan)
    url,
)

pytestmark = pytest.mark.django_db


def test_pages_before_the_plan_is_started_show_the_start_button_and_write_nothing(client, assessment):
    response = client.get(url("overview", assessment))
    assert response.status_code == 200
    assert page(response).xpath("//form[@action=$a]//button", a=url("start", assessment))
    for name in ("identification", "environment", "requirements", "plan", "poam_docx"):
        assert client.get(url(name, assessment))["Location"] == url("overview", assessment)
    assert client.get(url("family", assessment, "AC")).status_code == 302
    assert client.get(url("diagram", assessment)).status_code == 404
    assert SystemSecurityPlan.objects.count() == 0


def test_start_creates_the_plan_once_and_get_pages_never_write(client, assessment):
    response = client.post(url("start", assessment))
    assert response["Location"] == url("identification", assessment)
    client.post(url("start", assessment))
    assert SystemSecurityPlan.objects.count() == 1
    before = [m.objects.count() for m in (SystemSecurityPlan, Answer, Contact, SspVersion)]
    versions = list(Answer.objects.values_list("version", flat=True))
    for name, args in (("overview", []), ("identification", []), ("environment", []), ("family", ["AC"]),
                       ("plan", [])):
        assert client.get(url(name, assessment, *args)).status_code == 200
    assert [m.objects.count() for m in (SystemSecurityPlan, Answer, Contact, SspVersion)] == before
    assert list(Answer.objects.values_list("version", flat=True)) == versions
