"""Every statement of a rule in the guides carries its citation: each guide keeps a list of the citations it must show,
and the test fails when one disappears. Citations are looked up in the rules data file (fixtures/rules-dates.yaml), so
the text checked is the text the page is built from."""

import pytest
from django.urls import reverse

from guidance import context_processors
from guidance.rules import Rulebook, rulebook

from .questionnaire_helpers import html, text

pytestmark = pytest.mark.django_db

HELPER = "guidance:do_i_need_cmmc"
TIMELINE = ["cfr_170", "cfr_170_3_e", "cfr_170_effective", "dfars_cmmc_rule", "phase_1", "phase_2", "phase_3",
            "phase_4", "dfars_204_7504", "dfars_7021", "dfars_7025"]

# (url name, query) -> the rulebook entries whose citation the page must show.
REQUIRED = {
    ("guidance:index", ()): [
        "cfr_170", "far_52_204_21", "dfars_7012", "dfars_7019", "dfars_7020", "dfars_240_7997", "class_deviation",
        "dfars_7021", "dfars_7025"],
    (HELPER, ()): ["cfr_170_23", *TIMELINE],
    (HELPER, (("dod", "yes"), ("info", "unsure"))): ["fci_definition", "cfr_170_3_d", *TIMELINE],
    (HELPER, (("dod", "yes"), ("info", "cui"))): ["dfars_7021", "dfars_7025", *TIMELINE],
    (HELPER, (("dod", "no"),)): ["cfr_170_3_a", *TIMELINE],
    (HELPER, (("dod", "yes"), ("info", "fci"))): [
        "cfr_170_3_d", "far_52_204_21", "cfr_170_14_c_2", "cfr_170_15_a_1", "affirmation_level1", "cots_exemption",
        *TIMELINE],
    (HELPER, (("dod", "yes"), ("info", "cui"), ("assessment", "self"))): [
        "cfr_170_14_c_3", "scoring", "conditional", "closeout", "affirmation_when", "cfr_170_16_a_1", *TIMELINE],
    (HELPER, (("dod", "yes"), ("info", "cui"), ("assessment", "c3pao"))): ["cfr_170_17", *TIMELINE],
    (HELPER, (("dod", "yes"), ("info", "cui"), ("assessment", "level3"))): [
        "cfr_170_14_c_4", "cfr_170_18", *TIMELINE],
    ("guidance:cmmc_vs_iso", ()): [
        "cfr_170", "dfars_7021", "cfr_170_14_c_3", "conditional", "closeout", "cfr_170_16_a_1", "cfr_170_17",
        "sprs_inputs_level2", "affirmation_when", "methodology_ssp", "scoring_ssp"],
    ("guidance:nist_vs_cmmc", ()): [
        "cfr_170", "far_52_204_21", "cfr_170_14_c_2", "cfr_170_14_c_3", "cfr_170_14_c_4", "dfars_7012", "dfars_7019",
        "dfars_7020", "dfars_240_7997", "class_deviation", "dfars_7021", "dfars_7025", "dfars_7025_award",
        "dfars_204_7502", "assessment_types", "conditional", "closeout", "methodology", "scoring",
        "sprs_inputs_level2", "affirmation_when", *TIMELINE],
    ("guidance:sprs_score", ()): [
        "methodology", "scoring", "methodology_partial", "scoring_partial", "scoring_na", "ssp_na",
        "methodology_ssp", "scoring_ssp", "methodology_poam", "assessment_guide_l2", "cfr_170_16_a_1",
        "conditional", "closeout"],
}
PAGES = list(REQUIRED)


class RecordingRulebook(Rulebook):
    """The real rulebook, noting every key a template asks for that the file does not have (a typo renders as
    nothing, which would hide a missing citation)."""

    missing: list[str]

    def __getitem__(self, key: str):
        if key not in self.entries and not hasattr(self, key):
            self.missing.append(key)
        return super().__getitem__(key)


@pytest.fixture
def recording(monkeypatch) -> RecordingRulebook:
    real = rulebook()
    book = RecordingRulebook(checked=real.checked, entries=real.entries)
    object.__setattr__(book, "missing", [])
    monkeypatch.setattr(context_processors, "load_rulebook", lambda: book)
    return book


def page_text(client, name: str, query: tuple) -> str:
    response = client.get(reverse(name), dict(query))
    assert response.status_code == 200
    return text(html(response).xpath("//main")[0])


def missing_citations(body: str, keys: list[str], book: Rulebook) -> list[str]:
    return [f"{key} ({book[key].cite})" for key in keys if book[key].cite not in body]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p[0].split(":")[1] + "".join(f"-{v}" for _, v in p[1]))
def test_each_guide_shows_every_citation_on_its_list(client, recording, page):
    body = page_text(client, *page)
    assert missing_citations(body, REQUIRED[page], recording) == []
    assert recording.missing == [], "the template asks for entries the rules file does not have"


def test_every_listed_citation_is_an_entry_of_the_rules_file():
    book = rulebook()
    assert {key for keys in REQUIRED.values() for key in keys} <= set(book.entries)


def test_a_citation_that_disappears_from_a_page_is_reported(client, monkeypatch):
    """The check can fail: a rules file without the successor clause leaves the index page without it."""
    real = rulebook()
    entries = {k: v for k, v in real.entries.items() if k != "dfars_240_7997"}
    monkeypatch.setattr(context_processors, "load_rulebook", lambda: Rulebook(checked=real.checked, entries=entries))
    body = page_text(client, "guidance:index", ())
    assert missing_citations(body, REQUIRED[("guidance:index", ())], real) == ["dfars_240_7997 (DFARS 252.240-7997)"]


def test_the_old_assessment_clause_is_never_cited_without_its_successor(client):
    """Item 5 of the fact-check: wherever DFARS 252.204-7020 appears, so does 252.240-7997."""
    book = rulebook()
    old, new = book["dfars_7020"], book["dfars_7020"].replaced_by
    assert new is not None and new.key == "dfars_240_7997"
    for page in PAGES:
        body = page_text(client, *page)
        if old.cite in body:
            assert new.cite in body, page


def test_the_timeline_gives_the_four_phase_dates_of_the_rule_and_no_vague_ones(client):
    book = rulebook()
    timeline = text(html(client.get(reverse("guidance:nist_vs_cmmc"))).xpath("//section[@id='timeline']")[0])
    for phase in ("phase_1", "phase_2", "phase_3", "phase_4"):
        assert book[phase].date.strftime("%-d %B %Y") in timeline
    assert "four phases across three years" in timeline
    assert "about" not in timeline.lower()
