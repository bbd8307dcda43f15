import xml.etree.ElementTree as ET

import pytest
from django.utils.safestring import SafeString

from assessments.charts import MIN_SCORE, FamilyLoss, family_bars, score_gauge

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = '<script>alert("x")</script> & Sons "Ltd"'


def parse(markup: str) -> ET.Element:
    return ET.fromstring(str(markup))


def marker_x(svg: ET.Element) -> float:
    marker = svg.find(f".//{SVG}polygon[@class='score-marker']")
    assert marker is not None
    return float(marker.get("points").split()[-1].split(",")[0])  # the tip of the triangle


def line_x(svg: ET.Element, cls: str) -> float:
    line = svg.find(f".//{SVG}line[@class='{cls}']")
    assert line is not None
    return float(line.get("x1"))


def test_gauge_is_well_formed_accessible_svg_marked_safe():
    markup = score_gauge(95, organization="Acme")
    assert isinstance(markup, SafeString)
    svg = parse(markup)
    assert svg.get("role") == "img"
    title, desc = svg.find(f"{SVG}title"), svg.find(f"{SVG}desc")
    assert title.text == "SPRS score gauge for Acme: 95 of 110"
    assert "Score 95 of 110" in desc.text and "-203" in desc.text and "88" in desc.text
    assert svg.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"


def test_gauge_places_the_marker_between_the_88_and_110_marks_in_proportion():
    svg = parse(score_gauge(99))
    x88, x110 = line_x(svg, "mark-88"), line_x(svg, "mark-110")
    assert x88 < marker_x(svg) < x110
    assert marker_x(svg) == pytest.approx((x88 + x110) / 2, abs=0.2)  # 99 is halfway between 88 and 110
    assert marker_x(parse(score_gauge(110))) == pytest.approx(x110)
    assert marker_x(parse(score_gauge(88))) == pytest.approx(x88)


def test_gauge_scale_runs_from_minus_203():
    low, zero, high = (marker_x(parse(score_gauge(v))) for v in (MIN_SCORE, 0, 110))
    assert MIN_SCORE == -203
    assert (zero - low) / (high - low) == pytest.approx(203 / 313, abs=0.001)


def test_gauge_without_a_score_has_no_marker_and_says_so():
    svg = parse(score_gauge(None, organization="Acme"))
    assert svg.find(f".//{SVG}polygon") is None
    assert "no score yet" in svg.find(f"{SVG}title").text
    assert "No score yet" in "".join(svg.itertext())
    assert "110" not in svg.find(f"{SVG}title").text  # never a flattering number when there is none


def test_gauge_escapes_a_hostile_organisation_name():
    markup = str(score_gauge(50, organization=HOSTILE))
    assert "<script>" not in markup and '"x"' not in markup
    assert "&lt;script&gt;" in markup
    assert parse(markup).find(f"{SVG}title").text == f"SPRS score gauge for {HOSTILE}: 50 of 110"


def test_charts_use_no_inline_style():
    rows = [FamilyLoss("AC", "Access Control", 10, 39)]
    for markup in (score_gauge(-12), score_gauge(None), family_bars(rows)):
        svg = parse(markup)
        assert all("style" not in el.attrib for el in svg.iter())
        assert svg.find(f".//{SVG}style") is None


ROWS = [
    FamilyLoss("AC", "Access Control", 12, 40),
    FamilyLoss("AT", "Awareness and Training", 0, 7),
    FamilyLoss("SC", "System and Communications Protection", 40, 40),
]


def test_family_bars_draw_lost_points_on_one_scale_with_labels():
    svg = parse(family_bars(ROWS, organization="Acme"))
    groups = svg.findall(f"{SVG}g")
    assert [g.get("data-family") for g in groups] == ["AC", "AT", "SC"]
    widths = [float(g.find(f"{SVG}rect[@class='lost']").get("width")) for g in groups]
    assert widths[1] == 0
    assert widths[0] == pytest.approx(widths[2] * 12 / 40, abs=0.2)
    text = "".join(svg.itertext())
    assert "SC System and Communications Protection" in text
    assert "−12" in text and "of 40" in text
    assert svg.find(f"{SVG}title").text == "Points lost per family for Acme"
    assert svg.find(f"{SVG}desc").text.startswith("52 points lost in total.")
    assert "AT" not in svg.find(f"{SVG}desc").text  # families that lose nothing are not listed as losses


def test_family_bars_escape_a_hostile_family_name():
    markup = str(family_bars([FamilyLoss("AC", HOSTILE, 3, 5)], organization=HOSTILE))
    assert "<script>" not in markup
    svg = parse(markup)
    assert HOSTILE[:20] in "".join(svg.find(f"{SVG}g").itertext())
    assert HOSTILE in svg.find(f"{SVG}desc").text


def test_family_bars_with_nothing_lost_and_no_rows_still_render():
    assert "No family loses points" in parse(family_bars([FamilyLoss("AC", "Access Control", 0, 40)])).find(
        f"{SVG}desc").text
    assert parse(family_bars([])).find(f"{SVG}g") is None
