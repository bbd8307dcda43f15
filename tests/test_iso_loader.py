from collections import Counter
from copy import deepcopy
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import CommandError, call_command

from assessments.models import Assessment
from controls.snapshot import current as current_catalog
from iso27001.fixture_builder import FixtureBuildError, build_fixture
from iso27001.hints import hints_for
from iso27001.mapping import FIXTURE, MappingError, load_mapping, parse_mapping, read_mapping
from iso27001.models import IsoControl, IsoMapping, save_head_start

REFERENCE = settings.BASE_DIR.parent / "shared" / "reference" / "iso27001-mapping.yaml"

pytestmark = pytest.mark.django_db


@pytest.fixture
def fixture_data() -> dict:
    return yaml.safe_load(Path(FIXTURE).read_text())


def snapshot() -> tuple[list, list]:
    controls = list(IsoControl.objects.order_by("edition", "position").values_list(
        "edition", "control_id", "theme", "theme_name", "position", "title"))
    rows = list(IsoMapping.objects.order_by("pk").values_list(
        "requirement__nist_id", "control__edition", "control__control_id", "confidence", "partial", "note"))
    return controls, rows


def test_loaded_mapping_has_114_controls_of_2013_and_93_of_2022_in_their_themes():
    assert Counter(IsoControl.objects.values_list("edition", flat=True)) == {"2013": 114, "2022": 93}
    themes_2022 = Counter(IsoControl.objects.filter(edition="2022").values_list("theme", flat=True))
    assert themes_2022 == {"A.5": 37, "A.6": 8, "A.7": 14, "A.8": 34}
    assert IsoControl.objects.filter(edition="2013").values("theme").distinct().count() == 14
    ids_2013 = list(IsoControl.objects.filter(edition="2013").values_list("control_id", flat=True))
    assert ids_2013[0] == "A.5.1.1" and ids_2013[-1] == "A.18.2.3"
    # A.10 sorts after A.9, not after A.1: ids are ordered numerically.
    assert ids_2013.index("A.10.1.1") == ids_2013.index("A.9.4.5") + 1


def test_mapping_rows_match_the_fixture_entry_by_entry(fixture_data):
    expected = {
        (entry["id"], edition, control_id, entry["confidence"],
         control_id in entry[f"iso27001_{edition}_partial"])
        for entry in fixture_data["mapping"] for edition in ("2013", "2022")
        for control_id in entry[f"iso27001_{edition}"]
    }
    stored = set(IsoMapping.objects.values_list(
        "requirement__nist_id", "control__edition", "control__control_id", "confidence", "partial"))
    assert stored == expected
    assert IsoMapping.objects.count() == len(expected)


@pytest.mark.skipif(not REFERENCE.exists(), reason="shared/reference is not beside this checkout")
def test_requirement_counts_agree_with_the_reference_meta():
    reference = yaml.safe_load(REFERENCE.read_text())
    without = {r["id"] for r in reference["mapping"] if not r["iso27001_2013"]}
    assert len(without) == 16  # the reference's meta.completeness says 16
    mapped = set(IsoMapping.objects.filter(control__edition="2013").values_list("requirement__nist_id", flat=True))
    assert len(mapped) == 110 - 16 and not (mapped & without)
    assert set(IsoMapping.objects.filter(confidence="low").values_list("requirement__nist_id", flat=True)) == {"3.12.4"}
    assert set(IsoMapping.objects.filter(confidence="medium").values_list("requirement__nist_id", flat=True)) == {
        "3.5.11", "3.13.1", "3.13.5"}


def test_partial_marks_carry_over_to_2022_only_when_every_source_is_partial():
    # 3.4.6: A.12.5.1 (partial) -> A.8.19, partial too.
    assert IsoMapping.objects.get(requirement__nist_id="3.4.6", control__control_id="A.8.19").partial
    # 3.14.1: A.6.1.4 (partial) -> A.5.6 partial; A.12.6.1 (not partial here) -> A.8.8 not partial.
    row = dict(IsoMapping.objects.filter(requirement__nist_id="3.14.1", control__edition="2022")
               .values_list("control__control_id", "partial"))
    assert row["A.5.6"] is True and row["A.8.8"] is False


@pytest.mark.skipif(not REFERENCE.exists(), reason="shared/reference is not beside this checkout")
def test_committed_fixture_is_exactly_what_the_reference_builds(fixture_data):
    assert build_fixture(yaml.safe_load(REFERENCE.read_text())) == fixture_data


@pytest.mark.skipif(not REFERENCE.exists(), reason="shared/reference is not beside this checkout")
def test_builder_refuses_a_2022_list_that_is_not_the_composition_of_the_2013_one():
    reference = yaml.safe_load(REFERENCE.read_text())
    row = next(r for r in reference["mapping"] if r["id"] == "3.5.3")
    row["iso27001_2022"] = row["iso27001_2022"] + ["A.8.5"]
    with pytest.raises(FixtureBuildError, match=r"requirement 3\.5\.3: the 2022 list is not the composition"):
        build_fixture(reference)


def test_second_load_changes_nothing_and_says_so(capsys):
    before = snapshot()
    call_command("load_iso_mapping")
    out = capsys.readouterr().out
    assert "already up to date" in out and "nothing written" in out
    assert snapshot() == before


def test_load_into_empty_tables_creates_everything(capsys, fixture_data):
    IsoMapping.objects.all().delete()
    IsoControl.objects.all().delete()
    call_command("load_iso_mapping")
    rows = sum(len(e["iso27001_2013"]) + len(e["iso27001_2022"]) for e in fixture_data["mapping"])
    assert f"207 controls created, {rows} mapping rows created" in capsys.readouterr().out
    assert IsoMapping.objects.count() == rows


def test_a_changed_confidence_updates_just_that_requirements_rows(tmp_path, fixture_data, capsys):
    entry = next(e for e in fixture_data["mapping"] if e["id"] == "3.1.9")
    entry["confidence"] = "medium"
    path = tmp_path / "changed.yaml"
    path.write_text(yaml.safe_dump(fixture_data))
    call_command("load_iso_mapping", str(path))
    changed = len(entry["iso27001_2013"]) + len(entry["iso27001_2022"])
    assert f"{changed} mapping rows updated" in capsys.readouterr().out
    assert set(IsoMapping.objects.filter(requirement__nist_id="3.1.9").values_list("confidence", flat=True)) == {
        "medium"}


def test_a_dropped_iso_id_removes_its_row(tmp_path, fixture_data):
    entry = next(e for e in fixture_data["mapping"] if e["id"] == "3.1.4")
    assert entry["iso27001_2013"] == ["A.6.1.2"]
    entry["iso27001_2013"] = []
    path = tmp_path / "dropped.yaml"
    path.write_text(yaml.safe_dump(fixture_data))
    call_command("load_iso_mapping", str(path))
    assert not IsoMapping.objects.filter(requirement__nist_id="3.1.4", control__edition="2013").exists()
    assert IsoMapping.objects.filter(requirement__nist_id="3.1.4", control__edition="2022").exists()


def _entry(d: dict, nist_id: str) -> dict:
    return next(e for e in d["mapping"] if e["id"] == nist_id)


def _mutations():
    def unknown_requirement(d):
        _entry(d, "3.1.4")["id"] = "3.1.99"
        return "requirement 3.1.99: unknown requirement id (not in the catalog)"

    def unknown_2013_id(d):
        _entry(d, "3.5.3")["iso27001_2013"].append("A.9.9.9")
        return "requirement 3.5.3: unknown ISO/IEC 27001:2013 control 'A.9.9.9'"

    def unknown_2022_id(d):
        _entry(d, "3.5.3")["iso27001_2022"].append("A.5.38")
        return "requirement 3.5.3: unknown ISO/IEC 27001:2022 control 'A.5.38'"

    def id_of_the_other_edition(d):
        _entry(d, "3.5.3")["iso27001_2022"].append("A.9.2.1")
        return "requirement 3.5.3: unknown ISO/IEC 27001:2022 control 'A.9.2.1'"

    def bad_confidence(d):
        _entry(d, "3.3.1")["confidence"] = "certain"
        return "requirement 3.3.1: confidence 'certain' is not one of high, medium, low"

    def duplicate_requirement(d):
        _entry(d, "3.1.4")["id"] = "3.1.3"
        return "requirement 3.1.3: duplicate entry"

    def duplicate_iso_id(d):
        _entry(d, "3.1.3")["iso27001_2013"].append("A.13.1.3")
        return "requirement 3.1.3: duplicate ISO/IEC 27001:2013 control A.13.1.3"

    def duplicate_control(d):
        d["editions"]["2022"][0]["controls"].append("A.5.1")
        return "edition 2022 control A.5.1: duplicate control"

    def control_under_the_wrong_theme(d):
        d["editions"]["2013"][0]["controls"].append("A.9.9.9")
        return "edition 2013 control A.9.9.9: listed under theme A.5"

    def malformed_control_id(d):
        d["editions"]["2022"][1]["controls"].append("A.6.1.1")
        return "edition 2022 control A.6.1.1: not an ISO/IEC 27001:2022 Annex A id"

    def partial_not_in_list(d):
        _entry(d, "3.1.4")["iso27001_2013_partial"] = ["A.9.2.1"]
        return "requirement 3.1.4: partial control A.9.2.1 is not in its iso27001_2013 list"

    def missing_requirement(d):
        d["mapping"].remove(_entry(d, "3.14.7"))
        return "requirement 3.14.7: missing from the mapping"

    def unknown_edition(d):
        d["editions"]["2005"] = []
        return "unknown edition '2005'"

    return [unknown_requirement, unknown_2013_id, unknown_2022_id, id_of_the_other_edition, bad_confidence,
            duplicate_requirement, duplicate_iso_id, duplicate_control, control_under_the_wrong_theme,
            malformed_control_id, partial_not_in_list, missing_requirement, unknown_edition]


@pytest.mark.parametrize("mutate", _mutations(), ids=lambda f: f.__name__)
def test_bad_fixture_is_rejected_naming_the_entry_and_the_database_is_untouched(tmp_path, fixture_data, mutate):
    bad = deepcopy(fixture_data)
    _entry(bad, "3.1.1")["confidence"] = "low"  # a valid change that must not be written either
    expected = mutate(bad)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(bad))
    before = snapshot()
    with pytest.raises(CommandError) as excinfo:
        call_command("load_iso_mapping", str(path))
    assert expected in str(excinfo.value)
    assert "Nothing was written" in str(excinfo.value)
    assert snapshot() == before


def test_a_control_ticked_in_a_head_start_is_never_dropped_silently(tmp_path, fixture_data):
    assessment = Assessment.objects.create(organization_name="Acme")
    save_head_start(assessment=assessment, edition="2022", control_ids=["A.5.7", "A.5.15"])
    fixture_data["editions"]["2022"][0]["controls"].remove("A.5.7")
    path = tmp_path / "fewer.yaml"
    path.write_text(yaml.safe_dump(fixture_data))
    before = snapshot()
    with pytest.raises(CommandError, match="edition 2022 control A.5.7: no longer in the fixture but ticked"):
        call_command("load_iso_mapping", str(path))
    assert snapshot() == before
    assert set(assessment.iso_head_start.controls.values_list("control_id", flat=True)) == {"A.5.7", "A.5.15"}


def test_unreadable_and_non_yaml_fixtures_are_clear_errors(tmp_path):
    with pytest.raises(MappingError, match="cannot read"):
        read_mapping(tmp_path / "missing.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("mapping: [")
    with pytest.raises(MappingError, match="not valid YAML"):
        read_mapping(broken)
    with pytest.raises(MappingError, match="mapping with 'editions' and 'mapping'"):
        parse_mapping(["a list"], ["3.1.1"])


def test_load_mapping_is_usable_directly_and_reports_no_change():
    report = load_mapping(mapping=read_mapping())
    assert not report.changed and report.controls_unchanged == 207


def test_a_load_that_changes_the_mapping_shows_at_once_in_the_hints_and_an_unchanged_one_keeps_the_catalog(
        tmp_path, fixture_data):
    # The hints keep the mapping with the catalog (iso27001/hints.py): a load that writes renews the catalog's token.
    assessment = Assessment.objects.create(organization_name="Acme")
    save_head_start(assessment=assessment, edition="2022", control_ids=["A.5.15"])
    before = current_catalog()
    assert [h.confidence for h in hints_for(assessment, ["3.1.1"], before)["3.1.1"]] == ["high"]
    call_command("load_iso_mapping")  # nothing to write
    assert current_catalog() is before
    entry = next(e for e in fixture_data["mapping"] if e["id"] == "3.1.1")
    entry["confidence"] = "low"
    path = tmp_path / "changed.yaml"
    path.write_text(yaml.safe_dump(fixture_data))
    call_command("load_iso_mapping", str(path))
    after = current_catalog()
    assert after.token != before.token
    assert [(h.confidence, h.low_confidence) for h in hints_for(assessment, ["3.1.1"], after)["3.1.1"]] == [
        ("low", True)]
