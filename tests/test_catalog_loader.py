from collections import Counter
from copy import deepcopy
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import CommandError, call_command

from controls.catalog import CatalogError, load_catalog, parse_catalog, read_catalog
from controls.fixture_builder import build_fixture
from controls.models import Family, Objective, Requirement, catalog_revision

REFERENCE = settings.BASE_DIR.parent / "shared" / "reference" / "nist-800-171-r2.yaml"


@pytest.fixture
def fixture_data() -> dict:
    return yaml.safe_load(Path(settings.CATALOG_FIXTURE).read_text())


def test_loaded_catalog_has_110_requirements_in_14_families_with_nist_counts(db):
    assert Requirement.objects.count() == 110
    counts = Counter(Requirement.objects.values_list("family__code", flat=True))
    assert counts == {
        "AC": 22, "AT": 3, "AU": 9, "CM": 9, "IA": 11, "IR": 3, "MA": 6,
        "MP": 9, "PS": 2, "PE": 6, "RA": 3, "CA": 4, "SC": 16, "SI": 7,
    }
    assert list(Family.objects.values_list("code", flat=True)) == [
        "AC", "AT", "AU", "CM", "IA", "IR", "MA", "MP", "PS", "PE", "RA", "CA", "SC", "SI"
    ]


def test_loaded_catalog_has_320_objectives_and_deductions_summing_to_313(db):
    assert Objective.objects.count() == 320
    points = list(Requirement.objects.values_list("points", flat=True))
    assert sum(p for p in points if p) == 313
    assert Counter(points) == {5: 44, 3: 14, 1: 51, None: 1}
    assert Requirement.objects.get(points=None).nist_id == "3.12.4"


def test_only_mfa_and_fips_crypto_have_partial_credit_worth_three(db):
    partial = dict(Requirement.objects.exclude(partial_points=None).values_list("nist_id", "partial_points"))
    assert partial == {"3.5.3": 3, "3.13.11": 3}


def test_seventeen_level1_practices_and_poam_eligibility_46_1_63(db):
    assert Requirement.objects.exclude(level1_id="").count() == 17
    assert Counter(Requirement.objects.values_list("poam_eligibility", flat=True)) == {
        "yes": 46, "only_partial": 1, "no": 63,
    }
    assert Requirement.objects.get(poam_eligibility="only_partial").nist_id == "3.13.11"
    never = {"3.1.20", "3.1.22", "3.12.4", "3.10.3", "3.10.4", "3.10.5"}
    assert set(Requirement.objects.filter(nist_id__in=never).values_list("poam_eligibility", flat=True)) == {"no"}


def test_requirements_and_objectives_are_in_nist_order(db):
    ids = list(Requirement.objects.values_list("nist_id", flat=True))
    assert ids[:3] == ["3.1.1", "3.1.2", "3.1.3"]
    assert ids.index("3.1.22") + 1 == ids.index("3.2.1")
    assert ids[-1] == "3.14.7"
    assert [o.objective_id for o in Requirement.objects.get(nist_id="3.1.1").objectives.all()] == [
        f"3.1.1[{c}]" for c in "abcdef"
    ]


@pytest.mark.skipif(not REFERENCE.exists(), reason="shared/reference is not beside this checkout")
def test_committed_fixture_is_exactly_what_the_reference_builds(fixture_data):
    assert build_fixture(yaml.safe_load(REFERENCE.read_text())) == fixture_data


def test_second_load_changes_nothing_and_says_so(db, capsys):
    before = Requirement.history.count()
    call_command("load_catalog")
    out = capsys.readouterr().out
    assert "already up to date" in out and "nothing written" in out
    assert Requirement.history.count() == before


def test_load_into_empty_database_creates_everything(db, capsys):
    Objective.objects.all().delete()
    Requirement.objects.all().delete()
    Family.objects.all().delete()
    call_command("load_catalog")
    assert "14 families created, 110 requirements created" in capsys.readouterr().out
    assert Objective.objects.count() == 320


def _mutations():
    def wrong_count(d):
        d["requirements"].pop()
        return "expected 110 requirements, found 109"

    def duplicate_id(d):
        d["requirements"][1]["id"] = "3.1.1"
        return "requirement 3.1.1: duplicate id"

    def unknown_family(d):
        d["requirements"][5]["family"] = "ZZ"
        return "requirement 3.1.6: unknown family 'ZZ'"

    def bad_points(d):
        d["requirements"][0]["points"] = 2
        return "requirement 3.1.1: point value 2 is not one of 1, 3, 5"

    def objectives_out_of_order(d):
        objs = d["requirements"][0]["objectives"]
        objs[0], objs[1] = objs[1], objs[0]
        return "objective 3.1.1[b] out of order (expected 3.1.1[a])"

    def requirements_out_of_order(d):
        reqs = d["requirements"]
        reqs[2], reqs[3] = reqs[3], reqs[2]
        return "requirement 3.1.3: out of NIST order"

    return [wrong_count, duplicate_id, unknown_family, bad_points, objectives_out_of_order, requirements_out_of_order]


@pytest.mark.parametrize("mutate", _mutations(), ids=lambda f: f.__name__)
def test_bad_fixture_is_rejected_naming_the_entry_and_database_is_untouched(db, tmp_path, fixture_data, mutate):
    bad = deepcopy(fixture_data)
    bad["requirements"][0]["text"] = "CHANGED TEXT that must not be written"
    expected = mutate(bad)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(bad))
    revision = catalog_revision()
    with pytest.raises(CommandError) as excinfo:
        call_command("load_catalog", str(path))
    assert expected in str(excinfo.value)
    assert "Nothing was written" in str(excinfo.value)
    assert catalog_revision() == revision


def test_unreadable_and_non_yaml_fixtures_are_clear_errors(tmp_path):
    with pytest.raises(CatalogError, match="cannot read"):
        read_catalog(tmp_path / "missing.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("requirements: [")
    with pytest.raises(CatalogError, match="not valid YAML"):
        read_catalog(broken)
    with pytest.raises(CatalogError, match="mapping with 'families'"):
        parse_catalog(["a list"])


def test_staff_edit_is_kept_when_fixture_is_unchanged(db, capsys):
    req = Requirement.objects.get(nist_id="3.1.1")
    req.text = "Our clarified wording."
    req.save()
    call_command("load_catalog")
    assert Requirement.objects.get(nist_id="3.1.1").text == "Our clarified wording."


def test_staff_edit_conflicting_with_a_fixture_change_is_reported_not_overwritten(db, tmp_path, fixture_data, capsys):
    req = Requirement.objects.get(nist_id="3.1.1")
    req.text = "Our clarified wording."
    req.save()
    changed = deepcopy(fixture_data)
    changed["requirements"][0]["text"] = "NIST's corrected wording."
    changed["requirements"][1]["text"] = "Second requirement, corrected."
    path = tmp_path / "changed.yaml"
    path.write_text(yaml.safe_dump(changed))

    call_command("load_catalog", str(path))
    captured = capsys.readouterr()
    assert "Conflict: 3.1.1" in captured.err
    assert Requirement.objects.get(nist_id="3.1.1").text == "Our clarified wording."
    # The unedited requirement takes the fixture's change.
    assert Requirement.objects.get(nist_id="3.1.2").text == "Second requirement, corrected."

    call_command("load_catalog", str(path), "--overwrite-edits")
    assert Requirement.objects.get(nist_id="3.1.1").text == "NIST's corrected wording."


def test_catalog_revision_changes_when_text_changes(db):
    before = catalog_revision()
    obj = Objective.objects.get(objective_id="3.1.1[a]")
    obj.text = "authorized users are identified and listed"
    obj.save()
    assert catalog_revision() != before


def test_load_catalog_function_reports_unchanged_on_second_run(db):
    report = load_catalog(catalog=read_catalog(settings.CATALOG_FIXTURE))
    assert not report.changed and report.unchanged == 110 and report.conflicts == []
