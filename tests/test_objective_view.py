from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.db.models import Count
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from assessments.forms import AnswerForm
from assessments.models import Answer, Assessment, ObjectiveAnswer, ObjectiveAnswerStatus, today
from assessments.records import score_assessment
from assessments.scoring import SSP_REQUIREMENT
from controls.models import Objective, Requirement

from .questionnaire_helpers import (
    HOSTILE_TEXT,
    answer_all,
    as_received,
    assert_private,
    browser_submission,
    by_testid,
    fuzz_fields,
    hostile_version,
    html,
    objective_prefix,
    outsider,
    post_answer,
    post_hostile,
    post_objective,
    post_submission,
    start,
)

pytestmark = pytest.mark.django_db


def objective_ids(nist_id: str) -> list[str]:
    return list(Objective.objects.filter(requirement__nist_id=nist_id).order_by("position")
                .values_list("objective_id", flat=True))


def answer_objectives(client: Client, assessment: Assessment, nist_id: str, statuses: list[str]):
    """Answer the requirement's first len(statuses) objectives, in order."""
    response = None
    for objective_id, status in zip(objective_ids(nist_id), statuses, strict=False):
        response = post_objective(client, assessment, objective_id, status)
        assert response.status_code == 200, response.content
    return response


def status_of(assessment: Assessment, nist_id: str) -> str | None:
    item = next(i for i in score_assessment(assessment).items if i.rule.nist_id == nist_id)
    return item.status


@pytest.fixture
def assessment(client) -> Assessment:
    return start(client, objective_mode="on")


def test_answering_every_objective_met_makes_the_requirement_met(client, assessment):
    assert len(objective_ids("3.1.1")) == 6
    answer_objectives(client, assessment, "3.1.1", ["met"] * 5)  # five of six: still unanswered
    assert status_of(assessment, "3.1.1") is None
    response = post_objective(client, assessment, "3.1.1[f]", "met")
    assert response.status_code == 200
    doc = html(response)
    assert by_testid(doc, "state-3.1.1") == "Met"
    assert by_testid(doc, "save-state-3.1.1") == "Saved"
    assert doc.xpath("//*[@id='score-box'][@hx-swap-oob='true']")
    assert status_of(assessment, "3.1.1") == "met"
    assert_private(response)


def test_one_objective_not_met_makes_the_requirement_not_met_once(client, assessment):
    answer_all(assessment, except_=("3.1.1",))
    ObjectiveAnswer.objects.bulk_create(ObjectiveAnswer(assessment=assessment, objective=o, status="met")
                                        for o in Objective.objects.exclude(requirement__nist_id="3.1.1"))
    response = answer_objectives(client, assessment, "3.1.1", ["met", "not_met", "met", "not_met", "met", "met"])
    doc = html(response)
    assert by_testid(doc, "state-3.1.1") == "Not met (−5)"
    assert by_testid(doc, "score") == "105"  # two failed objectives still cost the 5 points once


def test_objectives_all_not_applicable_make_the_requirement_not_applicable(client, assessment):
    answer_objectives(client, assessment, "3.1.12", ["na"] * len(objective_ids("3.1.12")))
    assert status_of(assessment, "3.1.12") == "na"


def test_the_partial_state_of_3_5_3_overrides_a_failed_objective(client, assessment):
    answer_all(assessment, except_=("3.5.3",))
    ObjectiveAnswer.objects.bulk_create(ObjectiveAnswer(assessment=assessment, objective=o, status="met")
                                        for o in Objective.objects.exclude(requirement__nist_id="3.5.3"))
    statuses = ["met"] * (len(objective_ids("3.5.3")) - 1) + ["not_met"]
    assert len(statuses) == len(objective_ids("3.5.3"))
    answer_objectives(client, assessment, "3.5.3", statuses)
    assert status_of(assessment, "3.5.3") == "not_met"
    response = post_answer(client, assessment, "3.5.3", status="partial")
    assert response.status_code == 200
    assert by_testid(html(response), "state-3.5.3") == "Partially met (−3)"
    assert score_assessment(assessment).score == 107


def test_in_objective_mode_a_requirement_form_saves_the_note_but_not_a_status(client, assessment):
    response = post_answer(client, assessment, "3.1.1", status="met", note="See the access list")
    assert response.status_code == 200
    answer = Answer.objects.get(assessment=assessment, requirement__nist_id="3.1.1")
    assert (answer.status, answer.note) == ("", "See the access list")
    assert status_of(assessment, "3.1.1") is None


def test_a_not_met_answer_from_before_objective_mode_survives_a_save_of_its_form(client, assessment):
    # 3.5.3's form offers only "not answered" and "partially met" in objective mode: saving its note must not drop
    # the "not met" given before the switch.
    Answer.objects.create(assessment=assessment, requirement=Requirement.objects.get(nist_id="3.5.3"),
                          status="not_met")
    response = post_answer(client, assessment, "3.5.3", version=1, status="", note="MFA for admins next month")
    assert response.status_code == 200
    answer = Answer.objects.get(assessment=assessment, requirement__nist_id="3.5.3")
    assert (answer.status, answer.note) == ("not_met", "MFA for admins next month")
    assert by_testid(html(response), "state-3.5.3") == "Not met (−5)"
    assert "before objective mode" in by_testid(html(response), "answered-before-3.5.3")
    # Choosing the partial state is still a choice.
    post_answer(client, assessment, "3.5.3", status="partial")
    assert Answer.objects.get(assessment=assessment, requirement__nist_id="3.5.3").status == "partial"


def test_a_stale_objective_answer_gets_409_and_overwrites_nothing(client, assessment):
    post_objective(client, assessment, "3.1.1[a]", "met")
    response = post_objective(client, assessment, "3.1.1[a]", "not_met", version=0)
    assert response.status_code == 409
    assert "changed in another window" in by_testid(html(response), "objective-error-3.1.1[a]")
    row = ObjectiveAnswer.objects.get(assessment=assessment, objective__objective_id="3.1.1[a]")
    assert (row.status, row.version) == ("met", 1)
    # The block shows the stored answer and version, so choosing again replaces it.
    p = objective_prefix("3.1.1[a]")
    doc = html(response)
    assert doc.xpath(f"//input[@name='{p}-status'][@checked]/@value") == ["met"]
    assert doc.xpath(f"//input[@name='{p}-version']/@value") == ["1"]
    assert post_objective(client, assessment, "3.1.1[a]", "not_met", version=1).status_code == 200


@pytest.mark.parametrize("status", ["partial", "maybe", "met\x00"])
def test_an_invalid_objective_answer_is_refused_with_400(client, assessment, status):
    response = post_objective(client, assessment, "3.1.1[a]", status)
    assert response.status_code == 400
    assert "Not saved" in by_testid(html(response), "objective-error-3.1.1[a]")
    assert not ObjectiveAnswer.objects.filter(assessment=assessment).exists()


def test_a_plain_form_objective_save_redirects_back_to_the_requirement(client, assessment):
    response = post_objective(client, assessment, "3.1.1[a]", "met", htmx=False)
    assert response.status_code == 302
    assert response["Location"] == reverse("assessments:family", args=[assessment.public_id, "AC"]) + "#req-3.1.1"
    assert ObjectiveAnswer.objects.get(assessment=assessment).status == "met"


def test_objective_answers_need_objective_mode(client):
    plain = start(client, "Plain")
    assert post_objective(client, plain, "3.1.1[a]", "met").status_code == 404
    assert not ObjectiveAnswer.objects.exists()


def test_a_level_1_assessment_refuses_objectives_outside_its_practices(client):
    level1 = start(client, "Small", objective_mode="on", target_level="l1")
    assert post_objective(client, level1, "3.1.3[a]", "met").status_code == 404
    assert post_objective(client, level1, "3.1.1[a]", "met").status_code == 200


@pytest.mark.parametrize("method", ["get", "post", "put", "delete"])
def test_an_outsider_and_no_link_get_404_and_save_nothing(client, assessment, method):
    url = reverse("assessments:objective", args=[assessment.public_id, "3.1.1[a]"])
    p = objective_prefix("3.1.1[a]")
    for stranger in (outsider(), Client()):
        response = getattr(stranger, method)(url, {f"{p}-status": "met", f"{p}-version": 0}, HTTP_HX_REQUEST="true")
        assert response.status_code == 404
    assert not ObjectiveAnswer.objects.filter(assessment=assessment).exists()


def test_the_owner_may_only_post(client, assessment):
    assert client.get(reverse("assessments:objective", args=[assessment.public_id, "3.1.1[a]"])).status_code == 405


def test_an_objective_save_makes_the_same_queries_with_few_and_many_answers(client, django_assert_num_queries):
    few, many = start(client, "Few", objective_mode="on"), start(client, "Many", objective_mode="on")
    answer_all(many)
    ObjectiveAnswer.objects.bulk_create(ObjectiveAnswer(assessment=many, objective=o, status="met")
                                        for o in Objective.objects.exclude(objective_id="3.1.1[a]"))
    # 1 session, 2 assessment (access check), 3 the catalog revision (the objective, its requirement, family and
    # siblings, the scoring rules and family names are in memory per revision: controls/snapshot.py), 4 answers,
    # 5 objective answers; save_objective_answer: 6 savepoint, 7 savepoint, 8 insert, 9 history row, 10 release,
    # 11 assessment.updated_at, 12 release; the block: 13 ISO 27001 head-start hints.
    for assessment in (few, many):
        with django_assert_num_queries(13):
            assert post_objective(client, assessment, "3.1.1[a]", "met").status_code == 200


# --- Big forms and hostile saves (security check 18) ------------------------------------------------------------


def test_the_largest_requirement_block_posts_a_handful_of_fields_per_form_and_saves(client, assessment):
    """The questionnaire never posts a big form: each objective and each requirement's own fields are a form of
    their own, so the requirement with the most objectives posts no more per request than the one with the fewest."""
    by_size = list(Requirement.objects.exclude(nist_id=SSP_REQUIREMENT).select_related("family")
                   .annotate(n=Count("objectives")).order_by("-n", "position"))
    largest, smallest = by_size[0], by_size[-1]
    assert largest.n > smallest.n

    def fill(el) -> str:  # every field at its limit; the date one a valid date
        name = el.get("name").rsplit("-", 1)[1]
        if name == "planned_date":
            return (today() + timedelta(days=30)).isoformat()
        return "x" * AnswerForm.base_fields[name].max_length

    submissions = {}
    for req in (largest, smallest):
        doc = html(client.get(reverse("assessments:family", args=[assessment.public_id, req.family.code])))
        forms = doc.xpath("//section[@id=$id]//form", id=f"req-{req.nist_id}")
        assert len(forms) == req.n + 1  # one per objective, one for the requirement's own fields
        submissions[req.nist_id] = [(f.get("action"), browser_submission(f, fill=fill, tick=lambda el: True,
                                                                         choose=lambda name, values: values[-1]))
                                    for f in forms]
    most = {nist_id: max(len(pairs) for _, pairs in forms) for nist_id, forms in submissions.items()}
    bound = len(AnswerForm.base_fields) + 1  # the largest form's own fields and the CSRF token
    assert most[largest.nist_id] == most[smallest.nist_id] <= bound < django_settings.DATA_UPLOAD_MAX_NUMBER_FIELDS

    # Every form of the largest block, filled in full, saves through its view.
    for action, pairs in submissions[largest.nist_id]:
        assert post_submission(client, action, pairs, HTTP_HX_REQUEST="true").status_code == 200
    stored = ObjectiveAnswer.objects.filter(assessment=assessment, objective__requirement=largest)
    assert sorted(stored.values_list("status", flat=True)) == [ObjectiveAnswerStatus.NA] * largest.n
    answer = Answer.objects.get(assessment=assessment, requirement=largest)
    assert len(answer.note) == AnswerForm.base_fields["note"].max_length
    assert status_of(assessment, largest.nist_id) == "na"


FUZZED_OBJECTIVES = ("3.1.1[a]", "3.1.1[f]", "3.5.3[a]")


def objective_written(assessment: Assessment, objective_id: str) -> tuple:
    """Everything an objective save could change: its row, the history, the assessment's last change."""
    row = ObjectiveAnswer.objects.filter(assessment=assessment, objective__objective_id=objective_id).values().first()
    return (row, ObjectiveAnswer.history.filter(assessment_id=assessment.pk).count(),
            Assessment.objects.values_list("updated_at", flat=True).get(pk=assessment.pk))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_hostile_objective_saves_are_saved_or_refused_never_a_500_and_a_refusal_writes_nothing(client, assessment,
                                                                                               data):
    objective_id = data.draw(st.sampled_from(FUZZED_OBJECTIVES), label="objective")
    before = objective_written(assessment, objective_id)
    version = before[0]["version"] if before[0] else 0
    fields = fuzz_fields(data, benign={"status": st.sampled_from(["", *ObjectiveAnswerStatus.values]),
                                       "version": st.just(str(version))},
                         hostile={"status": HOSTILE_TEXT, "version": hostile_version(version)})
    url = reverse("assessments:objective", args=[assessment.public_id, objective_id])
    p = objective_prefix(objective_id)
    # htmx: the autosave; a plain form is redirected back whatever happened, so only htmx shows the outcome.
    response = post_hostile(client, url, {f"{p}-{k}": v for k, v in fields.items()})

    received = {name: as_received(value) for name, value in fields.items()}
    allowed = {200, 400} | ({409} if fields.get("version") != str(version) else set())
    event(f"objective {response.status_code}")
    assert response.status_code in allowed
    if any("\x00" in value for value in received.values()):
        assert response.status_code == 400
    if response.status_code != 200:
        assert objective_written(assessment, objective_id) == before
        return
    row = ObjectiveAnswer.objects.get(assessment=assessment, objective__objective_id=objective_id)
    assert (row.version, row.status) == (version + 1, received.get("status", ""))
