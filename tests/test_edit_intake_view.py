import pytest
from django.test import Client
from django.urls import reverse

from assessments.models import Answer, Assessment, ObjectiveAnswer
from controls.models import Objective

from .personas import make_assessment
from .questionnaire_helpers import (
    INTAKE,
    answer_all,
    assert_private,
    by_testid,
    enabled_post_controls,
    html,
    outsider,
    post_answer,
    post_objective,
    start,
    text,
)

pytestmark = pytest.mark.django_db


def edit_url(assessment: Assessment) -> str:
    return reverse("assessments:edit", args=[assessment.public_id])


def ssp_answer(assessment: Assessment) -> Answer:
    return Answer.objects.get(assessment=assessment, requirement__nist_id="3.12.4")


def test_the_settings_page_shows_the_current_intake(client):
    assessment = start(client, target_level="l1", cage_codes="1ABC2", has_ssp="no")
    response = client.get(edit_url(assessment))
    assert response.status_code == 200
    doc = html(response)
    assert doc.xpath("//input[@name='target_level'][@checked]/@value") == ["l1"]
    assert doc.xpath("//input[@name='has_ssp'][@checked]/@value") == ["no"]
    assert doc.xpath("//input[@name='cage_codes']/@value") == ["1ABC2"]
    assert_private(response)


def test_changing_the_target_level_changes_what_is_asked(client):
    assessment = start(client)
    response = client.post(edit_url(assessment), INTAKE | {"target_level": "l1"})
    assert response.status_code == 302
    assert response["Location"] == reverse("assessments:overview", args=[assessment.public_id])
    assessment.refresh_from_db()
    assert assessment.target_level == "l1"
    overview = client.get(response["Location"])
    assert "Answered 0 of 17 requirements" in text(html(overview).xpath("//div[@id='progress']")[0])


def test_the_ssp_answer_follows_the_intake_and_keeps_its_history(client):
    assessment = start(client)
    client.post(edit_url(assessment), INTAKE | {"has_ssp": "no"})
    answer = ssp_answer(assessment)
    assert (answer.status, answer.version) == ("not_met", 2)
    client.post(edit_url(assessment), INTAKE | {"has_ssp": "no", "employee_count": "12"})
    assert ssp_answer(assessment).version == 2  # unchanged answer: no new version
    assert list(answer.history.order_by("history_date").values_list("status", flat=True)) == ["met", "not_met"]


def test_the_ssp_answer_given_on_the_questionnaire_shows_in_the_settings(client):
    assessment = start(client)
    post_answer(client, assessment, "3.12.4", status="not_met", note="The old SSP was retired")
    doc = html(client.get(edit_url(assessment)))
    assert doc.xpath("//input[@name='has_ssp'][@checked]/@value") == ["no"]
    client.post(edit_url(assessment), INTAKE | {"has_ssp": "no"})
    answer = ssp_answer(assessment)
    assert (answer.status, answer.note, answer.version) == ("not_met", "The old SSP was retired", 2)


def test_bad_input_is_refused_at_the_field_with_everything_typed_kept_and_nothing_saved(client):
    assessment = start(client, "Acme")
    response = client.post(edit_url(assessment), INTAKE | {"organization_name": "Acme Renamed",
                                                            "cage_codes": "BAD", "target_level": "l1"})
    assert response.status_code == 400
    doc = html(response)
    assert "BAD" in text(doc.xpath("//*[@id='error_1_id_cage_codes']")[0])
    assert doc.xpath("//input[@name='organization_name']/@value") == ["Acme Renamed"]
    assert doc.xpath("//input[@name='target_level'][@checked]/@value") == ["l1"]
    assessment.refresh_from_db()
    assert (assessment.organization_name, assessment.target_level) == ("Acme", "l2")


@pytest.mark.parametrize("method", ["get", "post", "put", "delete"])
def test_an_outsider_and_no_link_get_404_and_change_nothing(client, method):
    assessment = start(client)
    for stranger in (outsider(), Client()):
        response = getattr(stranger, method)(edit_url(assessment), INTAKE | {"organization_name": "Hijacked"})
        assert response.status_code == 404
    assessment.refresh_from_db()
    assert assessment.organization_name == "Acme"


def test_a_viewer_sees_the_settings_read_only_and_an_editor_can_still_change_them(org_people):
    """A viewer's save would get 403: the page shows the saved settings in disabled controls, without Save."""
    assessment = make_assessment(org_people["acme"], objective_mode=True)
    Assessment.objects.filter(pk=assessment.pk).update(cage_codes="1ABC2")
    clients = org_people["clients"]
    doc = html(clients["viewer"].get(edit_url(assessment)))
    assert "only editors and owners can change them" in by_testid(doc, "read-only")
    assert not enabled_post_controls(doc) and not doc.xpath("//main//button")
    assert doc.xpath("//input[@name='cage_codes']/@value") == ["1ABC2"]
    assert doc.xpath("//input[@name='has_ssp'][@checked]/@value") == ["yes"]
    assert doc.xpath("//input[@name='objective_mode']/@checked")
    # The page is not the guard: the viewer's POST is still refused and changes nothing.
    assert clients["viewer"].post(edit_url(assessment), INTAKE | {"cage_codes": "9ZZZ9"}).status_code == 403
    assessment.refresh_from_db()
    assert assessment.cage_codes == "1ABC2"
    for role in ("editor", "owner"):
        doc = html(clients[role].get(edit_url(assessment)))
        assert not doc.xpath("//*[@data-testid='read-only']") and not doc.xpath("//fieldset[@disabled]")
        names = {el.get("name") for el in enabled_post_controls(doc)}
        assert {"organization_name", "target_level", "has_ssp", "cage_codes", "objective_mode"} <= names
        assert doc.xpath("//main//form//button[normalize-space()='Save']")


# --- Objective mode: said before, confirmed after, nothing lost ------------------------------------------------


def objective_statuses(assessment: Assessment, nist_id: str) -> list[str]:
    return list(ObjectiveAnswer.objects.filter(assessment=assessment, objective__requirement__nist_id=nist_id)
                .order_by("objective__position").values_list("status", flat=True))


def messages_of(doc) -> str:
    return " ".join(text(n) for n in doc.xpath("//main/div[contains(@class, 'alert')][@role='status']"))


def test_the_settings_page_says_what_switching_objective_mode_will_do_before_it_is_done(client):
    assessment = start(client)
    off = text(html(client.get(edit_url(assessment))).xpath("//*[@id='id_objective_mode_helptext']")[0])
    assert "keeps every answer you gave" in off and "Nothing is deleted" in off
    assert "not met or partially met keeps that answer" in off
    Assessment.objects.filter(pk=assessment.pk).update(objective_mode=True)
    on = text(html(client.get(edit_url(assessment))).xpath("//*[@id='id_objective_mode_helptext']")[0])
    assert "keeps the answers your objectives give" in on and "kept, not deleted" in on
    # A new assessment has nothing to switch from: the start page says what the mode is, not what a switch does.
    start_page = text(html(client.get(reverse("assessments:start"))).xpath(
        "//*[@id='id_objective_mode_helptext']")[0])
    assert "keeps" not in start_page


def test_switching_objective_mode_on_with_110_answers_keeps_them_all_and_says_what_it_did(client):
    assessment = start(client)
    assert answer_all(assessment) == 110
    Answer.objects.filter(assessment=assessment, requirement__nist_id__in=["3.1.3", "3.1.4"]).update(
        status="not_met")
    score_before = by_testid(html(client.get(reverse("assessments:overview", args=[assessment.public_id]))),
                             "score")
    response = client.post(edit_url(assessment), INTAKE | {"objective_mode": "on"}, follow=True)
    doc = html(response)
    message = messages_of(doc)
    every = Objective.objects.exclude(requirement__nist_id__in=["3.12.4", "3.1.3", "3.1.4"]).count()
    assert f"Objective mode on: {every} objectives of 107 requirements pre-filled from your answers" in message
    assert "2 requirements answered not met or partially met keep that answer" in message
    # Not "Answered 2 of 110": every answer still counts, and the score has not moved.
    assert "Answered 110 of 110 requirements" in text(doc.xpath("//div[@id='progress']")[0])
    assert by_testid(doc, "score") == score_before == "108"
    assert objective_statuses(assessment, "3.1.1") == ["met"] * 6
    assert objective_statuses(assessment, "3.1.3") == []
    # The questionnaire marks the not met ones: their objectives are the user's to choose.
    family = html(client.get(reverse("assessments:family", args=[assessment.public_id, "AC"])))
    assert by_testid(family, "answered-before-3.1.3") == (
        "Answered “not met” before objective mode: choose which objectives are met (until then that answer stands).")
    assert by_testid(family, "state-3.1.3") == "Not met (−1)"
    assert not family.xpath("//*[@data-testid='answered-before-3.1.1']")
    checked = family.xpath("//input[starts-with(@name, 'o3-1-1-')][@type='radio'][@checked]/@value")
    assert checked == ["met"] * 6


def test_switching_objective_mode_off_keeps_what_the_objectives_say_and_the_score(client):
    assessment = start(client)
    answer_all(assessment)
    client.post(edit_url(assessment), INTAKE | {"objective_mode": "on"})
    post_objective(client, assessment, "3.1.1[c]", "not_met", version=1)
    overview = html(client.get(reverse("assessments:overview", args=[assessment.public_id])))
    assert by_testid(overview, "score") == "105"

    response = client.post(edit_url(assessment), INTAKE, follow=True)  # the box unticked
    doc = html(response)
    assert "Objective mode off: every requirement keeps the answer its objectives give" in messages_of(doc)
    assert "3.1.1: 1 answer updated to match" in messages_of(doc)
    assert by_testid(doc, "score") == "105"
    assert ssp_answer(assessment).status == "met"
    assert Answer.objects.get(assessment=assessment, requirement__nist_id="3.1.1").status == "not_met"
    # The objective answers stay for the next time.
    assert objective_statuses(assessment, "3.1.1") == ["met", "met", "not_met", "met", "met", "met"]
    family = html(client.get(reverse("assessments:family", args=[assessment.public_id, "AC"])))
    assert family.xpath("//input[@name='r3-1-1-status'][@checked]/@value") == ["not_met"]


def test_saving_the_settings_without_switching_says_saved_and_writes_no_answer(client):
    assessment = start(client)
    answer_all(assessment)
    before = (Answer.history.count(), ObjectiveAnswer.history.count())
    response = client.post(edit_url(assessment), INTAKE | {"employee_count": "12"}, follow=True)
    assert messages_of(html(response)) == "Saved."
    assert (Answer.history.count(), ObjectiveAnswer.history.count()) == before


def test_a_viewer_cannot_switch_objective_mode_and_is_not_told_what_switching_does(org_people):
    assessment = make_assessment(org_people["acme"], objective_mode=True)
    objectives = ObjectiveAnswer.objects.filter(assessment=assessment).count()
    viewer_help = text(html(org_people["clients"]["viewer"].get(edit_url(assessment))).xpath(
        "//*[@id='id_objective_mode_helptext']")[0])
    assert "Unticking" not in viewer_help
    editor_help = text(html(org_people["clients"]["editor"].get(edit_url(assessment))).xpath(
        "//*[@id='id_objective_mode_helptext']")[0])
    assert "Unticking this keeps the answers your objectives give" in editor_help
    response = org_people["clients"]["viewer"].post(edit_url(assessment), INTAKE)  # unticked
    assert response.status_code == 403
    assessment.refresh_from_db()
    assert assessment.objective_mode
    assert ObjectiveAnswer.objects.filter(assessment=assessment).count() == objectives
