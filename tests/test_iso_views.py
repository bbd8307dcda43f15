from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments.models import Answer
from assessments.records import score_assessment
from controls.models import Requirement
from controls.snapshot import catalog_changed
from controls.snapshot import current as current_catalog
from iso27001.hints import hints_for
from iso27001.mapping import FIXTURE
from iso27001.models import Edition, HeadStart, IsoControl, save_head_start

from . import zip_bombs
from .questionnaire_helpers import (
    assert_private,
    browser_submission,
    by_testid,
    enabled_post_controls,
    html,
    outsider,
    post_answer,
    start,
    text,
)

pytestmark = pytest.mark.django_db

MAPPING = yaml.safe_load(Path(FIXTURE).read_text())


def head_start_url(assessment, **params) -> str:
    url = reverse("iso27001:head_start", args=[assessment.public_id])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


def summary_url(assessment) -> str:
    return reverse("iso27001:summary", args=[assessment.public_id])


def ticked(assessment) -> set[str]:
    head = HeadStart.objects.filter(assessment=assessment).first()
    return set(head.controls.values_list("control_id", flat=True)) if head else set()


def checked_boxes(response) -> set[str]:
    return set(html(response).xpath("//input[@type='checkbox'][@name='controls'][@checked]/@value"))


def expected_related(edition: str, controls: set[str], level1_only: bool = False) -> set[str]:
    """Straight from the fixture YAML: requirements with at least one of ``controls`` in their list."""
    level1 = set(Requirement.objects.exclude(level1_id="").values_list("nist_id", flat=True))
    return {
        entry["id"] for entry in MAPPING["mapping"]
        if set(entry[f"iso27001_{edition}"]) & controls and (not level1_only or entry["id"] in level1)
    }


# --- Access: owner, outsider (another browser with its own assessment), no link (anonymous) -----------------

def _requests(assessment):
    pid = assessment.public_id
    return [
        ("get", reverse("iso27001:head_start", args=[pid]), {}),
        ("post", reverse("iso27001:head_start", args=[pid]), {"edition": "2022", "controls": ["A.5.15"]}),
        ("get", reverse("iso27001:summary", args=[pid]), {}),
        ("post", reverse("iso27001:remove", args=[pid]), {}),
    ]


def test_every_iso_url_is_404_for_an_outsider_and_for_a_browser_without_the_link(client):
    assessment = start(client)
    save_head_start(assessment=assessment, edition="2013", control_ids=["A.9.2.1"])
    strangers = (outsider(), Client())
    for method, url, data in _requests(assessment):
        for stranger in strangers:
            response = getattr(stranger, method)(url, data)
            assert response.status_code == 404, (method, url)
    assert ticked(assessment) == {"A.9.2.1"} and HeadStart.objects.get(assessment=assessment).edition == "2013"


def test_every_iso_page_is_private_for_its_owner(client):
    assessment = start(client)
    for url in (head_start_url(assessment), summary_url(assessment)):
        response = client.get(url)
        assert response.status_code == 200
        assert_private(response)
    response = client.post(reverse("iso27001:remove", args=[assessment.public_id]))
    assert response.status_code == 302
    assert_private(response)


def test_remove_only_accepts_post(client):
    assessment = start(client)
    assert client.get(reverse("iso27001:remove", args=[assessment.public_id])).status_code == 405


def test_a_viewer_sees_the_ticked_controls_read_only_and_an_editor_can_still_change_them(org_people):
    """A viewer's save or removal would get 403: the ticks show in disabled boxes, without the buttons, the paste
    and upload fields or the remove form; the search (a GET) still works."""
    from .personas import make_assessment

    assessment = make_assessment(org_people["acme"])
    save_head_start(assessment=assessment, edition="2013", control_ids=["A.9.2.1"])
    clients = org_people["clients"]
    remove = reverse("iso27001:remove", args=[assessment.public_id])
    doc = html(clients["viewer"].get(head_start_url(assessment, q="A.9")))
    assert "only editors and owners can change them" in by_testid(doc, "read-only")
    assert not enabled_post_controls(doc) and not doc.xpath("//form[@action=$u]", u=remove)
    assert not doc.xpath("//main//form[@method='post']//button") and not doc.xpath("//textarea[@name='ids']")
    assert doc.xpath("//input[@id='c-A.9.2.1']/@checked") and not doc.xpath("//input[@id='c-A.9.2.2']/@checked")
    assert doc.xpath("//form[@method='get']//button[normalize-space()='Show']")  # searching is reading
    assert clients["viewer"].get(summary_url(assessment)).status_code == 200
    assert clients["viewer"].post(remove).status_code == 403
    assert ticked(assessment) == {"A.9.2.1"}
    for role in ("editor", "owner"):
        doc = html(clients[role].get(head_start_url(assessment, q="A.9")))
        assert not doc.xpath("//*[@data-testid='read-only']") and not doc.xpath("//fieldset[@disabled]")
        names = {el.get("name") for el in enabled_post_controls(doc)}
        assert {"controls", "ids", "ids_file", "save", "select_theme", "clear_theme"} <= names
        assert doc.xpath("//form[@action=$u]//button", u=remove)
    # "Saving this page replaces your 2013 selection" is for those who can save.
    switch = "//*[@data-testid='edition-switch']"
    assert not html(clients["viewer"].get(head_start_url(assessment, edition="2022"))).xpath(switch)
    assert html(clients["editor"].get(head_start_url(assessment, edition="2022"))).xpath(switch)


# --- The head-start page -------------------------------------------------------------------------------------

def test_2022_is_the_default_edition_with_93_controls_in_4_themes(client, django_assert_num_queries):
    assessment = start(client)
    # 1 session, 2 assessment, 3 head start, 4 the edition's controls with a "ticked" flag,
    # 5 the mapping pairs (control -> NIST ids) of the edition.
    with django_assert_num_queries(5):
        response = client.get(head_start_url(assessment))
    doc = html(response)
    assert len(doc.xpath("//input[@type='checkbox'][@name='controls']")) == 93
    assert doc.xpath("//input[@name='edition']/@value") == ["2022"]
    legends = [text(n) for n in doc.xpath("//fieldset/div/legend")]
    assert [legend.split(" ·")[0] for legend in legends] == ["A.5", "A.6", "A.7", "A.8"]
    assert "Tick all 37 in A.5" in legends[0]
    # Each control says which requirements it relates to (A.5.7 is new in 2022: nothing).
    assert "relates to 3.1.1, 3.1.2" in text(doc.xpath("//label[@for='c-A.5.15']")[0])
    assert "no related NIST requirement" in text(doc.xpath("//label[@for='c-A.5.7']")[0])


def test_the_2013_edition_lists_114_controls_in_14_themes_with_constant_queries(client, django_assert_num_queries):
    assessment = start(client)
    save_head_start(assessment=assessment, edition="2013", control_ids=["A.9.2.1", "A.10.1.1", "A.12.4.1"])
    with django_assert_num_queries(5):  # the same five queries, whatever the edition and the number ticked
        response = client.get(head_start_url(assessment, edition="2013"))
    doc = html(response)
    assert len(doc.xpath("//input[@type='checkbox'][@name='controls']")) == 114
    assert len(doc.xpath("//fieldset/div/legend")) == 14
    assert checked_boxes(response) == {"A.9.2.1", "A.10.1.1", "A.12.4.1"}
    # The saved edition is the default when none is asked for.
    assert html(client.get(head_start_url(assessment))).xpath("//input[@name='edition']/@value") == ["2013"]


def test_ticking_2022_controls_saves_them(client):
    assessment = start(client)
    response = client.post(head_start_url(assessment), {"edition": "2022", "controls": ["A.5.15", "A.8.5"]})
    assert response.status_code == 302
    assert response["Location"].startswith(head_start_url(assessment) + "?edition=2022")
    assert ticked(assessment) == {"A.5.15", "A.8.5"}
    assert checked_boxes(client.get(response["Location"])) == {"A.5.15", "A.8.5"}


def test_pasting_a_2013_statement_of_applicability_picks_out_the_ids(client):
    assessment = start(client)
    soa = ("Control;Title;Applicable\n"
           "A.9.2.1;User registration and de-registration;Yes\n"
           "a.10.1.1 Policy on the use of cryptographic controls - implemented\n"
           "12.4.1 Event logging\n"
           "A.9.2.1 (listed twice)\n")
    response = client.post(head_start_url(assessment), {"edition": "2013", "ids": soa})
    assert response.status_code == 302
    assert ticked(assessment) == {"A.9.2.1", "A.10.1.1", "A.12.4.1"}
    assert HeadStart.objects.get(assessment=assessment).edition == "2013"


def test_bad_pasted_ids_are_named_next_to_the_field_and_nothing_is_lost(client):
    assessment = start(client)
    save_head_start(assessment=assessment, edition="2022", control_ids=["A.6.3"])
    pasted = "A.5.15\nA.5.99 Something\nA.9.2.1\nA.8.x2\n"
    response = client.post(head_start_url(assessment), {"edition": "2022", "controls": ["A.7.1", "A.7.2"],
                                                         "ids": pasted})
    assert response.status_code == 400
    doc = html(response)
    error = by_testid(doc, "ids-error")
    assert "A.5.99" in error and "A.9.2.1 (2013 numbering)" in error and "“A.8.x2”" in error
    assert "A.5.15" not in error  # the good one is not blamed
    # Nothing saved; everything the user gave is still on the page.
    assert ticked(assessment) == {"A.6.3"}
    assert doc.xpath("//textarea[@name='ids']/text()")[0].strip() == pasted.strip()
    assert checked_boxes(response) == {"A.7.1", "A.7.2", "A.5.15"}
    assert doc.xpath("//textarea[@name='ids']/@aria-describedby")[0].endswith("ids-error")


def test_an_uploaded_list_is_read_and_its_bad_ids_named_with_its_contents_kept(client):
    assessment = start(client)
    soa = b"\xef\xbb\xbfA.5.15,Access control,Yes\r\nA.8.5,Secure authentication,Yes\r\n"  # Excel's UTF-8 CSV
    good = SimpleUploadedFile("soa.csv", soa, content_type="text/csv")
    assert client.post(head_start_url(assessment), {"edition": "2022", "ids_file": good}).status_code == 302
    assert ticked(assessment) == {"A.5.15", "A.8.5"}

    bad = SimpleUploadedFile("soa.txt", b"A.5.16\nA.5.40\n", content_type="text/plain")
    response = client.post(head_start_url(assessment), {"edition": "2022", "controls": ["A.5.15"],
                                                         "ids": "A.6.1", "ids_file": bad})
    assert response.status_code == 400
    doc = html(response)
    assert "In the file" in by_testid(doc, "file-error") and "A.5.40" in by_testid(doc, "file-error")
    box = doc.xpath("//textarea[@name='ids']/text()")[0]
    assert "A.6.1" in box and "A.5.16" in box and "A.5.40" in box  # no need to upload the file again
    assert checked_boxes(response) == {"A.5.15", "A.6.1", "A.5.16"}
    assert ticked(assessment) == {"A.5.15", "A.8.5"}


@pytest.mark.parametrize("upload, message", [
    (SimpleUploadedFile("soa.xlsx", b"PK\x03\x04\x00\x00binary", content_type="application/octet-stream"),
     "is not a text file"),
    (SimpleUploadedFile("big.txt", b"A.5.1\n" * 40_000, content_type="text/plain"), "larger than 200 KB"),
    (SimpleUploadedFile("empty-ish.txt", b"nothing useful here\n", content_type="text/plain"),
     "no Annex A control id"),
])
def test_an_unusable_upload_is_explained_and_the_ticks_are_kept(client, upload, message):
    assessment = start(client)
    response = client.post(head_start_url(assessment), {"edition": "2022", "controls": ["A.8.24"],
                                                         "ids_file": upload})
    assert response.status_code == 400
    assert message in by_testid(html(response), "file-error")
    assert checked_boxes(response) == {"A.8.24"}
    assert not HeadStart.objects.filter(assessment=assessment).exists()


def _soa_xlsx() -> bytes:
    """A real Statement of Applicability spreadsheet, ids and all: still refused (we read text, never archives)."""
    import io

    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.active.append(["A.5.15", "Access control", "Applicable"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("make_zip, message", [
    (_soa_xlsx, "is not a text file"),
    (zip_bombs.high_ratio, "is not a text file"),
    (zip_bombs.many_entries, "larger than 200 KB"),
], ids=["XLSX", "1000:1 ratio", "10,000 entries"])
def test_a_zip_upload_is_refused_with_a_message_without_being_opened(client, monkeypatch, make_zip, message):
    raw = make_zip()
    entries, ratio = zip_bombs.entries_and_ratio(raw)
    assert make_zip is _soa_xlsx or entries >= 10_000 or ratio >= 100
    assessment = start(client)
    zip_bombs.forbid_decompression(monkeypatch)
    response = client.post(head_start_url(assessment), {
        "edition": "2022", "controls": ["A.8.24"],
        "ids_file": SimpleUploadedFile("soa.xlsx", raw, content_type="application/octet-stream"),
    })
    assert response.status_code == 400
    assert message in by_testid(html(response), "file-error")
    assert checked_boxes(response) == {"A.8.24"}
    assert not HeadStart.objects.filter(assessment=assessment).exists()


def test_an_over_long_paste_is_refused_with_a_message_and_kept(client):
    assessment = start(client)
    pasted = "A.5.15 " + "x" * 200_000
    response = client.post(head_start_url(assessment), {"edition": "2022", "ids": pasted})
    assert response.status_code == 400
    doc = html(response)
    assert "at most 200000 characters" in by_testid(doc, "ids-error")
    assert doc.xpath("//textarea[@name='ids']/text()")[0] == pasted
    assert not HeadStart.objects.filter(assessment=assessment).exists()


def test_tick_all_in_a_theme_works_without_javascript_and_keeps_the_other_ticks(client):
    assessment = start(client)
    response = client.post(head_start_url(assessment), {"edition": "2022", "controls": ["A.5.15"],
                                                         "select_theme": "A.7"})
    assert response.status_code == 302 and response["Location"].endswith("#theme-A-7")
    assert ticked(assessment) == {"A.5.15"} | {f"A.7.{n}" for n in range(1, 15)}
    response = client.post(head_start_url(assessment), {"edition": "2022", "controls": sorted(ticked(assessment)),
                                                         "clear_theme": "A.7"})
    assert response.status_code == 302
    assert ticked(assessment) == {"A.5.15"}


def test_a_tampered_theme_or_control_is_refused(client):
    assessment = start(client)
    for data in ({"edition": "2022", "select_theme": "A.99"}, {"edition": "2022", "controls": ["A.9.2.1"]}):
        assert client.post(head_start_url(assessment), data).status_code == 400
    assert not HeadStart.objects.filter(assessment=assessment).exists()


def test_the_search_is_a_plain_get_filter_and_ticks_it_hides_are_kept(client, django_assert_num_queries):
    assessment = start(client)
    save_head_start(assessment=assessment, edition="2022", control_ids=["A.5.15", "A.8.24"])
    with django_assert_num_queries(5):  # filtering happens over the same five queries
        response = client.get(head_start_url(assessment, q="A.8.2"))
    doc = html(response)
    shown = set(doc.xpath("//input[@type='checkbox'][@name='controls']/@value"))
    assert shown == {"A.8.2", "A.8.20", "A.8.21", "A.8.22", "A.8.23", "A.8.24", "A.8.25", "A.8.26", "A.8.27",
                     "A.8.28", "A.8.29"}
    assert doc.xpath("//input[@type='hidden'][@name='controls']/@value") == ["A.5.15"]
    # Saving the filtered page (as the browser would send it) keeps A.5.15 and adds A.8.2.
    response = client.post(head_start_url(assessment), {"edition": "2022", "q": "A.8.2",
                                                         "controls": ["A.5.15", "A.8.24", "A.8.2"]})
    assert response.status_code == 302 and "q=A.8.2" in response["Location"]
    assert ticked(assessment) == {"A.5.15", "A.8.24", "A.8.2"}


def test_searching_a_nist_id_shows_the_controls_related_to_it(client):
    assessment = start(client)
    response = client.get(head_start_url(assessment, edition="2013", q="3.5.3"))
    assert set(html(response).xpath("//input[@type='checkbox'][@name='controls']/@value")) == {"A.9.2.1"}
    response = client.get(head_start_url(assessment, edition="2022", q="3.5.3"))
    assert set(html(response).xpath("//input[@type='checkbox'][@name='controls']/@value")) == {"A.5.16"}


def test_switching_edition_warns_and_then_replaces_the_selection(client):
    assessment = start(client)
    save_head_start(assessment=assessment, edition="2013", control_ids=["A.9.2.1"])
    response = client.get(head_start_url(assessment, edition="2022"))
    assert "replaces it" in by_testid(html(response), "edition-switch")
    assert checked_boxes(response) == set()
    client.post(head_start_url(assessment), {"edition": "2022", "controls": ["A.5.16"]})
    head = HeadStart.objects.get(assessment=assessment)
    assert head.edition == "2022" and ticked(assessment) == {"A.5.16"}


def test_an_unknown_edition_falls_back_to_the_default(client):
    assessment = start(client)
    response = client.get(head_start_url(assessment, edition="1999"))
    assert response.status_code == 200
    assert html(response).xpath("//input[@name='edition']/@value") == ["2022"]


# --- The summary ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("edition, controls", [
    ("2022", {"A.5.15", "A.5.16", "A.8.5", "A.8.24", "A.5.7"}),
    ("2013", {"A.9.2.1", "A.9.4.2", "A.10.1.1", "A.12.4.1", "A.14.1.1", "A.15.1.1"}),
])
def test_summary_counts_match_the_fixture_for_both_editions(client, edition, controls, django_assert_num_queries):
    assessment = start(client)
    save_head_start(assessment=assessment, edition=edition, control_ids=controls)
    related = expected_related(edition, controls)
    mapped_any = {e["id"] for e in MAPPING["mapping"] if e[f"iso27001_{edition}"]}
    # 1 session, 2 assessment, 3 head start, 4 requirements with families, 5 hints (mapping x ticked controls),
    # 6 ticked controls with their mapping counts, 7 requirements mapped in the edition.
    with django_assert_num_queries(7):
        response = client.get(summary_url(assessment))
    doc = html(response)
    assert by_testid(doc, "related-count").startswith(f"{len(related)} of the 110 requirements")
    shown = {n.split("-", 1)[1] for n in doc.xpath("//tr/@data-testid") if n.startswith("related-")}
    assert shown == related
    assert f"relates {len(mapped_any)} of these 110" in text(doc.xpath("//main")[0])
    assert f"({110 - len(related)})" in text(doc.xpath("//h2[@id='unrelated']")[0])


def test_summary_query_count_does_not_grow_with_the_selection(client, django_assert_num_queries):
    assessment = start(client)
    save_head_start(assessment=assessment, edition="2022",
                    control_ids=[f"A.5.{n}" for n in range(1, 38)] + [f"A.8.{n}" for n in range(1, 35)])
    with django_assert_num_queries(7):
        client.get(summary_url(assessment))


def test_summary_of_a_level1_assessment_counts_only_its_requirements(client):
    assessment = start(client, target_level="l1")
    controls = {"A.5.15", "A.5.16", "A.5.17", "A.7.2", "A.8.7"}
    save_head_start(assessment=assessment, edition="2022", control_ids=controls)
    level1 = Requirement.objects.exclude(level1_id="").count()
    related = expected_related("2022", controls, level1_only=True)
    doc = html(client.get(summary_url(assessment)))
    assert by_testid(doc, "related-count").startswith(f"{len(related)} of the {level1} requirements")


def test_summary_lists_what_iso_does_not_cover_with_point_values_from_the_catalog(client):
    assessment = start(client)
    save_head_start(assessment=assessment, edition="2022", control_ids=["A.8.24", "A.8.5"])
    # Change the catalog: the page must follow it, never a typed number.
    Requirement.objects.filter(nist_id="3.5.3").update(points=3, partial_points=1)
    catalog_changed()  # as every write that bypasses save() must (controls/snapshot.py)
    doc = html(client.get(summary_url(assessment)))
    for nist_id in ("3.13.11", "3.5.3"):
        req = Requirement.objects.get(nist_id=nist_id)
        assert by_testid(doc, f"points-{nist_id}") == f"{req.points} ({req.partial_points} if partly)"
    assert Requirement.objects.get(nist_id="3.12.4").points is None
    assert by_testid(doc, "points-3.12.4") == "none, but no score without it"
    assert "SPRS" in by_testid(doc, "special-sprs")
    assert "Your related ISO control: A.8.24." in by_testid(doc, "special-3.13.11")


def test_the_summary_says_unmapped_means_not_in_this_mapping_and_cites_both_assessment_clause_numbers(client):
    assessment = start(client)
    save_head_start(assessment=assessment, edition="2013", control_ids=["A.10.1.1"])
    doc = html(client.get(summary_url(assessment)))
    main = text(doc.xpath("//main")[0])
    assert "no counterpart in this mapping (NIST’s Appendix D; the 2022 column is derived)" in main
    assert "no ISO counterpart at all" not in main
    sprs = by_testid(doc, "special-sprs")
    assert "DFARS 252.204-7020 (DFARS 252.240-7997 in its place in solicitations that invoke Class Deviation " \
           "2026-O0025, effective 1 February 2026)" in sprs
    assert "DFARS 252.204-7019" in sprs and "32 CFR 170.22" in sprs


def test_low_confidence_rows_are_marked_in_the_summary(client):
    assessment = start(client)
    save_head_start(assessment=assessment, edition="2022", control_ids=["A.5.8", "A.8.5", "A.5.16"])
    doc = html(client.get(summary_url(assessment)))
    assert "low confidence" in by_testid(doc, "related-3.12.4")
    assert "medium confidence" in by_testid(doc, "related-3.5.11")
    assert "confidence" not in by_testid(doc, "related-3.5.3")


def test_summary_without_a_head_start_says_how_to_make_one(client):
    assessment = start(client)
    response = client.get(summary_url(assessment))
    assert response.status_code == 200
    assert "not said which" in by_testid(html(response), "no-head-start")


# --- The hint on the questions -------------------------------------------------------------------------------

def test_hints_for_is_one_query_whatever_the_number_of_requirements(django_assert_num_queries, client):
    assessment = start(client)
    save_head_start(assessment=assessment, edition="2022", control_ids=["A.5.15", "A.8.5", "A.5.16"])
    ids = list(Requirement.objects.values_list("nist_id", flat=True))
    catalog = current_catalog()
    with django_assert_num_queries(1):  # the ticked controls (the mapping is kept with the catalog)
        hints = hints_for(assessment, ids, catalog)
    assert [h.iso_id for h in hints["3.1.1"]] == ["A.5.15", "A.5.16"]
    assert hints["3.5.11"][0].low_confidence and hints["3.5.11"][0].confidence == "medium"
    assert set(hints) == expected_related("2022", {"A.5.15", "A.8.5", "A.5.16"})


def test_the_question_shows_the_hint_and_it_never_answers_or_scores(client):
    assessment = start(client)
    family = reverse("assessments:family", args=[assessment.public_id, "AC"])
    before = client.get(family)
    answers_before = list(Answer.objects.filter(assessment=assessment).values_list("requirement__nist_id", "status"))
    score_before = score_assessment(assessment)
    assert not html(before).xpath("//*[starts-with(@data-testid, 'iso-hint-')]")

    save_head_start(assessment=assessment, edition="2022", control_ids=["A.5.15", "A.8.5"])
    after = client.get(family)
    doc = html(after)
    hint = by_testid(doc, "iso-hint-3.1.1")
    assert hint.startswith("Your ISO control A.5.15 relates to this — check the objectives below")
    assert "A hint, not an answer" in hint
    assert not doc.xpath("//*[@data-testid='iso-hint-3.1.3']")  # 3.1.3 relates to neither control
    # Nothing answered for the user: same rows, same score, same state on the page.
    assert list(Answer.objects.filter(assessment=assessment).values_list(
        "requirement__nist_id", "status")) == answers_before
    assert score_assessment(assessment) == score_before
    assert by_testid(doc, "state-3.1.1") == by_testid(html(before), "state-3.1.1") == "Unanswered"
    assert by_testid(doc, "score") == by_testid(html(before), "score")
    assert doc.xpath("//input[@name='r3-1-1-status'][@checked]/@value") == [""]


def test_plural_hints_and_low_confidence_on_the_question(client):
    assessment = start(client)
    save_head_start(assessment=assessment, edition="2013", control_ids=["A.9.2.1", "A.9.2.4", "A.14.1.1"])
    doc = html(client.get(reverse("assessments:family", args=[assessment.public_id, "IA"])))
    assert by_testid(doc, "iso-hint-3.5.1").startswith("Your ISO controls A.9.2.1, A.9.2.4 relate to this")
    doc = html(client.get(reverse("assessments:family", args=[assessment.public_id, "CA"])))
    assert "A.14.1.1 low confidence relates to this" in by_testid(doc, "iso-hint-3.12.4")


def test_the_family_page_costs_the_same_queries_with_or_without_a_head_start(client):
    assessment = start(client)
    family = reverse("assessments:family", args=[assessment.public_id, "AC"])
    client.get(family)
    with CaptureQueriesContext(connection) as without:
        client.get(family)
    save_head_start(assessment=assessment, edition="2022", control_ids=[f"A.5.{n}" for n in range(1, 38)])
    with CaptureQueriesContext(connection) as with_head_start:
        client.get(family)
    assert len(with_head_start) == len(without)


def test_saving_an_answer_over_htmx_keeps_the_hint_in_the_returned_block(client):
    assessment = start(client)
    save_head_start(assessment=assessment, edition="2022", control_ids=["A.5.15"])
    response = post_answer(client, assessment, "3.1.1", status="not_met")
    assert response.status_code == 200
    assert by_testid(html(response), "iso-hint-3.1.1").startswith("Your ISO control A.5.15 relates")
    assert Answer.objects.get(assessment=assessment, requirement__nist_id="3.1.1").status == "not_met"


def test_removing_the_head_start_removes_the_hints_and_keeps_the_answers(client):
    assessment = start(client)
    save_head_start(assessment=assessment, edition="2022", control_ids=["A.5.15"])
    post_answer(client, assessment, "3.1.1", status="met")
    response = client.post(reverse("iso27001:remove", args=[assessment.public_id]))
    assert response.status_code == 302
    assert not HeadStart.objects.filter(assessment=assessment).exists()
    doc = html(client.get(reverse("assessments:family", args=[assessment.public_id, "AC"])))
    assert not doc.xpath("//*[starts-with(@data-testid, 'iso-hint-')]")
    assert Answer.objects.get(assessment=assessment, requirement__nist_id="3.1.1").status == "met"


def test_the_overview_links_to_the_head_start(client):
    assessment = start(client)
    body = client.get(reverse("assessments:overview", args=[assessment.public_id])).content.decode()
    assert head_start_url(assessment) in body


# --- The whole page at once (security check 18) -------------------------------------------------------------

def multipart(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    """The page's form is multipart (it has a file input): the test client encodes a dict of lists that way."""
    data: dict[str, list[str]] = {}
    for name, value in pairs:
        data.setdefault(name, []).append(value)
    return data


@pytest.mark.parametrize("edition", Edition.values)
def test_every_control_of_an_edition_ticked_saves_in_one_post_and_so_does_every_theme_button(client, edition):
    assessment = start(client)
    themes: dict[str, set[str]] = {}
    for theme, control_id in IsoControl.objects.filter(edition=edition).values_list("theme", "control_id"):
        themes.setdefault(theme, set()).add(control_id)
    every = set().union(*themes.values())
    form = html(client.get(head_start_url(assessment, edition=edition))).xpath(
        "//form[@method='post'][.//input[@name='controls']]")[0]
    pairs = browser_submission(form, tick=lambda el: True, click=("save", "1"))
    assert {value for name, value in pairs if name == "controls"} == every
    assert len(pairs) < settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    response = client.post(head_start_url(assessment), multipart(pairs))
    assert response.status_code == 302
    assert ticked(assessment) == every and HeadStart.objects.get(assessment=assessment).edition == edition

    # Each theme's buttons, pressed in turn on the page as it then stands (its boxes as saved): untick all ...
    buttons = form.xpath(".//button[@name='clear_theme']/@value")
    assert set(buttons) == set(themes) and set(form.xpath(".//button[@name='select_theme']/@value")) == set(themes)
    expected = set(every)
    for button, change in (("clear_theme", set.difference), ("select_theme", set.union)):
        for theme in buttons:  # ... then tick all
            now = ticked(assessment)
            pairs = browser_submission(form, tick=lambda el, now=now: el.get("value") in now, click=(button, theme))
            response = client.post(head_start_url(assessment), multipart(pairs))
            assert response.status_code == 302 and response["Location"].endswith("#theme-" + theme.replace(".", "-"))
            expected = change(expected, themes[theme])
            assert ticked(assessment) == expected, (button, theme)
        assert expected == (set() if button == "clear_theme" else every)
