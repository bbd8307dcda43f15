"""The example narratives (fixtures/example-narratives.yaml, controls/narratives.py): every requirement has one per
environment, each would pass the SSP's readiness check once its placeholders are filled, no two are alike, and the
loader is idempotent and keeps what staff edited in the admin."""

import difflib
import itertools
import re
from pathlib import Path

import pytest
import yaml
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.urls import reverse

from controls.models import ExampleNarrative, NarrativeVariant, Requirement
from controls.narratives import FIXTURE, NarrativesError, load_narratives, read_narratives, text_hash
from ssp import readiness, starting_text
from tests.personas import signed_in

pytestmark = pytest.mark.django_db

VARIANTS = NarrativeVariant.values


@pytest.fixture
def fixture_data() -> dict:
    return yaml.safe_load(FIXTURE.read_text(encoding="utf-8"))


def narratives() -> dict[tuple[str, str], str]:
    return {(n.requirement.nist_id, n.variant): n.text for n in ExampleNarrative.objects.select_related("requirement")}


def filled(text: str) -> str:
    """The text as a user leaves it: each <<placeholder>> replaced by a word."""
    return starting_text.PLACEHOLDER_RE.sub("Contoso", text)


def test_every_requirement_has_an_example_for_each_environment():
    assert set(narratives()) == {(nist_id, variant) for nist_id in Requirement.objects.values_list("nist_id", flat=True)
                                 for variant in VARIANTS}
    assert len(narratives()) == 220


def test_each_example_would_pass_the_readiness_check_once_its_placeholders_are_filled():
    for key, text in narratives().items():
        leftover = starting_text.PLACEHOLDER_RE.sub("", text)
        assert "<<" not in leftover and ">>" not in leftover, key  # every placeholder is well formed
        assert not starting_text.has_placeholder(filled(text)), key
        assert not readiness.token(filled(text)), key


def test_each_example_is_a_description_of_60_to_160_words_that_names_its_evidence():
    for key, text in narratives().items():
        assert 60 <= len(text.split()) <= 160, key
        assert "Evidence: " in text, key


def test_placeholders_are_few():
    counts = [len(starting_text.PLACEHOLDER_RE.findall(text)) for text in narratives().values()]
    assert max(counts) <= 2 and sum(counts) < len(counts) / 2


def test_no_two_examples_are_the_same_and_no_environment_is_the_other_with_names_swapped():
    texts = narratives()
    assert len(set(texts.values())) == len(texts)
    for nist_id in {nist_id for nist_id, _ in texts}:
        gcc_high, on_prem = texts[nist_id, "gcc_high"], texts[nist_id, "on_prem"]
        assert difflib.SequenceMatcher(None, gcc_high, on_prem).ratio() < 0.8, nist_id


def test_each_environment_speaks_of_its_own_tools():
    texts = narratives()
    cloud = re.compile(r"Entra|Intune|GCC High|Microsoft 365|Defender|Purview|Sentinel|SharePoint|Teams|Microsoft")
    on_premises = re.compile(r"Group Policy|Active Directory|\bAD\b|domain|file server|firewall|VPN|SIEM|WSUS|"
                             r"server room|Configuration Manager|badge")
    for (nist_id, variant), text in texts.items():
        assert (cloud if variant == "gcc_high" else on_premises).search(text), (nist_id, variant)
    # The FIPS requirement rests on validated modules in both, Microsoft's in the cloud.
    assert "Microsoft's FIPS 140 validated" in texts["3.13.11", "gcc_high"]
    assert "FIPS 140 validated" in texts["3.13.11", "on_prem"]
    # 3.12.4 is the plan itself.
    assert all(texts["3.12.4", v].startswith(("This System Security Plan", "The IT lead wrote this System Security "
                                                                            "Plan")) for v in VARIANTS)


def test_the_stored_text_is_the_fixtures_text_tidied(fixture_data):
    stored = narratives()
    for nist_id, variant in itertools.islice(stored, 10):
        assert stored[nist_id, variant] == " ".join(fixture_data[nist_id][variant].split())


def test_loading_twice_changes_nothing():
    history = ExampleNarrative.history.count()
    report = load_narratives(narratives=read_narratives())
    assert not report.changed and report.unchanged == 220 and not report.kept and not report.conflicts
    assert ExampleNarrative.history.count() == history


def test_the_command_says_when_nothing_was_written(capsys):
    call_command("load_example_narratives")
    assert "already up to date (220 unchanged); nothing written" in capsys.readouterr().out


def test_loading_into_an_empty_table_creates_every_example_with_its_history(capsys):
    ExampleNarrative.objects.all().delete()
    call_command("load_example_narratives")
    assert "220 created, 0 updated, 0 unchanged" in capsys.readouterr().out
    row = ExampleNarrative.objects.get(requirement__nist_id="3.1.1", variant="on_prem")
    assert row.fixture_hash == text_hash(row.text)
    assert row.history.get().history_change_reason == "load_example_narratives: created"


def test_a_staff_edit_survives_a_reload_and_is_counted(capsys):
    row = ExampleNarrative.objects.get(requirement__nist_id="3.1.8", variant="gcc_high")
    row.text = "Our own words: Entra ID smart lockout after 5 failures, reviewed by the IT lead monthly."
    row.save()
    report = load_narratives(narratives=read_narratives())
    assert report.kept == ["3.1.8 gcc_high"] and not report.changed and not report.conflicts
    assert ExampleNarrative.objects.get(pk=row.pk).text == row.text
    call_command("load_example_narratives")
    assert "1 edited in the admin, kept" in capsys.readouterr().out


def _changed_fixture(tmp_path: Path, data: dict, nist_id: str, variant: str, text: str) -> Path:
    data[nist_id][variant] = text
    path = tmp_path / "narratives.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_a_fixture_change_replaces_an_untouched_text(tmp_path, fixture_data):
    new = "The IT lead reviews accounts monthly in Entra ID; Conditional Access requires compliant devices. " * 3
    path = _changed_fixture(tmp_path, fixture_data, "3.1.1", "gcc_high", new)
    report = load_narratives(narratives=read_narratives(path))
    assert report.updated == ["3.1.1 gcc_high"] and report.unchanged == 219
    row = ExampleNarrative.objects.get(requirement__nist_id="3.1.1", variant="gcc_high")
    assert row.text == new.strip() and row.fixture_hash == text_hash(row.text)


def test_a_fixture_change_over_a_staff_edit_is_reported_and_overwritten_only_when_asked(tmp_path, fixture_data,
                                                                                         capsys):
    row = ExampleNarrative.objects.get(requirement__nist_id="3.1.2", variant="on_prem")
    row.text = "Staff wording for the on-premises role matrix, kept in the admin."
    row.save()
    path = _changed_fixture(tmp_path, fixture_data, "3.1.2", "on_prem", "Fixture wording, changed meanwhile. " * 4)
    call_command("load_example_narratives", str(path))
    assert "Conflict: the 3.1.2 on_prem narrative was edited in the admin" in capsys.readouterr().err
    assert ExampleNarrative.objects.get(pk=row.pk).text == row.text
    call_command("load_example_narratives", str(path), "--overwrite-edits")
    assert ExampleNarrative.objects.get(pk=row.pk).text.startswith("Fixture wording, changed meanwhile.")


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda d: d.pop("3.13.11"), "requirement 3.13.11: no narratives"),
    (lambda d: d.__setitem__("3.15.1", d["3.1.1"]), "'3.15.1': not a requirement of the catalog"),
    (lambda d: d["3.1.4"].pop("on_prem"), "requirement 3.1.4: no on_prem text"),
    (lambda d: d["3.1.4"].__setitem__("gcc_high", "  "), "requirement 3.1.4: no gcc_high text"),
    (lambda d: d["3.1.4"].__setitem__("azure", "x"), "requirement 3.1.4: unknown variant 'azure'"),
    (lambda d: d["3.2.1"].__setitem__("on_prem", d["3.1.1"]["on_prem"]),
     "requirement 3.2.1: the on_prem text is the same as 3.1.1 on_prem's"),
    (lambda d: d.__setitem__("3.1.5", "text"), "requirement 3.1.5: must map each variant to its text"),
])
def test_a_bad_fixture_is_refused_naming_the_entry_and_nothing_is_written(tmp_path, fixture_data, mutate, message):
    ExampleNarrative.objects.filter(requirement__nist_id="3.1.1").delete()
    mutate(fixture_data)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(fixture_data), encoding="utf-8")
    with pytest.raises(CommandError, match=re.escape(message) + r".*Nothing was written"):
        call_command("load_example_narratives", str(path))
    assert not ExampleNarrative.objects.filter(requirement__nist_id="3.1.1").exists()


def test_unreadable_and_non_yaml_fixtures_are_clear_errors(tmp_path):
    with pytest.raises(NarrativesError, match="cannot read"):
        read_narratives(tmp_path / "missing.yaml")
    (tmp_path / "bad.yaml").write_text("'3.1.1': [unclosed", encoding="utf-8")
    with pytest.raises(NarrativesError, match="is not valid YAML"):
        read_narratives(tmp_path / "bad.yaml")
    (tmp_path / "list.yaml").write_text("- 3.1.1\n", encoding="utf-8")
    with pytest.raises(NarrativesError, match="must map each requirement"):
        read_narratives(tmp_path / "list.yaml")


@pytest.fixture
def staff(client):
    user = get_user_model().objects.create_superuser("editor", "editor@example.com", "a long staff passphrase")
    # Staff need MFA like everyone else (accounts/middleware.py): an enrolled TOTP and a session that passed it.
    TOTP.activate(user, generate_totp_secret())
    signed_in(user, client)
    return user


def test_staff_edit_an_example_in_the_admin_with_its_history_and_a_reload_keeps_it(client, staff):
    row = ExampleNarrative.objects.get(requirement__nist_id="3.4.8", variant="on_prem")
    old = row.text
    new = "We allow-list with AppLocker through Group Policy; the IT lead approves additions by ticket."
    response = client.post(reverse("admin:controls_examplenarrative_change", args=[row.pk]),
                           {"text": new, "variant": "gcc_high", "requirement": "1"})
    assert response.status_code == 302, response.content.decode()[:2000]
    row.refresh_from_db()
    # Only the wording is editable: which requirement and environment it is for come from the fixture.
    assert (row.text, row.variant, row.requirement.nist_id) == (new, "on_prem", "3.4.8")
    latest, previous = row.history.all()[:2]
    assert (latest.history_user, latest.text, previous.text) == (staff, new, old)
    load_narratives(narratives=read_narratives())
    assert ExampleNarrative.objects.get(pk=row.pk).text == new


def test_the_admin_lists_filters_and_searches_the_examples(client, staff):
    url = reverse("admin:controls_examplenarrative_changelist")
    assert "110 example narratives" in client.get(url, {"variant__exact": "on_prem"}).content.decode()
    assert "3.13.11" in client.get(url, {"q": "FIPS"}).content.decode()
    assert client.get(reverse("admin:controls_examplenarrative_add")).status_code == 403
