"""Every date the guides, their timeline, the SPRS worksheet and the ISO summary show is in the rules data file
(fixtures/rules-dates.yaml) or is the assessment's own: no page types a rule's date."""

import dataclasses
import re
from datetime import date, timedelta

import pytest
from django.urls import reverse

from assessments.models import Assessment, today
from guidance import context_processors
from guidance.rules import Rulebook, rulebook
from iso27001.models import save_head_start
from ssp.models import SystemSecurityPlan, create_ssp, record_version

from .questionnaire_helpers import html, text
from .report_helpers import answer, start

pytestmark = pytest.mark.django_db

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]
_MONTH = r"(?P<month>" + "|".join(f"{m[:3]}(?:{m[3:]}|\\.)?" for m in MONTHS) + r")"
DAY_MONTH_YEAR = re.compile(r"\b(?P<day>\d{1,2}) " + _MONTH + r",? (?P<year>\d{4})\b")
MONTH_DAY_YEAR = re.compile(r"\b" + _MONTH + r" (?P<day>\d{1,2}),? (?P<year>\d{4})\b")
ISO = re.compile(r"\b(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})\b")
MONTH_YEAR = re.compile(r"\b" + _MONTH + r" (?P<year>\d{4})\b")


def _month_number(name: str) -> int:
    return [m[:3] for m in MONTHS].index(name[:3]) + 1


def dates_in(body: str) -> tuple[set[date], set[tuple[int, int]]]:
    """The full dates ("10 November 2026", "November 10, 2026", "2026-11-10") and the months ("February 2020") the
    text shows. A full date is removed before months are looked for, so it is not counted twice."""
    full: set[date] = set()
    for pattern in (DAY_MONTH_YEAR, MONTH_DAY_YEAR):
        for match in pattern.finditer(body):
            full.add(date(int(match["year"]), _month_number(match["month"]), int(match["day"])))
        body = pattern.sub(" ", body)
    for match in ISO.finditer(body):
        full.add(date(int(match["year"]), int(match["month"]), int(match["day"])))
    months = {(int(m["year"]), _month_number(m["month"])) for m in MONTH_YEAR.finditer(body)}
    return full, months


def shown(response) -> str:
    assert response.status_code == 200
    return text(html(response).xpath("//body")[0])


def test_the_date_finder_reads_every_form_it_is_meant_to():
    full, months = dates_in("Phase 2 began on 10 November 2026 (Nov. 10, 2026; 2026-11-10); the clause is used "
                            "until 9 Nov 2028. Revision 2 is of February 2020, per November 10, 2025.")
    assert full == {date(2026, 11, 10), date(2028, 11, 9), date(2025, 11, 10)}
    assert months == {(2020, 2)}
    # A date that is not in the rules file is caught: 9 November 2028 is quoted in an entry's text, never as a date.
    assert date(2028, 11, 9) not in rulebook().dates


GUIDES = [
    ("guidance:index", {}),
    ("guidance:do_i_need_cmmc", {}),
    ("guidance:do_i_need_cmmc", {"dod": "yes", "info": "cui"}),
    ("guidance:do_i_need_cmmc", {"dod": "yes", "info": "unsure"}),
    ("guidance:do_i_need_cmmc", {"dod": "yes", "info": "fci"}),
    ("guidance:do_i_need_cmmc", {"dod": "yes", "info": "cui", "assessment": "c3pao"}),
    ("guidance:cmmc_vs_iso", {}),
    ("guidance:nist_vs_cmmc", {}),
    ("guidance:sprs_score", {}),
]


@pytest.mark.parametrize("name, query", GUIDES)
def test_every_date_on_a_guide_is_in_the_rules_file(client, name, query):
    book = rulebook()
    full, months = dates_in(shown(client.get(reverse(name), query)))
    assert full <= book.dates, f"dates not in the rules file: {sorted(full - book.dates)}"
    assert months <= book.months, f"months not in the rules file: {sorted(months - book.months)}"


def test_the_timeline_shows_the_dates_of_the_file_and_follows_it(client, monkeypatch):
    book = rulebook()
    full, _ = dates_in(shown(client.get(reverse("guidance:nist_vs_cmmc"))))
    phases = {book[f"phase_{n}"].date for n in range(1, 5)}
    assert phases | {book.checked, book["cfr_170_effective"].date} <= full
    # A schedule change is one edit of the file: the page follows it, since no template types the date.
    moved = dataclasses.replace(book["phase_2"], date=date(2027, 1, 15))
    changed = Rulebook(checked=book.checked, entries=book.entries | {"phase_2": moved})
    monkeypatch.setattr(context_processors, "load_rulebook", lambda: changed)
    full, _ = dates_in(shown(client.get(reverse("guidance:nist_vs_cmmc"))))
    assert date(2027, 1, 15) in full and book["phase_2"].date not in full


def worksheet_dates(assessment: Assessment, *extra: date) -> set[date]:
    """The dates that are the assessment's own (and today's, which the worksheet is prepared on)."""
    assessment.refresh_from_db()
    own = {assessment.assessment_date, assessment.ssp_date, assessment.conditional_status_date, today(), *extra}
    return {d for d in own if d is not None}


@pytest.mark.parametrize("level", ["l1", "l2"])
def test_every_date_on_the_sprs_worksheet_is_the_assessments_own_or_in_the_rules_file(client, level):
    assessment = start(client, target_level=level)
    planned = date(2027, 3, 1)
    answer(assessment, {"3.1.1" if level == "l1" else "3.1.3": {"status": "not_met", "planned_date": planned}})
    Assessment.objects.filter(pk=assessment.pk).update(
        assessment_date=date(2026, 11, 2), affirming_official="Jo Smith, CEO", ssp_name="Acme SSP",
        ssp_version="2", ssp_date=date(2026, 10, 30), conditional_status_date=date(2026, 11, 20))
    if level == "l2":
        ssp = SystemSecurityPlan.objects.filter(assessment=assessment).first() or create_ssp(assessment=assessment)
        record_version(ssp=ssp, label="2.1", generated_on=date(2026, 11, 25), description="v", made_by="Pat",
                       catalog_revision="x", draft=True, docx=b"docx", pdf=b"%PDF")
    full, months = dates_in(shown(client.get(reverse("assessments:sprs", args=[assessment.public_id]))))
    # Level 2 here is Conditional: the closeout deadline is 180 days after the status date the user entered.
    allowed = worksheet_dates(assessment, planned, date(2026, 11, 25), date(2026, 11, 20) + timedelta(days=180))
    assert full - allowed <= rulebook().dates, f"dates from nowhere: {sorted(full - allowed - rulebook().dates)}"
    assert not months


def test_every_date_on_the_iso_summary_is_in_the_rules_file(client):
    assessment = start(client)
    save_head_start(assessment=assessment, edition="2022", control_ids=["A.8.24"])
    body = shown(client.get(reverse("iso27001:summary", args=[assessment.public_id])))
    full, months = dates_in(body)
    assert rulebook()["class_deviation"].date in full  # the SPRS item names the renumbering's date
    assert full <= rulebook().dates and months <= rulebook().months
