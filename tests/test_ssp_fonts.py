"""ssp/fonts.py: what users type in other scripts prints as typed, with only the fonts the text needs."""

import io

import pytest
from django.contrib.staticfiles import finders
from fontTools.ttLib import TTFont
from pypdf import PdfReader

from assessments.models import Answer
from ssp import fonts, render_pdf
from ssp.document import build_document

from .ssp_helpers import answer_all, complete, pdf_text, plan_for, start_assessment

# A phrase per script, by the fallback that draws it. (Text extraction of scripts with vowel signs written before
# their consonant, Bengali for one, gives the glyphs in visual order: those are left out of what pdftotext reads.)
SCRIPTS = {
    "SSP-Noto-Ethiopic": "የደህንነት እቅድ",
    "SSP-Noto-Devanagari": "सुरक्षा योजना",
    "SSP-Noto-Tamil": "பாதுகாப்பு திட்டம்",
    "SSP-Noto-Thai": "แผนความปลอดภัย",
    "SSP-Noto-Cherokee": "ᏣᎳᎩ ᎦᏬᏂᎯᏍᏗ",
    "SSP-Noto-CJK": "安全计划",
    "SSP-Noto-Emoji": "\U0001f6e1\ufe0f",
}


def embedded_fonts(pdf: bytes) -> dict[str, bytes]:
    """Each embedded font program by its PDF font name (subset prefix removed)."""
    found = {}
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            font = font.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
            program = descriptor.get("/FontFile2") or descriptor.get("/FontFile3")
            found[str(font["/BaseFont"]).split("+", 1)[-1]] = program.get_object().get_data()
    return found


def test_every_fallback_font_is_installed_and_served_as_a_static_file():
    for path in (*fonts.BASE_FONTS, *(f.path for f in fonts.FALLBACKS)):
        assert finders.find(path), path  # .ci/run and the Dockerfile install the Debian packages
    assert len({f.family for f in fonts.FALLBACKS}) == len(fonts.FALLBACKS)


def test_english_text_needs_no_fallback_and_other_scripts_only_the_fonts_they_need():
    assert fonts.fallbacks_for("Access control — “quoted”, café, Zoë, naïve, 10 °C, € £ ±\u200b\n\t") == []
    # Arabic, Hebrew, Greek, Cyrillic and Georgian are in DejaVu Sans already.
    assert fonts.fallbacks_for("مرحبا שלום Καλημέρα Привет გამარჯობა") == []
    chosen = fonts.fallbacks_for("".join(SCRIPTS.values()))
    assert [f.family for f, _ in chosen] == list(SCRIPTS)  # in FALLBACKS order: the order Pango tries them in
    # Neither a private-use character (no font has one) nor format characters call for a font.
    assert fonts.fallbacks_for("\ue000\u200d\ufe0f\u2060") == []


@pytest.mark.parametrize(("text", "face"), [
    ("安全计划", "NotoSansCJKsc-Regular"),  # Han alone: Simplified Chinese
    ("セキュリティ計画", "NotoSansCJKjp-Regular"),  # kana: Japanese
    ("보안 계획", "NotoSansCJKkr-Regular"),  # Hangul: Korean
])
def test_the_cjk_font_of_the_collection_follows_the_text(text, face):
    [(fallback, chosen)] = fonts.fallbacks_for(text)
    assert fallback.family == "SSP-Noto-CJK" and chosen == face
    assert f'src: url("{render_pdf.STATIC_BASE}{fallback.path}#{face}")' in fonts.stylesheet([(fallback, chosen)],
                                                                                           render_pdf.STATIC_BASE)


def test_a_font_of_a_collection_is_cut_out_as_a_font_file_of_its_own():
    from pathlib import Path

    path = Path(finders.find("vendor/noto-cjk/NotoSansCJK-Regular.ttc"))
    data = fonts.collection_face(path, "NotoSansCJKkr-Regular")
    font = TTFont(io.BytesIO(data))
    assert font["name"].getDebugName(6) == "NotoSansCJKkr-Regular"
    assert ord("보") in font.getBestCmap() and len(data) < path.stat().st_size
    with pytest.raises(ValueError, match="no such font"):
        fonts.collection_face(path, "NotoSansCJKxx-Regular")
    with pytest.raises(ValueError, match="not a font collection"):
        fonts.collection_face(Path(finders.find("vendor/dejavu/DejaVuSans.ttf")), "DejaVuSans")


def test_the_stylesheet_lists_the_fallbacks_after_dejavu_in_the_order_given():
    chosen = fonts.fallbacks_for("सुरक्षा 安全")
    css = fonts.stylesheet(chosen, "https://ssp.invalid/static/")
    assert css.count("@font-face") == 2
    assert 'html { font-family: "SSP Sans", SSP-Noto-Devanagari, SSP-Noto-CJK; }' in css


@pytest.mark.django_db
def test_text_in_other_scripts_prints_as_typed_and_reads_only_the_fonts_it_needs(client):
    assessment = start_assessment(client)
    answer_all(assessment)
    ssp = complete(plan_for(assessment))
    ssp.system_name = "Enclave 安全计划"
    ssp.save()
    typed = " / ".join(SCRIPTS.values())
    Answer.objects.filter(assessment=assessment, requirement__nist_id="3.1.1").update(note=f"Names: {typed}.")
    doc = build_document(ssp)
    fetcher = render_pdf.LocalOnlyFetcher(render_pdf.assets_for(doc))
    pdf = render_pdf.html_to_pdf(render_pdf.render_html(doc), fetcher=fetcher)
    assert fetcher.refused == []
    fallbacks = {f.family: f for f in fonts.FALLBACKS}
    expected = {f"{render_pdf.STATIC_BASE}{fallbacks[family].path}" for family in SCRIPTS}
    read = {url.split("#")[0] for url in fetcher.served if "/vendor/noto" in url}
    assert read == expected
    text = pdf_text(pdf)
    for words in SCRIPTS.values():
        assert words.replace("\ufe0f", "") in text.replace("\ufe0f", ""), words
    # The running header quotes the system name: the page margins use the fallbacks too.
    assert "ENCLAVE 安全计划 SYSTEM SECURITY PLAN" in text
    programs = embedded_fonts(pdf)
    assert set(programs) >= {"SSP-Sans", *(family for family in SCRIPTS if family != "SSP-Noto-Emoji")}
    # Pango draws an emoji-presentation sequence with a colour font: ours, or the system's copy of the same Debian
    # font (fonts-noto-color-emoji), under its own name.
    assert {"SSP-Noto-Emoji", "Noto-Color-Emoji"} & set(programs)
    # The Chinese text is set in the Simplified Chinese font of the collection, not the collection's first.
    assert "Noto Sans CJK SC".encode("utf-16-be") in programs["SSP-Noto-CJK"]
