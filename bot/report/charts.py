"""Inline SVG charts for the committee report: drawn in Python, no scripts, readable without colour."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape

# Okabe-Ito colours: distinguishable with the common colour-vision deficiencies, and dark enough on white.
CLAUSE_COLOURS: Mapping[str, str] = {
    "5.5.1": "#D55E00",
    "5.5.2": "#CC79A7",
    "5.5.3": "#E69F00",
    "5.5.4": "#56B4E9",
    "5.5.5": "#0072B2",
    "5.2": "#009E73",
}
_SPARE_COLOURS = ("#7F7F7F", "#B8860B", "#4B0082", "#2F4F4F", "#8B4513")
DELIVERY_COLOURS: Mapping[str, str] = {
    "delivered": "#009E73",
    "pending": "#F0E442",
    "refused": "#D55E00",
    "failed": "#CC79A7",
}
INK = "#1f2328"
MUTED = "#57606a"
GRID = "#d0d7de"
# The drawing widths: the desktop chart, and the phone's (a 390 px screen less the page's margins), so a phone
# draws text at its real size instead of shrinking a desktop chart or scrolling it sideways.
WIDE_WIDTH = 760
COMPACT_WIDTH = 360
WEEK_LABEL_PX = 64


def clause_colour(clause: str, order: Sequence[str]) -> str:
    """The colour of a clause: fixed for the 5.5.x clauses and 5.2, a spare colour for any other."""
    if clause in CLAUSE_COLOURS:
        return CLAUSE_COLOURS[clause]
    others = [c for c in order if c not in CLAUSE_COLOURS]
    index = others.index(clause) if clause in others else 0
    return _SPARE_COLOURS[index % len(_SPARE_COLOURS)]


def nice_ceiling(value: int) -> int:
    """The smallest 1, 2 or 5 times a power of ten at or above `value` (at least 1): the top of a y axis."""
    if value <= 1:
        return 1
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


def _ticks(top: int) -> list[int]:
    step = max(1, top // 5) if top > 5 else 1
    return list(range(0, top + 1, step))


def _svg_open(chart_id: str, width: int, height: int, title: str, desc: str, *, compact: bool = False) -> str:
    layout = "chart compact" if compact else "chart wide"
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="{layout}" id="{escape(chart_id)}" '
            f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
            f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc">'
            f'<title id="{escape(chart_id)}-title">{escape(title)}</title>'
            f'<desc id="{escape(chart_id)}-desc">{escape(desc)}</desc>')


@dataclass(frozen=True, slots=True)
class Segment:
    """One coloured part of a bar: what it counts, how many, and its colour."""

    label: str
    value: int
    colour: str


def stacked_columns(chart_id: str, title: str, desc: str, columns: Sequence[tuple[str, Sequence[Segment]]],
                    *, compact: bool = False) -> str:
    """Vertical stacked bars (one column per label, e.g. an ISO week), each segment a `rect` with a tooltip.

    `compact` draws the same chart for a phone's width: fewer axis labels, so none overlaps another.
    """
    width, height = (COMPACT_WIDTH, 260) if compact else (WIDE_WIDTH, 300)
    left, right, top_margin, bottom = 44, 12, 14, 46
    plot_w, plot_h = width - left - right, height - top_margin - bottom
    totals = [sum(s.value for s in segs) for _, segs in columns]
    top = nice_ceiling(max(totals, default=0))
    parts = [_svg_open(chart_id, width, height, title, desc, compact=compact)]
    for tick in _ticks(top):
        y = top_margin + plot_h - plot_h * tick / top
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}" '
                     'stroke-width="1"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="12" '
                     f'fill="{MUTED}">{tick}</text>')
    if not columns:
        parts.append(f'<text x="{width / 2:.0f}" y="{height / 2:.0f}" text-anchor="middle" font-size="14" '
                     f'fill="{MUTED}">No incidents in this period</text></svg>')
        return "".join(parts)
    band = plot_w / len(columns)
    bar_w = min(56.0, band * 0.7)
    # An ISO week label is about 60 px wide at 12 px: label every n-th column so that labels never overlap.
    label_every = max(1, math.ceil(WEEK_LABEL_PX / band))
    for index, ((label, segments), total) in enumerate(zip(columns, totals, strict=True)):
        x = left + band * index + (band - bar_w) / 2
        y = top_margin + plot_h
        parts.append(f'<g class="bar" data-label="{escape(label)}" data-total="{total}">')
        for segment in segments:
            if segment.value <= 0:
                continue
            h = plot_h * segment.value / top
            y -= h
            parts.append(f'<rect class="segment" x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                         f'fill="{segment.colour}" stroke="#ffffff" stroke-width="1">'
                         f'<title>{escape(label)}: {escape(segment.label)}, {segment.value}</title></rect>')
        parts.append("</g>")
        if total:
            parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle" font-size="12" '
                         f'fill="{INK}">{total}</text>')
        if index % label_every == 0:
            parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{top_margin + plot_h + 18:.1f}" text-anchor="middle" '
                         f'font-size="12" fill="{INK}">{escape(label)}</text>')
    parts.append(f'<line x1="{left}" x2="{width - right}" y1="{top_margin + plot_h}" y2="{top_margin + plot_h}" '
                 f'stroke="{INK}" stroke-width="1"/>')
    parts.append(f'<text x="{left + plot_w / 2:.0f}" y="{height - 6}" text-anchor="middle" font-size="12" '
                 f'fill="{MUTED}">ISO week</text>')
    parts.append("</svg>")
    return "".join(parts)


def horizontal_bars(chart_id: str, title: str, desc: str, rows: Sequence[tuple[str, Sequence[Segment]]],
                    *, compact: bool = False) -> str:
    """Horizontal stacked bars, one row per label (e.g. a rule id), with the total at the end of each bar.

    `compact` puts each label on its own line above its bar, so a long rule id and a readable bar both fit a
    phone's width.
    """
    width = COMPACT_WIDTH if compact else WIDE_WIDTH
    row_height, label_width = (42, 0) if compact else (26, 230)
    bar_top, bar_height = (20, 16) if compact else (4, 18)
    top_margin, bottom = 8, 8
    height = top_margin + bottom + row_height * max(1, len(rows))
    plot_w = width - label_width - 56
    largest = max((sum(s.value for s in segs) for _, segs in rows), default=0)
    parts = [_svg_open(chart_id, width, height, title, desc, compact=compact)]
    if not rows:
        parts.append(f'<text x="{width / 2:.0f}" y="{height / 2 + 4:.0f}" text-anchor="middle" font-size="14" '
                     f'fill="{MUTED}">Nothing to show in this period</text></svg>')
        return "".join(parts)
    for index, (label, segments) in enumerate(rows):
        y = top_margin + row_height * index
        total = sum(s.value for s in segments)
        if compact:
            parts.append(f'<text x="0" y="{y + 14:.1f}" font-size="13" fill="{INK}">{escape(label)}</text>')
        else:
            parts.append(f'<text x="{label_width - 8}" y="{y + row_height / 2 + 4:.1f}" text-anchor="end" '
                         f'font-size="13" fill="{INK}">{escape(label)}</text>')
        parts.append(f'<g class="bar" data-label="{escape(label)}" data-total="{total}">')
        x = float(label_width)
        for segment in segments:
            if segment.value <= 0:
                continue
            w = plot_w * segment.value / largest
            parts.append(f'<rect class="segment" x="{x:.1f}" y="{y + bar_top:.1f}" width="{w:.1f}" '
                         f'height="{bar_height}" fill="{segment.colour}" stroke="#ffffff" stroke-width="1">'
                         f'<title>{escape(label)}: {escape(segment.label)}, {segment.value}</title></rect>')
            x += w
        parts.append("</g>")
        parts.append(f'<text x="{x + 6:.1f}" y="{y + bar_top + bar_height / 2 + 4:.1f}" font-size="12" '
                     f'fill="{INK}">{total}</text>')
    parts.append("</svg>")
    return "".join(parts)


def proportion_bar(chart_id: str, title: str, desc: str, segments: Sequence[Segment],
                   *, compact: bool = False) -> str:
    """One 100% bar split into parts (e.g. nudges delivered, refused, failed), each labelled with its share.

    `compact` draws it at a phone's width; a part too narrow for its label is named in the legend below.
    """
    width, height = (COMPACT_WIDTH if compact else WIDE_WIDTH), 44
    total = sum(s.value for s in segments)
    parts = [_svg_open(chart_id, width, height, title, desc, compact=compact)]
    if total == 0:
        parts.append(f'<rect x="0" y="4" width="{width}" height="{height - 8}" fill="#f6f8fa" stroke="{GRID}"/>'
                     f'<text x="{width / 2:.0f}" y="{height / 2 + 5:.0f}" text-anchor="middle" font-size="13" '
                     f'fill="{MUTED}">No nudges in this period</text></svg>')
        return "".join(parts)
    parts.append('<g class="bar" data-label="all" data-total="' + str(total) + '">')
    x = 0.0
    labels: list[str] = []
    for segment in segments:
        if segment.value <= 0:
            continue
        w = width * segment.value / total
        parts.append(f'<rect class="segment" x="{x:.1f}" y="4" width="{w:.1f}" height="{height - 8}" '
                     f'fill="{segment.colour}" stroke="#ffffff" stroke-width="1">'
                     f'<title>{escape(segment.label)}: {segment.value} of {total}</title></rect>')
        if w > 90:
            labels.append(f'<text x="{x + 8:.1f}" y="{height / 2 + 5:.0f}" font-size="13" fill="#000000">'
                          f'{escape(segment.label)} {round(100 * segment.value / total)}%</text>')
        x += w
    parts.append("</g>")
    parts.extend(labels)
    parts.append("</svg>")
    return "".join(parts)
