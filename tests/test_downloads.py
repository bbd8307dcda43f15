"""Download names (cmmc_site/downloads.py): whose file and which one, safe on every file system, and a header every
client reads back as the same name (RFC 6266, RFC 8187). The views' tests read it back from their responses."""

import re
import unicodedata

import pytest
from django.http import HttpResponse
from hypothesis import given
from hypothesis import strategies as st

from cmmc_site.downloads import MAX_STEM_BYTES, download_name, version_part

from .export_helpers import disposition, saved_as

# Never in a file name on some system (Windows, macOS, Linux), or a path.
FORBIDDEN = set('/\\:*?"<>|') | {"\x00"}


@pytest.mark.parametrize("parts, name, ascii_name", [
    (("Acme", "CUI Enclave", "SSP", "v1.0"), "Acme-CUI-Enclave-SSP-v1.0.pdf", "Acme-CUI-Enclave-SSP-v1.0.pdf"),
    (("Société Générale", "SSP", "v0.9"), "Société-Générale-SSP-v0.9.pdf", "Societe-Generale-SSP-v0.9.pdf"),
    (("Straße & Ørsted GmbH",), "Straße-Ørsted-GmbH.pdf", "Strasse-Orsted-GmbH.pdf"),
    (("株式会社 東京精機", "SSP"), "株式会社-東京精機-SSP.pdf", "SSP.pdf"),
    (("O'Brien’s Machine Shop, Inc.", "POAM"), "OBriens-Machine-Shop-Inc-POAM.pdf",
     "OBriens-Machine-Shop-Inc-POAM.pdf"),
    (("../../etc/passwd", "SSP"), "etc-passwd-SSP.pdf", "etc-passwd-SSP.pdf"),
    (("C:\\Windows\\system32",), "C-Windows-system32.pdf", "C-Windows-system32.pdf"),
    (('Acme "Best" <Corp>',), "Acme-Best-Corp.pdf", "Acme-Best-Corp.pdf"),
    (("Acme\r\nContent-Type: text/html\r\n\r\n<script>",), "Acme-Content-Type-text-html-script.pdf",
     "Acme-Content-Type-text-html-script.pdf"),
    (("\x00\x07bell\x1b[31mred\x7f",), "bell-31mred.pdf", "bell-31mred.pdf"),
    (("\u202egpj.exe", "SSP"), "gpj.exe-SSP.pdf", "gpj.exe-SSP.pdf"),  # the override is gone: it reads as it is
    (("Acme\u200b\ufeffCorp",), "AcmeCorp.pdf", "AcmeCorp.pdf"),  # zero-width space, byte order mark
    (("ab\ud800cd",), "ab-cd.pdf", "ab-cd.pdf"),  # a lone surrogate (a JSON file's "\ud800")
    (("🚀 Rocket 👨‍👩‍👧 Labs 1️⃣ 🇺🇸", "SSP"), "Rocket-Labs-1-SSP.pdf", "Rocket-Labs-1-SSP.pdf"),
    (("!!! ... --- ///", "SSP", "v1.0"), "SSP-v1.0.pdf", "SSP-v1.0.pdf"),  # only punctuation: left out
    (("!!! ... --- ///",), "download.pdf", "download.pdf"),
    (("",), "download.pdf", "download.pdf"),
    (("...hidden",), "hidden.pdf", "hidden.pdf"),  # never a dot file
    (("a..b", "c . . d"), "a.b-c-d.pdf", "a.b-c-d.pdf"),
    (("100% Acme",), "100-Acme.pdf", "100-Acme.pdf"),
    (("CON",), "CON-file.pdf", "CON-file.pdf"),  # a device name on Windows
    (("lpt1.SSP",), "lpt1.SSP-file.pdf", "lpt1.SSP-file.pdf"),
    (("ｆｕｌｌ　ｗｉｄｔｈ ﬁne",), "full-width-fine.pdf", "full-width-fine.pdf"),  # compatibility forms: NFKC
    (("नमस्ते दुनिया", "SSP"), "नमस्ते-दुनिया-SSP.pdf", "SSP.pdf"),  # the vowel signs stay on their letters
    (("فارسی\u200cزبان",), "فارسی\u200cزبان.pdf", "download.pdf"),  # a non-joiner inside a Persian word stays
])
def test_hostile_and_foreign_names_become_safe_names_that_still_say_whose_file_it_is(parts, name, ascii_name):
    result = download_name(*parts, extension="pdf")
    assert (result.name, result.ascii) == (name, ascii_name)


def test_a_very_long_name_is_cut_to_fit_every_file_system_keeping_each_part():
    result = download_name("Acme " * 200, "Ω" * 300, "SSP", "v1.0", extension="docx")
    assert len(result.name.encode()) <= MAX_STEM_BYTES + len(".docx")
    assert result.name.startswith("Acme-Acme-") and "-Ω" in result.name and result.name.endswith("-SSP-v1.0.docx")
    assert result.ascii.endswith("-SSP-v1.0.docx") and "Ω" not in result.ascii


def test_versions_read_as_the_user_wrote_them():
    assert [version_part(label) for label in ("1.0", "0.9", "2.1-draft", "v2", "V3.0", "version")] == [
        "v1.0", "v0.9", "v2.1-draft", "v2", "V3.0", "vversion"]


def test_the_extension_is_ours_and_checked():
    for bad in ("", "PDF", "pdf/../x", "p df", "toolongextension"):
        with pytest.raises(ValueError):
            download_name("Acme", extension=bad)


def test_an_ascii_name_has_one_filename_and_a_foreign_one_both_as_rfc_6266_says():
    assert download_name("Acme", "SSP", extension="pdf").header == 'attachment; filename="Acme-SSP.pdf"'
    header = download_name("Société", "SSP", extension="pdf").header
    assert header == "attachment; filename=\"Societe-SSP.pdf\"; filename*=UTF-8''Soci%C3%A9t%C3%A9-SSP.pdf"
    assert disposition(header) == ("attachment", {"filename": "Societe-SSP.pdf", "filename*": "Société-SSP.pdf"})


def test_the_header_goes_through_a_real_response_unchanged():
    name = download_name("Acme\r\nSet-Cookie: x=1", "Ünïcødé 🚀", "SSP", "v1.0", extension="pdf")
    response = HttpResponse(b"%PDF", headers={"Content-Disposition": name.header})
    assert saved_as(response) == ("Acme-Set-Cookie-x-1-Ünïcødé-SSP-v1.0.pdf",
                                  "Acme-Set-Cookie-x-1-Unicode-SSP-v1.0.pdf")
    # What goes on the wire: one line per header, nothing injected.
    names = [line.split(b":", 1)[0] for line in response.serialize_headers().split(b"\r\n")]
    assert sorted(names) == [b"Content-Disposition", b"Content-Type"]


# Any text at all, as users type it or files bring it: every Unicode category, lone surrogates included.
ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=300)


@given(st.lists(ANY_TEXT, min_size=1, max_size=4), st.sampled_from(["pdf", "docx", "csv", "xlsx", "json", "ics"]))
def test_any_name_is_safe_everywhere_and_reads_back_the_same(parts, extension):
    result = download_name(*parts, extension=extension)
    for name in (result.name, result.ascii):
        stem = name.removesuffix(f".{extension}")
        assert name.endswith(f".{extension}") and stem
        assert len(stem.encode("utf-8")) <= MAX_STEM_BYTES
        assert not FORBIDDEN & set(name) and not any(c.isspace() for c in name)
        assert stem[0] not in ".-" and stem[-1] not in ".-" and ".." not in name and "--" not in name
        for char in stem:  # letters, digits, marks on them, dots and dashes; joiners only inside words
            category = unicodedata.category(char)
            assert category[0] in "LNM" or char in ".-" or char in "\u200c\u200d", (name, char)
    assert re.fullmatch(rf"[A-Za-z0-9][A-Za-z0-9.-]*\.{extension}", result.ascii)
    response = HttpResponse(b"", headers={"Content-Disposition": result.header})
    assert saved_as(response) == (result.name, result.ascii)


@given(ANY_TEXT)
def test_a_clean_name_stays_as_it_is(part):
    name = download_name(part, extension="pdf").name
    assert download_name(name.removesuffix(".pdf"), extension="pdf").name == name
