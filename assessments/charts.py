"""Server-side SVG charts for the results page: a score gauge and points lost per family.

Plain functions returning markup strings; no JavaScript, no inline ``style`` (the CSP forbids it): colours are SVG
presentation attributes, sizing comes from the ``chart`` class in static/css/app.css. Every piece of text is escaped
here, and only the finished markup is marked safe. Colours are dark-on-light so the charts survive a black-and-white
printer; the meaning is always also written as text.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from django.utils.safestring import SafeString, mark_safe

from .scoring import CONDITIONAL_THRESHOLD, MAX_SCORE

MIN_SCORE = -203  # 110 minus the 313 points of all deductions (shared/reference/scoring-rules.md)

INK = "#212529"
MUTED = "#6c757d"
TRACK = "#f8f9fa"
LOST = "#842029"
BELOW_BAND = "#f1aeb5"
CONDITIONAL_BAND = "#ffe69c"
FINAL_MARK = "#0f5132"


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _signed(value: int) -> str:
    # A real minus sign reads better than a hyphen, in print too.
    return f"−{-value}" if value < 0 else str(value)


def score_gauge(score: int | None, *, organization: str = "", id_prefix: str = "gauge") -> SafeString:
    """A horizontal gauge from -203 to 110 marking Conditional (88) and Final (110); no needle without a score."""
    width, left, right = 640, 24, 616
    track_y, track_h = 46, 22

    def x(value: int) -> float:
        value = max(MIN_SCORE, min(MAX_SCORE, value))
        return round(left + (value - MIN_SCORE) * (right - left) / (MAX_SCORE - MIN_SCORE), 1)

    x88, x110 = x(CONDITIONAL_THRESHOLD), x(MAX_SCORE)
    who = f" for {organization}" if organization else ""
    if score is None:
        title = f"SPRS score gauge{who}: no score yet"
        desc = (
            f"No score yet. The scale runs from {MIN_SCORE} to {MAX_SCORE}; {CONDITIONAL_THRESHOLD} is the "
            f"Conditional threshold and {MAX_SCORE} is Final."
        )
    else:
        title = f"SPRS score gauge{who}: {score} of {MAX_SCORE}"
        desc = (
            f"Score {score} of {MAX_SCORE}, on a scale from {MIN_SCORE} to {MAX_SCORE}. "
            f"{CONDITIONAL_THRESHOLD} is the Conditional threshold and {MAX_SCORE} is Final."
        )
    t_id, d_id = f"{id_prefix}-title", f"{id_prefix}-desc"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart gauge" viewBox="0 0 {width} 120" role="img" '
        f'aria-labelledby="{_e(t_id)} {_e(d_id)}" font-size="13" fill="{INK}">',
        f'<title id="{_e(t_id)}">{_e(title)}</title>',
        f'<desc id="{_e(d_id)}">{_e(desc)}</desc>',
        # Bands: below 88 (no Conditional status possible), 88 to 109 (Conditional possible), then Final at 110.
        f'<rect x="{left}" y="{track_y}" width="{x88 - left}" height="{track_h}" fill="{BELOW_BAND}"/>',
        f'<rect x="{x88}" y="{track_y}" width="{round(x110 - x88, 1)}" height="{track_h}" fill="{CONDITIONAL_BAND}"/>',
        f'<rect x="{left}" y="{track_y}" width="{right - left}" height="{track_h}" fill="none" stroke="{INK}"/>',
    ]
    for value, anchor in ((MIN_SCORE, "start"), (-100, "middle"), (0, "middle")):
        parts.append(f'<line x1="{x(value)}" y1="{track_y + track_h}" x2="{x(value)}" y2="{track_y + track_h + 5}" '
                     f'stroke="{INK}"/>')
        parts.append(f'<text x="{x(value)}" y="{track_y + track_h + 18}" text-anchor="{anchor}">'
                     f"{_e(_signed(value))}</text>")
    parts += [
        f'<line class="mark-88" x1="{x88}" y1="{track_y - 6}" x2="{x88}" y2="{track_y + track_h + 6}" '
        f'stroke="{INK}" stroke-width="2" stroke-dasharray="4 2"/>',
        f'<text x="{x88}" y="{track_y + track_h + 18}" text-anchor="end">{CONDITIONAL_THRESHOLD}</text>',
        f'<text x="{x88 - 4}" y="{track_y + track_h + 34}" text-anchor="end" fill="{MUTED}">Conditional</text>',
        f'<line class="mark-110" x1="{x110}" y1="{track_y - 6}" x2="{x110}" y2="{track_y + track_h + 6}" '
        f'stroke="{FINAL_MARK}" stroke-width="3"/>',
        f'<text x="{x110}" y="{track_y + track_h + 18}" text-anchor="end">{MAX_SCORE}</text>',
        f'<text x="{x110}" y="{track_y + track_h + 34}" text-anchor="end" fill="{MUTED}">Final</text>',
    ]
    if score is None:
        parts.append(f'<text x="{width / 2}" y="{track_y - 12}" text-anchor="middle" font-weight="bold">'
                     "No score yet</text>")
    else:
        sx = x(score)
        anchor = "start" if sx < left + 40 else ("end" if sx > right - 40 else "middle")
        parts += [
            f'<polygon class="score-marker" data-score="{int(score)}" '
            f'points="{sx - 8},{track_y - 18} {sx + 8},{track_y - 18} {sx},{track_y - 2}" fill="{INK}"/>',
            f'<line x1="{sx}" y1="{track_y}" x2="{sx}" y2="{track_y + track_h}" stroke="{INK}" stroke-width="3"/>',
            f'<text x="{sx}" y="{track_y - 24}" text-anchor="{anchor}" font-weight="bold">'
            f"{_e(_signed(score))} of {MAX_SCORE}</text>",
        ]
    parts.append("</svg>")
    return mark_safe("".join(parts))  # nosec B308 B703 - every text and attribute value above is escaped or numeric


@dataclass(frozen=True)
class FamilyLoss:
    code: str
    name: str
    lost: int  # points lost now (unanswered counted as not met)
    possible: int  # the family's total point value


def family_bars(rows: Sequence[FamilyLoss], *, organization: str = "", id_prefix: str = "family-chart") -> SafeString:
    """Horizontal bars: points lost per family, drawn over the family's total value on one shared scale."""
    width, label_w, bar_x, bar_w = 640, 300, 308, 250
    row_h, top = 26, 8
    height = top * 2 + row_h * max(len(rows), 1)
    scale = max((max(r.possible, r.lost) for r in rows), default=0) or 1
    total = sum(r.lost for r in rows)
    who = f" for {organization}" if organization else ""
    t_id, d_id = f"{id_prefix}-title", f"{id_prefix}-desc"
    lost_rows = [r for r in rows if r.lost]
    desc = f"{total} points lost in total. " + (
        "; ".join(f"{r.code} {r.name}: {r.lost} of {r.possible}" for r in lost_rows) if lost_rows
        else "No family loses points."
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart family-chart" viewBox="0 0 {width} {height}" '
        f'role="img" aria-labelledby="{_e(t_id)} {_e(d_id)}" font-size="13" fill="{INK}">',
        f'<title id="{_e(t_id)}">{_e(f"Points lost per family{who}")}</title>',
        f'<desc id="{_e(d_id)}">{_e(desc)}</desc>',
    ]
    for index, row in enumerate(rows):
        y = top + index * row_h
        possible_w = round(bar_w * row.possible / scale, 1)
        lost_w = round(bar_w * row.lost / scale, 1)
        label = f"{row.code} {row.name}"
        if len(label) > 44:
            label = label[:43] + "…"
        parts += [
            f'<g class="family-bar" data-family="{_e(row.code)}" data-lost="{int(row.lost)}">',
            f'<text x="{label_w}" y="{y + 17}" text-anchor="end">{_e(label)}</text>',
            f'<rect x="{bar_x}" y="{y + 4}" width="{possible_w}" height="{row_h - 8}" fill="{TRACK}" '
            f'stroke="{MUTED}"/>',
            f'<rect class="lost" x="{bar_x}" y="{y + 4}" width="{lost_w}" height="{row_h - 8}" fill="{LOST}"/>',
            f'<text x="{bar_x + bar_w + 8}" y="{y + 17}">{_e(_signed(-row.lost) if row.lost else "0")} '
            f'<tspan fill="{MUTED}">of {int(row.possible)}</tspan></text>',
            "</g>",
        ]
    parts.append("</svg>")
    return mark_safe("".join(parts))  # nosec B308 B703 - every text and attribute value above is escaped or numeric
