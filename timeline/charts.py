"""The score trend across snapshots, as server-rendered SVG in the style of assessments/charts.py: no JavaScript,
no inline ``style``, every text escaped here, the meaning also written out in the ``desc``."""

from collections.abc import Sequence
from html import escape

from django.utils.safestring import SafeString, mark_safe

from assessments.charts import CONDITIONAL_BAND, INK, MIN_SCORE, MUTED
from assessments.scoring import CONDITIONAL_THRESHOLD, MAX_SCORE

from .models import Snapshot


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def score_trend(snapshots: Sequence[Snapshot], *, organization: str = "", id_prefix: str = "trend") -> SafeString:
    """One point per snapshot, in the order taken: its SPRS score, or a hollow point at its worst-case arithmetic
    when no score existed (no SSP then). The y axis runs from the lowest value shown (at most 0) to 110."""
    width, left, right, top, bottom = 640, 48, 616, 16, 176
    height = bottom + 40
    values = [s.score if s.score is not None else s.worst_case_score for s in snapshots]
    low = max(MIN_SCORE, min([0, *values]))

    def y(value: int) -> float:
        value = max(low, min(MAX_SCORE, value))
        return round(bottom - (value - low) * (bottom - top) / (MAX_SCORE - low), 1)

    def x(index: int) -> float:
        if len(snapshots) <= 1:
            return (left + right) / 2
        return round(left + index * (right - left) / (len(snapshots) - 1), 1)

    who = f" for {organization}" if organization else ""
    t_id, d_id = f"{id_prefix}-title", f"{id_prefix}-desc"
    desc = "; ".join(
        f"snapshot {s.number} ({s.taken_at:%Y-%m-%d}): " + (f"score {s.score}" if s.score is not None
                                                           else f"no score (arithmetic {s.worst_case_score})")
        for s in snapshots) or "No snapshot yet."
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart trend-chart" viewBox="0 0 {width} {height}" '
        f'role="img" aria-labelledby="{_e(t_id)} {_e(d_id)}" font-size="13" fill="{INK}">',
        f'<title id="{_e(t_id)}">{_e(f"SPRS score across snapshots{who}")}</title>',
        f'<desc id="{_e(d_id)}">{_e(desc)}</desc>',
        f'<rect x="{left}" y="{y(MAX_SCORE)}" width="{right - left}" '
        f'height="{round(y(CONDITIONAL_THRESHOLD) - y(MAX_SCORE), 1)}" fill="{CONDITIONAL_BAND}"/>',
        f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="{INK}"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{bottom}" stroke="{INK}"/>',
    ]
    for value in sorted({low, 0, CONDITIONAL_THRESHOLD, MAX_SCORE}):
        parts.append(f'<text x="{left - 6}" y="{y(value) + 4}" text-anchor="end" fill="{MUTED}">{int(value)}</text>')
    if len(snapshots) > 1:
        points = " ".join(f"{x(i)},{y(v)}" for i, v in enumerate(values))
        parts.append(f'<polyline points="{points}" fill="none" stroke="{INK}" stroke-width="2"/>')
    for index, (snapshot, value) in enumerate(zip(snapshots, values, strict=True)):
        fill = INK if snapshot.score is not None else "#ffffff"
        parts.append(f'<circle class="trend-point" data-number="{int(snapshot.number)}" '
                     f'data-score="{"" if snapshot.score is None else int(snapshot.score)}" cx="{x(index)}" '
                     f'cy="{y(value)}" r="5" fill="{fill}" stroke="{INK}" stroke-width="2"/>')
    if len(snapshots) <= 12:  # beyond that the numbers would overlap; the desc and the table still give each
        for index, snapshot in enumerate(snapshots):
            parts.append(f'<text x="{x(index)}" y="{bottom + 18}" text-anchor="middle" fill="{MUTED}">'
                         f"{int(snapshot.number)}</text>")
    parts.append(f'<text x="{(left + right) / 2}" y="{bottom + 34}" text-anchor="middle" fill="{MUTED}">'
                 "Snapshot number (hollow: no SSP, so no score; the point shows the arithmetic)</text>")
    parts.append("</svg>")
    return mark_safe("".join(parts))  # nosec B308 B703 - every text and attribute value above is escaped or numeric
