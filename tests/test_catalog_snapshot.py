"""controls/snapshot.py: the catalog kept in memory per revision, and what is kept with it (the scoring rules, the
rendered text blocks), never shown stale: an edit, however it is made, shows on the next request."""

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import reverse

from assessments.records import catalog_rules
from controls import snapshot
from controls.models import CatalogStamp, Family, Objective, Requirement, catalog_revision, text_revision
from tests.personas import signed_in

from .questionnaire_helpers import html, start, text

pytestmark = pytest.mark.django_db


def questionnaire(client: Client, code: str = "AC") -> str:
    assessment = getattr(client, "assessment", None) or start(client)
    client.assessment = assessment
    return client.get(reverse("assessments:family", args=[assessment.public_id, code])).content.decode()


def requirement_text(client: Client, nist_id: str) -> str:
    doc = html(client.get(reverse("assessments:family", args=[client.assessment.public_id, "AC"])))
    return text(doc.xpath(f"//section[@id='req-{nist_id}']//p[contains(@class, 'requirement-text')]")[0])


def token() -> str | None:
    return CatalogStamp.objects.values_list("token", flat=True).first()


@pytest.fixture
def staff_client() -> Client:
    user = get_user_model().objects.create_superuser("catalog-editor", "editor@example.com", "a long staff passphrase")
    TOTP.activate(user, generate_totp_secret())  # staff need MFA like everyone else
    return signed_in(user, Client())


def admin_change(requirement: Requirement, *, text: str, objective_texts: dict[str, str] | None = None) -> dict:
    """The admin's change form of a requirement as a browser posts it, with ``text`` and any objective's new text."""
    objectives = list(requirement.objectives.all())
    data = {
        "cmmc_title": requirement.cmmc_title, "text": text, "partial_condition": requirement.partial_condition,
        "not_met_condition": requirement.not_met_condition, "poam_rule": requirement.poam_rule,
        "methodology_comment": requirement.methodology_comment,
        "objectives-TOTAL_FORMS": len(objectives), "objectives-INITIAL_FORMS": len(objectives),
        "objectives-MIN_NUM_FORMS": 0, "objectives-MAX_NUM_FORMS": 1000,
    }
    for i, objective in enumerate(objectives):
        data[f"objectives-{i}-id"] = objective.pk
        data[f"objectives-{i}-requirement"] = requirement.pk
        data[f"objectives-{i}-text"] = (objective_texts or {}).get(objective.objective_id, objective.text)
    return data


def test_an_admin_edit_of_a_requirement_shows_at_once_on_the_questionnaire(client, staff_client):
    questionnaire(client)  # the page as it was: the catalog and its text blocks are now in memory
    requirement = Requirement.objects.get(nist_id="3.1.1")
    edited = "Limit system access to authorized users & the devices they use (edited)."
    response = staff_client.post(reverse("admin:controls_requirement_change", args=[requirement.pk]),
                                 admin_change(requirement, text=edited))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert requirement_text(client, "3.1.1") == edited
    assert "&amp; the devices" in questionnaire(client)  # escaped as any text is
    assert requirement_text(client, "3.1.2") == Requirement.objects.get(nist_id="3.1.2").text


def test_an_admin_edit_of_an_objective_shows_at_once_on_the_questionnaire_and_the_catalog(client, staff_client):
    questionnaire(client)
    catalog_page = client.get(reverse("controls:catalog")).content.decode()
    requirement = Requirement.objects.get(nist_id="3.1.2")
    response = staff_client.post(
        reverse("admin:controls_requirement_change", args=[requirement.pk]),
        admin_change(requirement, text=requirement.text, objective_texts={"3.1.2[a]": "Edited objective wording."}))
    assert response.status_code == 302
    doc = html(client.get(reverse("assessments:family", args=[client.assessment.public_id, "AC"])))
    objectives = [text(li) for li in doc.xpath("//section[@id='req-3.1.2']//details//li")]
    assert objectives[0] == "[a] Edited objective wording."
    requirement.text = "A new requirement text, saved by code."
    requirement.save()
    assert "A new requirement text, saved by code." in client.get(reverse("controls:catalog")).content.decode()
    assert "A new requirement text, saved by code." not in catalog_page


def test_objective_mode_shows_an_edited_objective_at_once(client):
    assessment = start(client, objective_mode="on")
    url = reverse("assessments:family", args=[assessment.public_id, "AC"])
    client.get(url)
    objective = Objective.objects.get(objective_id="3.1.1[b]")
    objective.text = "Edited in objective mode."
    objective.save()
    doc = html(client.get(url))
    shown = [text(s) for s in doc.xpath("//section[@id='req-3.1.1']//form[contains(@class, 'objective-form')]"
                                        "/span[contains(@class, 'me-auto')]")]
    assert shown[1] == "[b] Edited in objective mode."


def test_a_family_renamed_shows_in_the_questionnaires_progress_and_title(client):
    questionnaire(client)
    family = Family.objects.get(code="AC")
    family.name = "Access Control (renamed)"
    family.save()
    assert "AC · Access Control (renamed)" in questionnaire(client)


def test_a_write_that_bypasses_save_shows_once_it_says_so(client):
    questionnaire(client)
    Requirement.objects.filter(nist_id="3.1.1").update(text="Changed by a queryset update.")
    snapshot.catalog_changed()  # what any such write must do (controls/snapshot.py)
    assert requirement_text(client, "3.1.1") == "Changed by a queryset update."


def test_every_kind_of_write_gives_the_catalog_a_new_token():
    tokens = [token()]
    requirement = Requirement.objects.get(nist_id="3.1.1")
    requirement.save()
    tokens.append(token())
    objective = requirement.objectives.first()
    objective.save()
    tokens.append(token())
    Family.objects.get(code="AC").save()
    tokens.append(token())
    extra = Objective.objects.create(requirement=requirement, objective_id="3.1.1[z]", position=99, text="Extra.")
    tokens.append(token())
    extra.delete()
    tokens.append(token())
    call_command("load_catalog", verbosity=0)  # unchanged: it still renews the token (bulk writes send no signal)
    tokens.append(token())
    assert None not in tokens and len(set(tokens)) == len(tokens)


def test_a_rolled_back_edit_leaves_no_trace_and_its_token_is_never_reused():
    before = snapshot.current()
    original = Requirement.objects.get(nist_id="3.1.1").text
    with pytest.raises(RuntimeError), transaction.atomic():
        requirement = Requirement.objects.get(nist_id="3.1.1")
        requirement.text = "Rolled back."
        requirement.save()
        assert snapshot.current().requirement_by_nist_id["3.1.1"].text == "Rolled back."
        raise RuntimeError
    assert snapshot.current().requirement_by_nist_id["3.1.1"].text == original
    requirement = Requirement.objects.get(nist_id="3.1.1")
    requirement.text = "Saved for real."
    requirement.save()
    after = snapshot.current()
    assert after.requirement_by_nist_id["3.1.1"].text == "Saved for real."
    assert after.token != before.token


def test_an_unchanged_catalog_is_read_once_and_kept(django_assert_num_queries):
    first = snapshot.current()
    with django_assert_num_queries(1):  # the token only
        assert snapshot.current() is first
    assert catalog_rules() is catalog_rules(first)  # what is derived is kept with it


def test_without_a_stamp_every_request_reads_the_catalog(client, django_assert_num_queries):
    CatalogStamp.objects.all().delete()
    Requirement.objects.filter(nist_id="3.1.1").update(text="Read fresh without a stamp.")
    questionnaire(client)
    assert requirement_text(client, "3.1.1") == "Read fresh without a stamp."
    with django_assert_num_queries(4):  # the missing token, then families, requirements, their objectives
        fresh = snapshot.current()
    assert fresh.token is None and snapshot.current() is not fresh
    snapshot.catalog_changed()  # a write puts the row back
    assert token() is not None


def test_the_catalog_revision_is_the_hash_of_the_text_and_follows_an_edit():
    def stored_hash() -> str:
        return text_revision(
            list(Requirement.objects.order_by("position").values_list("nist_id", "cmmc_title", "text")),
            list(Objective.objects.order_by("requirement__position", "position").values_list("objective_id", "text")))

    assert catalog_revision() == stored_hash()
    objective = Objective.objects.get(objective_id="3.13.11[a]")
    objective.text = "Edited."
    objective.save()
    assert catalog_revision() == stored_hash()
    assert len(catalog_revision()) == 12


def test_the_snapshot_holds_the_whole_catalog_in_order_with_its_links():
    catalog = snapshot.current()
    assert [f.code for f in catalog.families] == list(
        Family.objects.order_by("position").values_list("code", flat=True))
    assert [r.nist_id for r in catalog.requirements] == list(
        Requirement.objects.order_by("position").values_list("nist_id", flat=True))
    assert len(catalog.objective_by_id) == Objective.objects.count()
    for requirement in catalog.requirements:
        assert catalog.family_by_code[requirement.family.code] is requirement.family
        ids = [o.objective_id for o in requirement.objectives.all()]
        assert ids == list(requirement.objectives.order_by("position").values_list("objective_id", flat=True))
        assert all(catalog.objective_by_id[i].requirement is requirement for i in ids)
    assert [r.nist_id for r in catalog.family_requirements("AC")] == [
        r.nist_id for r in catalog.requirements if r.family.code == "AC"]
