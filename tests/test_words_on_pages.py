"""Every page speaks in words: no field name, status code or other raw token in what a person reads.

Walks every route of the URL-walker (tests/test_url_walker.py) with the Django test client as each persona (owner,
editor, viewer, the anonymous holder, every stranger), on a world with a history (answers through every status,
settings changed, the assessment moved into the organisation, the SSP edited and generated, snapshots,
submissions, the ISO 27001 head start), and reads the visible text of each HTML answer: tags, scripts, styles,
comments and attribute values stripped. The forbidden tokens are built from the models (field names, their
column names, compound model names, choice values) and the scoring module's codes, not typed here.
"""

import re
from collections.abc import Iterator
from datetime import date
from enum import StrEnum

import lxml.html
import pytest
from django.apps import apps
from django.test import Client
from lxml import etree

from assessments import scoring
from assessments.models import Answer, Assessment, ObjectiveAnswer
from assessments.writes import claim_assessments, save_answer, save_objective_answer, update_intake
from controls.models import Requirement
from iso27001.models import save_head_start
from ssp.models import UserRole, create_ssp, record_version
from tests.personas import start_anonymous
from tests.ssp_helpers import answer_all
from tests.test_url_walker import _values, all_routes, fill
from timeline.records import record_affirmation, record_submission, warnings
from timeline.snapshots import take_snapshot

pytestmark = pytest.mark.django_db

OUR_APPS = {"accounts", "orgs", "controls", "assessments", "ssp", "iso27001", "timeline", "cmmc_site", "guidance"}
SNAKE_CASE = re.compile(r"(?<![\w.@/-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w@/-])")
WORD = re.compile(r"(?<![\w.@/-])[a-z][a-z0-9_]*(?![\w@/-])")


def _is_code(token: str) -> bool:
    """A token no sentence uses: joined by underscores, or letters and digits run together ("l2", "sha256")."""
    return "_" in token or bool(re.search(r"[a-z]\d|\d[a-z]", token))


def raw_tokens() -> set[str]:
    """What the code calls things and people never should read: field and column names, compound model names
    ("objectiveanswer"), choice values and the scoring module's codes, where they are not plain words."""
    tokens: set[str] = set()
    compound: set[str] = set()
    for model in apps.get_models():
        if model._meta.app_label not in OUR_APPS:
            continue
        if " " in str(model._meta.verbose_name):
            compound.add(model._meta.model_name)
        for field in model._meta.get_fields():
            tokens.add(field.name)
            tokens.add(getattr(field, "attname", field.name))
            tokens.update(str(value) for value, _label in getattr(field, "flatchoices", None) or ())
    for enum in vars(scoring).values():
        if isinstance(enum, type) and issubclass(enum, StrEnum) and enum is not StrEnum:
            tokens.update(member.value for member in enum)
    return {token for token in tokens if token.islower() and _is_code(token)} | compound


# Elements that start a new line or cell: text either side of them does not run together.
BLOCKS = {"address", "article", "aside", "blockquote", "br", "button", "caption", "dd", "details", "dialog", "div",
          "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6",
          "header", "hr", "input", "label", "legend", "li", "main", "nav", "ol", "option", "p", "pre", "section",
          "select", "summary", "table", "tbody", "td", "textarea", "tfoot", "th", "thead", "title", "tr", "ul"}


def visible_text(content: bytes) -> str:
    """The text a reader sees, as the browser runs it together: inline elements (links, emphasis) join their
    neighbours without a space, block elements and cells are apart. No tag, script, style, comment or attribute."""
    doc = lxml.html.fromstring(content.decode())
    etree.strip_elements(doc, etree.Comment, "script", "style", "template", with_tail=False)
    for element in doc.iter():
        if isinstance(element.tag, str) and element.tag in BLOCKS:
            element.text = "\n" + (element.text or "")
            element.tail = "\n" + (element.tail or "")
    return " ".join(doc.text_content().split())


# A space before a full stop, comma, colon or closing bracket ("No CMMC status ."), or after an opening one.
STRAY_SPACE = re.compile(r"\w [.,;:!?](?=\s|$)|\w \)|\( \w")


def raw_words(text: str, forbidden: set[str]) -> set[str]:
    return set(SNAKE_CASE.findall(text)) | {w for w in WORD.findall(text) if w in forbidden}


def flaws(text: str, forbidden: set[str]) -> set[str]:
    """What a reader should never see: raw tokens, stray spaces, a deduction of nothing ("Not met (−0)")."""
    problems = {f"raw token {token!r}" for token in raw_words(text, forbidden)}
    problems |= {f"stray space in {text[max(m.start() - 30, 0):m.end() + 10]!r}" for m in STRAY_SPACE.finditer(text)}
    if "(−0)" in text:
        problems.add("a deduction of nothing: (−0)")
    return problems


def _objectives_not_met(assessment: Assessment, nist_id: str) -> None:
    for row in ObjectiveAnswer.objects.filter(assessment=assessment, objective__requirement__nist_id=nist_id):
        save_objective_answer(assessment=assessment, objective=row.objective, status="not_met",
                              expected_version=row.version)


def _live(assessment: Assessment, *, complete: bool) -> None:
    """A history through every kind of change: answers through every status and back to unanswered, objective
    answers, settings, a snapshot, an SPRS submission with a regression after it and an affirmation that
    acknowledged it, an ISO 27001 head start, and an SSP edited and generated as "0.9"."""
    take_snapshot(assessment=assessment, label="first")  # snapshot 1: the routes' <number>
    answer_all(assessment, not_met=("3.1.2", "3.13.11"), na=("3.1.22",))
    assessment.scope, assessment.cage_codes = "enclave", "1ABC2"
    update_intake(assessment=assessment, objective_mode=True, has_ssp=False)  # no SSP: no CMMC status
    # After the switch, whose hundreds of objective answers would push these out of the log's newest 300.
    blocker = Requirement.objects.get(nist_id="3.5.3")
    answer = Answer.objects.get(assessment=assessment, requirement=blocker)
    for status in ("partial", "not_met"):
        answer = save_answer(assessment=assessment, requirement=blocker, values={"status": status},
                             expected_version=answer.version)
    if not complete:  # one answer taken back
        cleared = Requirement.objects.get(nist_id="3.1.3")
        answer = Answer.objects.get(assessment=assessment, requirement=cleared)
        save_answer(assessment=assessment, requirement=cleared, values={"status": ""},
                    expected_version=answer.version)
    _objectives_not_met(assessment, "3.1.5")
    record_submission(assessment=assessment, by="owner@acme.test", values={
        "submitted_on": date(2026, 2, 1), "status_date": date(2026, 2, 1), "score": 80, "status": "score_only",
        "scope": "enclave", "cage_codes": "1ABC2", "ssp_version": "0.9", "submitted_by": "Pat Doe"})
    _objectives_not_met(assessment, "3.1.4")  # met when submitted
    shown = warnings(assessment, on=date(2026, 3, 1))
    assert shown  # the regression is there to be named
    record_affirmation(assessment=assessment, snapshot=None, shown=shown, by="owner@acme.test", values={
        "official_name": "Pat Doe", "official_title": "CEO", "official_contact": "pat@example.com",
        "affirmed_on": date(2026, 3, 1)})
    save_head_start(assessment=assessment, edition="2022", control_ids=["A.5.15", "A.8.5"])
    ssp = create_ssp(assessment=assessment)
    ssp.system_name, ssp.review_frequency, ssp.maintained_by_org = "CUI Enclave", "quarterly", "no"
    ssp.save()
    UserRole.objects.create(ssp=ssp, role="Engineers", users=12, privileged_users=1)
    record_version(ssp=ssp, label="0.9", generated_on=date(2026, 1, 1), description="first draft",
                   made_by="Pat Doe", catalog_revision="test", draft=True, docx=b"docx", pdf=b"%PDF")


@pytest.fixture
def busy(world):
    """The world, plus an assessment of Acme that started anonymous and was moved into it, and one held by an
    anonymous browser, both with a history (``_live``). Their activity logs show the move and every answer status."""
    claimed = start_anonymous(Client(), "Busy Co")
    _live(claimed, complete=True)
    claim_assessments(assessment_ids=[claimed.pk], organization=world["people"]["acme"])  # the newest change
    holder = Client()
    anonymous = start_anonymous(holder, "Busy Anonymous Co")
    _live(anonymous, complete=False)
    org_target = world["targets"]["org"][0] | {"public_id": claimed.public_id}
    return world | {"org_target": org_target, "anon_target": org_target | {"public_id": anonymous.public_id},
                    "holder": holder}


# Pages a route shows only for other arguments than the walker's: (kwargs, query string) each.
MORE = {
    "assessments:family": [({"code": "CA"}, ""), ({"code": "IA"}, "")],  # 3.12.4 not met; 3.5.3 partial, then not
    "assessments:answer_history": [({"nist_id": "3.5.3"}, "")],
    "ssp:family": [({"code": "CA"}, "")],
    "ssp:requirement": [({"nist_id": "3.12.4"}, "")],
    "timeline:compare": [({}, "before=1&after=today"), ({}, "before=2&after=today")],
    "assessments:start": [({}, "target_level=l1")],
    "guidance:do_i_need_cmmc": [({}, query) for query in (
        "dod=no", "dod=yes&info=fci", "dod=yes&info=unsure&asked=info", "dod=yes&info=cui",
        *(f"dod=yes&info=cui&assessment={a}" for a in ("self", "c3pao", "level3", "unsure")))],
}


def _pages(busy, who: str) -> Iterator[tuple[str, object, str, bool]]:
    """(who, client, url, also as htmx) for every route outside the admin, filled for the target ``who`` opens;
    strangers get each route once (their 404 is one page for every object: tests/test_url_walker.py)."""
    clients = busy["people"]["clients"]
    if who == "strangers":
        people, target = busy["strangers"], busy["org_target"]
    elif who == "the anonymous holder":
        people, target = {who: busy["holder"]}, busy["anon_target"]
    else:
        people, target = {who: clients[who]}, busy["org_target"]
    for route in all_routes():
        if route.is_admin:
            continue
        more = [] if who == "strangers" else MORE.get(route.name, [])
        for kwargs, query in [({}, ""), *more]:
            url = fill(route.pattern, _values(route, target) | kwargs) + (f"?{query}" if query else "")
            for name, client in people.items():
                yield name, client, url, who in ("owner", "the anonymous holder")


def test_the_forbidden_list_comes_from_the_models_and_the_scoring_codes():
    forbidden = raw_tokens()
    for token in ("not_met", "no_status", "organization_id", "organization_name", "objective_mode", "l2",
                  "level1_not_met", "history_change_reason", "objectiveanswer"):
        assert token in forbidden, token
    for word in ("met", "status", "scope", "owner", "enclave"):  # words a sentence may use
        assert word not in forbidden, word


def test_the_visible_text_is_what_a_reader_sees_and_nothing_else():
    page = (b'<html><head><title>T</title><script>var not_met = 1;</script><style>.no_status{}</style></head>'
            b'<body data-x="organization_id"><!-- target_level --><p>Status: <strong>No CMMC status</strong>.</p>'
            b'<table><tr><td>Met</td><td>Not met</td></tr></table><a href="/a/x_y/" title="objective_mode">3.1.1'
            b'</a></body></html>')
    assert visible_text(page) == "T Status: No CMMC status. Met Not met 3.1.1"


@pytest.mark.parametrize("text, problem", [
    ("changed organization_id", "raw token 'organization_id'"),
    ("3.1.4 (met → not_met)", "raw token 'not_met'"),
    ("Busy Co no_status 110 / 110", "raw token 'no_status'"),
    ("Level l2", "raw token 'l2'"),
    ("Status: No CMMC status . A score", "stray space in 'Status: No CMMC status . A"),
    ("the same company scores 105 (Level 2 Conditional ): the", "stray space in 'scores 105 (Level 2 Conditional )"),
    ("Not met (−0)", "a deduction of nothing: (−0)"),
])
def test_each_flaw_is_found(text, problem):
    found = flaws(text, raw_tokens())
    assert len(found) == 1 and found.pop().startswith(problem)


def test_words_and_addresses_are_not_flaws():
    text = ("Status: Not met (−5). Partially met; owner@acme.test, see /a/x_y/ or ssp-v1.0_final.pdf (v1.2.1). "
            "Met → Not met: 3.1.1[a], CMMC Level 2 (Self), “quoted”, 2026-12-07 03:47 UTC.")
    assert flaws(text, raw_tokens()) == set()


@pytest.mark.slow
@pytest.mark.parametrize("who", ["owner", "editor", "viewer", "the anonymous holder", "strangers"])
def test_no_page_shows_a_raw_token_or_a_stray_space(busy, who):
    forbidden = raw_tokens()
    found: dict[str, set[str]] = {}
    seen = set()
    for name, client, url, htmx in _pages(busy, who):
        for headers in ({}, {"HTTP_HX_REQUEST": "true"}) if htmx else ({},):
            response = client.get(url, **headers)
            if not response.content or not response["Content-Type"].startswith("text/html"):
                continue  # a redirect, a download
            seen.add(url)
            for problem in flaws(visible_text(response.content), forbidden):
                found.setdefault(problem, set()).add(f"{url} as {name}{' (htmx)' if headers else ''}")
    assert not found, "\n".join(f"{problem}: {sorted(where)}" for problem, where in sorted(found.items()))
    assert len(seen) >= 50  # the walk reached the pages (404 pages count once per URL for strangers)


def test_the_busy_activity_log_shows_the_move_and_the_statuses_in_words(busy):
    """The walk above reads these pages; this makes sure they hold what could go wrong."""
    client = busy["people"]["clients"]["owner"]
    text = visible_text(client.get(f"/a/{busy['org_target']['public_id']}/activity/").content)
    for words in ("settings changed organisation", "3.5.3 changed status: Partially met → Not met",
                  "SSP: version 0.9 generated (draft)", "3.1.4[a] changed status: Met → Not met"):
        assert words in text, words
