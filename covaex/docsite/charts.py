"""The improvement priority matrix (impact x effort) as a small, reproducible SVG.

Drawn by hand rather than with a plotting library: a dozen shapes, no
timestamps or random ids, so the file only changes when the data does. Items
are labelled by id; the page's table carries the (possibly Korean) text.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

SIZE = 460  # plot square, px
PAD = 60  # room for axis labels
SCALE_MAX = 5
MID = 2.5  # between 2 and 3: where low turns high on both axes


@dataclass(frozen=True)
class MatrixItem:
    id: str
    item: str
    impact: int
    effort: int

    @property
    def quadrant(self) -> str:
        high_impact = self.impact > MID
        low_effort = self.effort <= MID
        if high_impact:
            return "Quick win" if low_effort else "Major project"
        return "Fill-in" if low_effort else "Later"


def matrix_items(raw: Sequence[Mapping[str, Any]]) -> list[MatrixItem]:
    items = [MatrixItem(str(r["id"]), str(r["item"]), int(r["impact"]), int(r["effort"])) for r in raw]
    for it in items:
        if not (1 <= it.impact <= SCALE_MAX and 1 <= it.effort <= SCALE_MAX):
            raise ValueError(f"{it.id}: impact and effort must be 1..{SCALE_MAX}")
    return sorted(items, key=lambda it: (-it.impact, it.effort, it.id))


def priority_matrix_svg(items: Sequence[MatrixItem]) -> str:
    width = height = SIZE + 2 * PAD
    half = SIZE / 2  # centre of the plot, for the axis titles

    def x(effort: float) -> float:
        return PAD + (effort - 0.5) / SCALE_MAX * SIZE

    def y(impact: float) -> float:
        return PAD + SIZE - (impact - 0.5) / SCALE_MAX * SIZE

    # Quadrant lines sit between 2 and 3 on both axes: impact 3+ is high, effort 3+ is high,
    # the same cut `MatrixItem.quadrant` uses, so no point ever sits on a line.
    cut_x, cut_y = x(MID), y(MID)
    left, right, top, bottom = PAD, PAD + SIZE, PAD, PAD + SIZE
    quadrants = [
        (left, top, cut_x - left, cut_y - top, "#d9f2e3", "Quick wins", "start", left + 8, top + 20),
        (cut_x, top, right - cut_x, cut_y - top, "#fde8c8", "Major projects", "end", right - 8, top + 20),
        (left, cut_y, cut_x - left, bottom - cut_y, "#e4ecf7", "Fill-ins", "start", left + 8, bottom - 10),
        (cut_x, cut_y, right - cut_x, bottom - cut_y, "#eeeeee", "Later", "end", right - 8, bottom - 10),
    ]
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        'font-family="sans-serif" role="img" aria-label="Priority matrix: impact by effort">',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
    ]
    for qx, qy, qw, qh, fill, _label, _anchor, _lx, _ly in quadrants:
        parts.append(f'<rect x="{qx:.0f}" y="{qy:.0f}" width="{qw:.0f}" height="{qh:.0f}" fill="{fill}"/>')
    for *_box, label, anchor, lx, ly in quadrants:
        # A white halo keeps a label readable where a point overlaps it.
        parts.append(
            f'<text x="{lx:.0f}" y="{ly:.0f}" font-size="15" font-weight="bold" fill="#555" text-anchor="{anchor}" '
            f'stroke="#ffffff" stroke-width="3" paint-order="stroke">{label}</text>'
        )
    parts.append(
        f'<rect x="{PAD}" y="{PAD}" width="{SIZE}" height="{SIZE}" fill="none" stroke="#888" stroke-width="1"/>'
    )
    for tick in range(1, SCALE_MAX + 1):
        tick_style = 'font-size="12" fill="#333"'
        parts.append(f'<text x="{x(tick):.0f}" y="{PAD + SIZE + 18}" {tick_style} text-anchor="middle">{tick}</text>')
        parts.append(f'<text x="{PAD - 10}" y="{y(tick) + 4:.0f}" {tick_style} text-anchor="end">{tick}</text>')
    parts.append(
        f'<text x="{PAD + half:.0f}" y="{height - 14}" font-size="14" text-anchor="middle" fill="#222">'
        "effort (1 low - 5 high)</text>"
    )
    parts.append(
        f'<text x="18" y="{PAD + half:.0f}" font-size="14" text-anchor="middle" fill="#222" '
        f'transform="rotate(-90 18 {PAD + half:.0f})">impact (1 low - 5 high)</text>'
    )
    # Items on the same cell are fanned out sideways so their labels stay readable.
    cells: dict[tuple[int, int], list[MatrixItem]] = defaultdict(list)
    for it in items:
        cells[(it.effort, it.impact)].append(it)
    for (effort, impact), group in sorted(cells.items()):
        for i, it in enumerate(sorted(group, key=lambda g: g.id)):
            cx = x(effort) + (i - (len(group) - 1) / 2) * 44
            cy = y(impact)
            parts.append(f'<circle cx="{cx:.0f}" cy="{cy:.0f}" r="18" fill="#3f51b5"/>')
            parts.append(
                f'<text x="{cx:.0f}" y="{cy + 5:.0f}" font-size="13" font-weight="bold" text-anchor="middle" '
                f'fill="#ffffff">{escape(it.id)}</text>'
            )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


# -- the Grafana dashboard's layout ------------------------------------------------------------------

GRID_COLUMNS = 24  # Grafana's grid: 24 columns, gridPos in columns and rows
COLUMN_PX = 40
ROW_PX = 30  # Grafana's row height
GAP = 4
PANEL_KINDS = {"stat": "통계 (stat)", "timeseries": "시계열 (timeseries)", "table": "표 (table)", "gauge": "게이지"}


@dataclass(frozen=True)
class PanelBox:
    """One panel where Grafana draws it: ``gridPos`` in grid units, and what it says."""

    title: str
    kind: str
    unit: str
    x: int
    y: int
    w: int
    h: int
    series: tuple[str, ...]


def dashboard_svg(title: str, panels: Sequence[PanelBox]) -> str:
    """The dashboard's layout as Grafana places it (``gridPos``), each panel with its title, kind, unit and the
    series it queries: a drawing of the JSON, not a screenshot (no data, no Grafana needed)."""
    width = GRID_COLUMNS * COLUMN_PX
    bottom = max((p.y + p.h for p in panels), default=0)
    top = 44
    height = top + bottom * ROW_PX + 8
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'font-family="sans-serif" role="img" aria-label="{escape(title)}: panel layout">',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#181b1f"/>',
        f'<text x="12" y="28" font-size="18" font-weight="bold" fill="#d8d9da">{escape(title)}</text>',
    ]
    for p in panels:
        x, y = p.x * COLUMN_PX + GAP, top + p.y * ROW_PX + GAP
        w, h = p.w * COLUMN_PX - 2 * GAP, p.h * ROW_PX - 2 * GAP
        parts.append(f'<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="3" fill="#22252b" stroke="#34373d"/>')
        parts.append(f'<text x="{x + 10}" y="{y + 22}" font-size="14" fill="#d8d9da">{escape(p.title)}</text>')
        kind = PANEL_KINDS.get(p.kind, p.kind)
        unit = f" · 단위 {p.unit}" if p.unit else ""
        parts.append(f'<text x="{x + 10}" y="{y + 42}" font-size="12" fill="#8e8e8e">{escape(kind + unit)}</text>')
        for i, name in enumerate(p.series[: max(0, (h - 56) // 16)]):
            # a monospace glyph is 0.6 em wide: shrink a long name to fit its panel, never below 9 px
            size = max(9, min(12, int((w - 20) / (0.6 * len(name)))))
            parts.append(
                f'<text x="{x + 10}" y="{y + 62 + 16 * i}" font-size="{size}" fill="#73bf69" '
                f'font-family="monospace">{escape(name)}</text>'
            )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
