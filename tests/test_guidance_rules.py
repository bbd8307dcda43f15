"""guidance/rules.py: the rules data file is read once, checked whole, and a bad file is refused with a message that
names the entry and the field (and stops `manage.py check`)."""

from datetime import date
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import RequestFactory

from guidance import rules
from guidance.context_processors import rulebook as rulebook_context
from guidance.rules import RULES_FILE, RulesFileError, parse_rules, read_rules, rulebook


def shipped() -> dict:
    return yaml.safe_load(Path(RULES_FILE).read_text(encoding="utf-8"))


def test_the_shipped_file_holds_the_phase_dates_and_the_renumbering_each_with_a_source():
    book = read_rules()
    assert [book[f"phase_{n}"].date for n in range(1, 5)] == [date(y, 11, 10) for y in (2025, 2026, 2027, 2028)]
    assert [book[f"phase_{n}"].cite for n in range(1, 5)] == [f"32 CFR 170.3(e)({n})" for n in range(1, 5)]
    assert book["dfars_7020"].replaced_by is book["dfars_240_7997"]
    assert book["dfars_240_7997"].cite == "DFARS 252.240-7997"
    assert book["class_deviation"].cite == "Class Deviation 2026-O0025"
    assert book["class_deviation"].date == date(2026, 2, 1)
    assert (book["dfars_7025"].cite, book["dfars_7025"].date) == ("DFARS 252.204-7025", date(2025, 11, 10))
    assert book["status_date"].cite == "32 CFR 170.4"
    assert book["sprs_inputs_level1"].cite == "32 CFR 170.15(a)(1)(i)"
    assert book["sprs_inputs_level2"].cite == "32 CFR 170.16(a)(1)(i)"
    assert book["sp_800_171_r2"].month_only and book["sp_800_171_r2"].date == date(2020, 2, 1)
    assert all(entry.source and entry.what for entry in book.entries.values())
    assert str(book["dfars_7021"]) == "DFARS 252.204-7021"  # what {{ rulebook.dfars_7021 }} prints


def test_the_file_is_read_once_per_process_and_the_context_processor_hands_it_to_templates():
    assert rulebook() is rulebook()
    assert rulebook_context(RequestFactory().get("/")) == {"rulebook": rulebook()}


def test_dates_and_months_are_what_the_file_holds():
    book = read_rules()
    assert book.checked in book.dates
    assert date(2020, 2, 1) not in book.dates  # a month-only entry is not a full date
    assert (2020, 2) in book.months and (2026, 11) in book.months


def broken(change) -> dict:
    data = shipped()
    change(data)
    return data


def set_entry(key: str, **fields):
    def change(data):
        data["entries"][key] = fields
    return change


def edit_entry(key: str, **fields):
    def change(data):
        data["entries"][key].update(fields)
    return change


def drop_field(key: str, field: str):
    def change(data):
        del data["entries"][key][field]
    return change


@pytest.mark.parametrize("change, message", [
    (lambda d: d.pop("checked"), "rules-dates.yaml: top level: expected exactly the keys 'checked' and 'entries'"),
    (lambda d: d.update(extra=1), "top level: expected exactly the keys 'checked' and 'entries'"),
    (lambda d: d.update(checked="yesterday"), "rules-dates.yaml: checked: 'yesterday' is not a date (YYYY-MM-DD)"),
    (lambda d: d.update(entries=[]), "entries: expected a mapping of entries"),
    (edit_entry("phase_2", date="2026-11-31"), "entries.phase_2.date: '2026-11-31' is not a date (YYYY-MM-DD)"),
    (edit_entry("phase_2", date="10 November 2026"), "entries.phase_2.date: '10 November 2026' is not a date"),
    (drop_field("phase_2", "source"), "entries.phase_2: 'source' is missing"),
    (edit_entry("phase_2", source="  "), "entries.phase_2: 'source' must be non-empty text"),
    (drop_field("phase_2", "what"), "entries.phase_2: 'what' is missing"),
    (edit_entry("phase_2", when="2026"), "entries.phase_2: unknown field(s) when"),
    (edit_entry("phase_2", month="2026-11"), "entries.phase_2: give 'date' or 'month', not both"),
    (edit_entry("sp_800_171_r2", month="2020-13"), "entries.sp_800_171_r2.month: '2020-13' is not a month"),
    (set_entry("vague", what="About a year later", source="us"),
     "entries.vague: an entry needs a 'cite', a 'date' or a 'month'"),
    (set_entry("Bad-Id", cite="x", what="x", source="x"), "entries.Bad-Id: an entry id is lower-case letters"),
    (set_entry("flat", cite="x"), "entries.flat: 'what' is missing"),
    (edit_entry("dfars_7020", replaced_by="dfars_9999"),
     "entries.dfars_7020.replaced_by: 'dfars_9999' is not another entry"),
    (edit_entry("dfars_240_7997", replaced_by="dfars_7012"),
     "entries.dfars_7020.replaced_by: 'dfars_240_7997' is itself replaced"),
])
def test_a_bad_file_is_refused_with_a_message_naming_the_entry_and_field(change, message):
    with pytest.raises(RulesFileError) as error:
        parse_rules(broken(change), RULES_FILE)
    assert message in str(error.value)


def test_a_file_that_is_not_yaml_or_holds_an_impossible_date_or_is_missing_is_refused(tmp_path):
    bad = tmp_path / "rules-dates.yaml"
    bad.write_text("checked: [2026-12-06\n", encoding="utf-8")
    with pytest.raises(RulesFileError, match=r"^rules-dates.yaml: not valid YAML"):
        read_rules(bad)
    bad.write_text("checked: 2026-02-30\nentries: {}\n", encoding="utf-8")
    with pytest.raises(RulesFileError, match=r"^rules-dates.yaml: a date that does not exist"):
        read_rules(bad)
    with pytest.raises(RulesFileError, match=r"^absent.yaml: cannot be read"):
        read_rules(tmp_path / "absent.yaml")


@pytest.mark.django_db
def test_manage_py_check_stops_on_a_bad_file_with_the_loaders_message(tmp_path, monkeypatch):
    call_command("check")  # the shipped file passes
    bad = tmp_path / "rules-dates.yaml"
    bad.write_text(yaml.safe_dump(broken(drop_field("phase_3", "source"))), encoding="utf-8")
    monkeypatch.setattr(rules, "RULES_FILE", bad)
    with pytest.raises(SystemCheckError, match=r"guidance.E001.*entries.phase_3: 'source' is missing"):
        call_command("check")
