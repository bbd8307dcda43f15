"""Downloading a generated version (DOCX or PDF)."""

import pytest

from .ssp_helpers import (
    assessment_fixture,  # noqa: F401  (the assessment fixture)
    fresh_render_slots_fixture,  # noqa: F401  (autouse: a fresh render guard)
    ssp_fixture,  # noqa: F401  (the ssp fixture: the assessment's plan)
    url,
)

pytestmark = pytest.mark.django_db


def test_unknown_versions_are_404(client, ssp):
    assert client.get(url("version_docx", ssp.assessment, 7)).status_code == 404
