import base64

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from assessments.access import SESSION_KEY
from assessments.models import Answer, Assessment
from assessments.records import score_assessment
from controls.models import Requirement
from orgs.models import Membership, Role

from .personas import make_org, make_user, signed_in
from .questionnaire_helpers import INTAKE, assert_private, html, text
from .questionnaire_helpers import start_through_the_form as start  # this file tests the start view itself

pytestmark = pytest.mark.django_db


def field_error(doc, name: str) -> str:
    """The error crispy shows under the field ``name``."""
    nodes = doc.xpath(f'//*[@id="error_1_id_{name}"]')
    return " ".join(text(n) for n in nodes)


def test_the_start_page_needs_no_account_and_is_private(client):
    response = client.get(reverse("assessments:start"))
    assert response.status_code == 200
    doc = html(response)
    names = set(doc.xpath("//main//form[@method='post']//*[@name]/@name"))
    assert {"organization_name", "target_level", "scope", "cage_codes", "employee_count", "has_ssp"} <= names
    assert "No account needed" in text(doc.xpath("//main")[0])
    assert_private(response)


def questions_asked(doc) -> int:
    """The form's questions: each named control once (a radio group is one question), the CSRF token aside."""
    names = set(doc.xpath("//main//form[@method='post']//*[@name]/@name")) - {"csrfmiddlewaretoken"}
    return len(names)


@pytest.mark.parametrize("persona, count", [(None, 7), ("owner", 8)])
def test_the_start_page_says_how_many_questions_it_asks_and_what_each_level_has(client, org_people, persona, count):
    """A Level 1 assessment is 17 practices, not 110; a member also chooses the organisation, one question more."""
    asker = org_people["clients"][persona] if persona else client
    doc = html(asker.get(reverse("assessments:start"), {"target_level": "l1"}))
    assert questions_asked(doc) == count
    assert Requirement.objects.exclude(level1_id="").count() == 17  # the catalog's Level 1 practices
    assert text(doc.xpath("//*[@data-testid='what-follows']")[0]) == (
        f"{count} questions, then the requirements family by family: the 110 of NIST SP 800-171 Rev 2 for Level 2, "
        "or for Level 1 the 17 practices that present the 15 requirements of FAR 52.204-21. Everything is saved as "
        "you answer.")


def test_starting_creates_the_assessment_and_only_this_browser_can_open_it(client):
    assessment = start(client)
    overview = reverse("assessments:overview", args=[assessment.public_id])
    assert client.get(overview).status_code == 200
    assert Client().get(overview).status_code == 404  # no link: a fresh browser
    other = Client()
    start(other, "Other Co")
    assert other.get(overview).status_code == 404  # outsider: has an assessment, not this one


def test_starting_redirects_to_the_recovery_key_page_without_any_secret_in_the_url(client):
    response = client.post(reverse("assessments:start"), INTAKE)
    assessment = Assessment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("assessments:recovery_key", args=[assessment.public_id])
    assert str(assessment.access_id) not in response["Location"]
    assert_private(response)


def test_the_public_id_has_at_least_128_random_bits_and_is_not_the_primary_key(client):
    first, second = start(client, "First"), start(client, "Second")
    for assessment in (first, second):
        raw = base64.urlsafe_b64decode(assessment.public_id + "=" * (-len(assessment.public_id) % 4))
        assert len(raw) * 8 >= 128
        assert assessment.public_id != str(assessment.pk)
        assert str(assessment.pk) not in reverse("assessments:overview", args=[assessment.public_id]).split("/")
    assert first.public_id != second.public_id


def test_the_access_id_that_grants_access_stays_on_the_server(client):
    response = client.post(reverse("assessments:start"), INTAKE, follow=True)
    assessment = Assessment.objects.get()
    secret = str(assessment.access_id)
    assert secret not in response.content.decode()
    assert all(secret not in morsel.value for morsel in client.cookies.values())
    # It lives in the server-side session only.
    assert secret in client.session[SESSION_KEY]


def test_the_ssp_question_sets_3_12_4_and_without_an_ssp_there_is_no_score(client):
    with_ssp = start(client, "With SSP", has_ssp="yes")
    without = start(client, "Without SSP", has_ssp="no")
    assert Answer.objects.get(assessment=with_ssp, requirement__nist_id="3.12.4").status == "met"
    assert Answer.objects.get(assessment=without, requirement__nist_id="3.12.4").status == "not_met"
    assert score_assessment(without).score is None
    # A blank assessment never shows a flattering score: the 109 unanswered count as not met.
    assert score_assessment(with_ssp).score == 110 - 313
    assert len(score_assessment(with_ssp).unanswered) == 109


def test_a_bad_cage_code_is_named_at_the_field_and_everything_typed_is_kept(client):
    data = INTAKE | {"organization_name": "Acme Widgets", "scope": "enclave", "cage_codes": "1abc2, TOOLONG7 x",
                     "employee_count": "42"}
    response = client.post(reverse("assessments:start"), data)
    assert response.status_code == 400
    doc = html(response)
    error = field_error(doc, "cage_codes")
    assert "TOOLONG7" in error and "X" in error and "1ABC2" not in error
    assert doc.xpath("//input[@name='cage_codes']/@value") == ["1abc2, TOOLONG7 x"]
    assert doc.xpath("//input[@name='cage_codes']/@aria-invalid") == ["true"]
    assert doc.xpath("//input[@name='organization_name']/@value") == ["Acme Widgets"]
    assert doc.xpath("//input[@name='employee_count']/@value") == ["42"]
    assert doc.xpath("//input[@name='scope'][@checked]/@value") == ["enclave"]
    assert doc.xpath("//input[@name='has_ssp'][@checked]/@value") == ["yes"]
    assert not Assessment.objects.exists()


def test_the_organisation_name_is_required_with_the_message_at_the_field(client):
    response = client.post(reverse("assessments:start"), INTAKE | {"organization_name": "   ", "cage_codes": "1ABC2"})
    assert response.status_code == 400
    doc = html(response)
    assert "Enter your organisation's name." in field_error(doc, "organization_name")
    assert doc.xpath("//input[@name='cage_codes']/@value") == ["1ABC2"]
    assert not Assessment.objects.exists()


def test_cage_codes_are_normalised_and_deduplicated(client):
    assessment = start(client, cage_codes="1abc2, 1ABC2 ;3def4")
    assert assessment.cage_codes == "1ABC2 3DEF4"


def test_a_level_1_target_is_kept(client):
    assessment = start(client, target_level="l1")
    assert assessment.target_level == "l1"
    assert score_assessment(assessment).total == 17


def test_an_empty_post_is_a_form_error_not_a_new_assessment(client):
    response = client.post(reverse("assessments:start"), {})
    assert response.status_code == 400
    assert field_error(html(response), "organization_name")
    assert not Assessment.objects.exists()


def test_other_methods_are_refused(client):
    assert client.put(reverse("assessments:start")).status_code == 405
    assert not Assessment.objects.exists()


def test_starting_rotates_the_session_id(client):
    client.get(reverse("assessments:start"))
    client.session.save()  # a session exists before the start, as a planted one would
    before = client.session.session_key
    start(client)
    assert client.session.session_key != before


def test_the_grant_survives_signing_in_as_a_new_user(client):
    # Claiming an anonymous assessment after signing in relies on this: Django's login() rotates the session id
    # but keeps its data when the session had no user before.
    assessment = start(client)
    before = client.session.session_key
    user = get_user_model().objects.create_user(username="new@example.com", email="new@example.com",
                                                password="a long enough passphrase 42")
    assert client.login(username="new@example.com", password="a long enough passphrase 42")
    session = client.session
    assert session.session_key != before
    assert str(assessment.access_id) in session[SESSION_KEY]
    assert str(session["_auth_user_id"]) == str(user.pk)
    assert client.cookies[settings.SESSION_COOKIE_NAME].value == session.session_key


# --- Signed in: an owner or editor starts straight in an organisation (personas: org_people in conftest.py). ---

def start_in(client: Client, organization, name: str = "Acme", *, meta: dict | None = None, **extra):
    return client.post(reverse("assessments:start"),
                       INTAKE | {"organization_name": name, "organization": organization.public_id} | extra,
                       **(meta or {}))


def org_choices(doc) -> dict[str, bool]:
    """The organisation radios offered: public id -> checked."""
    return {radio.get("value"): radio.get("checked") is not None
            for radio in doc.xpath("//main//input[@name='organization']")}


def test_an_editor_starts_straight_in_their_organisation_without_a_recovery_key(org_people):
    client, acme = org_people["clients"]["editor"], org_people["acme"]
    grants_before = list(client.session.get(SESSION_KEY, []))
    response = start_in(client, acme, "Acme Widgets", has_ssp="no")
    assessment = Assessment.objects.get(organization_name="Acme Widgets")
    assert response.status_code == 302
    assert response["Location"] == reverse("assessments:overview", args=[assessment.public_id])
    assert_private(response)
    assert assessment.organization == acme
    assert assessment.recovery_key_hash == "" and assessment.recovery_key_created_at is None
    # Members reach it by signing in: this browser session got no grant for it.
    assert list(client.session.get(SESSION_KEY, [])) == grants_before
    assert str(assessment.access_id) not in client.session.get(SESSION_KEY, [])
    assert Answer.objects.get(assessment=assessment, requirement__nist_id="3.12.4").status == "not_met"
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "Started in Acme. Everyone in it can see it according to their role." in text(html(page))
    # The key page does not exist for it, so no key can ever be made.
    assert client.get(reverse("assessments:recovery_key", args=[assessment.public_id])).status_code == 404
    assessment.refresh_from_db()
    assert assessment.recovery_key_hash == ""


def test_the_other_members_can_open_it_and_strangers_get_404(org_people):
    assessment_url = reverse("assessments:overview", args=[start_in(org_people["clients"]["editor"],
                                                                    org_people["acme"])["Location"].split("/")[2]])
    clients = org_people["clients"]
    assert clients["owner"].get(assessment_url).status_code == 200
    assert clients["viewer"].get(assessment_url).status_code == 200
    assert clients["other_org"].get(assessment_url).status_code == 404  # a member of another organisation
    assert clients["loner"].get(assessment_url).status_code == 404  # signed in, in no organisation
    assert Client().get(assessment_url).status_code == 404  # no link: anonymous


def test_its_activity_log_says_who_started_it_and_where(org_people):
    start_in(org_people["clients"]["editor"], org_people["acme"], "Logged")
    assessment = Assessment.objects.get(organization_name="Logged")
    created = assessment.history.get(history_type="+")
    assert created.history_user == org_people["editor"]
    assert created.history_change_reason == "started in Acme"
    page = org_people["clients"]["owner"].get(reverse("orgs:activity", args=[assessment.public_id]))
    assert "editor@acme.test" in text(html(page)) and "started in Acme" in text(html(page))


def test_the_start_page_says_where_it_will_be_saved(org_people):
    response = org_people["clients"]["owner"].get(reverse("assessments:start"))
    assert response.status_code == 200
    doc = html(response)
    main = text(doc.xpath("//main")[0])
    assert "Saved in Acme; everyone in it can see it according to their role." in main
    assert "No account needed" not in main and "anonymous" not in main
    # Exactly one organisation: still shown, and already chosen.
    assert org_choices(doc) == {org_people["acme"].public_id: True}
    assert_private(response)


def test_a_viewer_only_member_gets_the_anonymous_path(org_people):
    client, acme = org_people["clients"]["viewer"], org_people["acme"]
    doc = html(client.get(reverse("assessments:start")))
    assert org_choices(doc) == {}
    assert "anonymous assessment held by this browser" in text(doc.xpath("//main")[0])
    # Naming the organisation anyway does not put it there.
    response = start_in(client, acme, "Viewer Co")
    assessment = Assessment.objects.get(organization_name="Viewer Co")
    assert response["Location"] == reverse("assessments:recovery_key", args=[assessment.public_id])
    assert assessment.organization is None
    assert str(assessment.access_id) in client.session[SESSION_KEY]


def test_a_signed_in_user_in_no_organisation_is_told_the_assessment_will_be_anonymous(org_people):
    doc = html(org_people["clients"]["loner"].get(reverse("assessments:start")))
    main = text(doc.xpath("//main")[0])
    assert "anonymous assessment held by this browser" in main and "move it into an organisation later" in main
    assert doc.xpath("//main//a[@href=$url]", url=reverse("orgs:dashboard"))
    assert org_choices(doc) == {}


def test_another_organisations_id_is_refused_at_the_field_and_everything_typed_is_kept(org_people):
    client, globex = org_people["clients"]["editor"], org_people["globex"]
    data = INTAKE | {"organization_name": "Acme Widgets", "scope": "enclave", "cage_codes": "1ABC2",
                     "employee_count": "42", "has_ssp": "no", "organization": globex.public_id}
    response = client.post(reverse("assessments:start"), data)
    assert response.status_code == 400
    doc = html(response)
    assert "Choose one of your organisations in which you are an owner or editor." in field_error(doc,
                                                                                               "organization")
    assert "Globex" not in text(doc.xpath("//main")[0])  # not even its name is shown back
    assert doc.xpath("//input[@name='organization_name']/@value") == ["Acme Widgets"]
    assert doc.xpath("//input[@name='cage_codes']/@value") == ["1ABC2"]
    assert doc.xpath("//input[@name='employee_count']/@value") == ["42"]
    assert doc.xpath("//input[@name='scope'][@checked]/@value") == ["enclave"]
    assert doc.xpath("//input[@name='has_ssp'][@checked]/@value") == ["no"]
    assert not Assessment.objects.exists()


@pytest.mark.parametrize("posted", ["", "1", "new"])
def test_a_missing_or_made_up_organisation_is_refused_and_nothing_is_created(org_people, posted):
    # "" (no choice) needs a choice; a primary key or anything else is not one of the offered public ids.
    response = org_people["clients"]["owner"].post(reverse("assessments:start"), INTAKE | {"organization": posted})
    assert response.status_code == 400
    error = field_error(html(response), "organization")
    assert error == ("Choose the organisation to save the assessment in." if not posted
                     else "Choose one of your organisations in which you are an owner or editor.")
    assert not Assessment.objects.exists()


def test_an_organisation_where_the_user_is_only_a_viewer_is_refused(org_people):
    acme, editor = org_people["acme"], org_people["editor"]
    zeta = make_org("Zeta", viewer=[editor])
    response = start_in(org_people["clients"]["editor"], zeta)
    assert response.status_code == 400
    assert "owner or editor" in field_error(html(response), "organization")
    assert not Assessment.objects.exists()
    assert set(org_choices(html(response))) == {acme.public_id}


def test_a_member_of_two_organisations_chooses_the_second(org_people):
    acme, editor = org_people["acme"], org_people["editor"]
    zeta = make_org("Zeta", owner=[editor])
    client = org_people["clients"]["editor"]
    doc = html(client.get(reverse("assessments:start")))
    assert org_choices(doc) == {acme.public_id: True, zeta.public_id: False}  # by name; the first preselected
    assert "Saved in the organisation you choose below" in text(doc.xpath("//main")[0])
    response = start_in(client, zeta, "Second")
    assessment = Assessment.objects.get(organization_name="Second")
    assert response.status_code == 302 and assessment.organization == zeta
    assert org_people["clients"]["owner"].get(response["Location"]).status_code == 404  # Acme's owner: a stranger


def test_the_org_query_preselects_one_of_the_users_organisations_only(org_people):
    acme, globex, editor = org_people["acme"], org_people["globex"], org_people["editor"]
    zeta = make_org("Zeta", editor=[editor])
    client = org_people["clients"]["editor"]
    url = reverse("assessments:start")
    assert org_choices(html(client.get(url, {"org": zeta.public_id}))) == {acme.public_id: False, zeta.public_id: True}
    for foreign in (globex.public_id, str(globex.pk), "x" * 500):
        response = client.get(url, {"org": foreign})
        assert response.status_code == 200
        assert org_choices(html(response)) == {acme.public_id: True, zeta.public_id: False}
        assert "Globex" not in response.content.decode()


def test_the_anonymous_path_is_unchanged_for_anonymous_clients(org_people):
    client = Client()
    doc = html(client.get(reverse("assessments:start")))
    assert org_choices(doc) == {}
    assert "No account needed" in text(doc.xpath("//main")[0])
    response = start_in(client, org_people["acme"], "Anon Co")
    assessment = Assessment.objects.get(organization_name="Anon Co")
    assert response["Location"] == reverse("assessments:recovery_key", args=[assessment.public_id])
    assert assessment.organization is None
    assert str(assessment.access_id) in client.session[SESSION_KEY]
    assert client.get(reverse("assessments:recovery_key", args=[assessment.public_id])).status_code == 200
    assessment.refresh_from_db()
    assert assessment.recovery_key_hash  # made when the key page showed it, as before


def test_a_session_that_skipped_its_mfa_step_is_signed_out_and_creates_nothing(org_people):
    client = signed_in(org_people["editor"], mfa=False)
    response = start_in(client, org_people["acme"])
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))
    assert "_auth_user_id" not in client.session
    assert not Assessment.objects.exists()


def test_a_user_without_totp_is_sent_to_enrolment_before_starting(db):
    user = make_user("new@acme.test", totp=False)
    acme = make_org("Acme", owner=[user])
    client = signed_in(user)
    response = start_in(client, acme)
    assert response.status_code == 302 and response["Location"] == reverse("mfa_activate_totp")
    assert not Assessment.objects.exists()


def test_a_role_lowered_to_viewer_takes_effect_on_the_next_start(org_people):
    client, acme = org_people["clients"]["editor"], org_people["acme"]
    assert org_choices(html(client.get(reverse("assessments:start")))) == {acme.public_id: True}
    Membership.objects.filter(user=org_people["editor"]).update(role=Role.VIEWER)
    start_in(client, acme, "Demoted")
    assert Assessment.objects.get(organization_name="Demoted").organization is None


def test_starting_in_an_organisation_counts_towards_the_creation_rate_limit(org_people):
    client, acme = org_people["clients"]["owner"], org_people["acme"]
    statuses = [start_in(client, acme, f"Org {i}", meta={"REMOTE_ADDR": "203.0.113.11"}).status_code for i in range(20)]
    assert statuses == [302] * 20
    response = client.post(reverse("assessments:start"), INTAKE | {
        "organization_name": "One too many", "organization": acme.public_id, "cage_codes": "1ABC2"},
        REMOTE_ADDR="203.0.113.11")
    assert response.status_code == 429
    doc = html(response)
    assert doc.xpath("//input[@name='organization_name']/@value") == ["One too many"]
    assert org_choices(doc) == {acme.public_id: True}
    assert Assessment.objects.count() == 20


def test_the_start_page_for_a_signed_in_member_has_constant_queries(org_people, django_assert_num_queries):
    client, editor = org_people["clients"]["editor"], org_people["editor"]
    url = reverse("assessments:start")
    client.get(url)  # warm-up: the session's lifetime stamps are written on the first request
    # session, user, TOTP authenticator (MFA check), memberships + organisations (one join)
    with django_assert_num_queries(4):
        client.get(url)
    for name in ("Beta", "Gamma", "Delta"):
        make_org(name, editor=[editor])
    with django_assert_num_queries(4):
        response = client.get(url)
    assert len(org_choices(html(response))) == 4
