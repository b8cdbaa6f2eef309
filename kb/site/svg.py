"""Pictures drawn at build time as inline SVG: the lineage timeline, two scatter plots, a note's local graph.

Pure functions from plain data to markup. Every text that reaches the markup
goes through `_text`/`_attr`, so a hostile note title cannot break out of it.
The pictures carry `role="img"` and a `<title>`, and every mark states its
value in words (`<title>` children), so nothing depends on colour alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from html import escape
from typing import Iterable, Sequence


def _text(value: object) -> str:
    return escape(str(value), quote=False)


def _attr(value: object) -> str:
    return escape(str(value), quote=True)


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def human_count(value: float) -> str:
    """`25557032` -> `25.6M`: the short form used on labels and axes."""
    for scale, suffix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= scale:
            return f"{value / scale:.3g}{suffix}"
    return f"{value:.3g}"


@dataclass(frozen=True)
class TimelineEntry:
    """One architecture on the timeline."""

    key: str                      # stable id (graph node id), used to draw lineage edges
    label: str
    year: int
    href: str | None = None
    depth: float | None = None    # deepest measured variant
    params: float | None = None   # parameters of the largest measured variant
    detail: str = ""              # extra words for the hover title


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: str
    series: str = ""
    href: str | None = None


@dataclass(frozen=True)
class GraphNode:
    key: str
    label: str
    href: str | None = None
    missing: bool = False
    center: bool = False


@dataclass
class LocalGraph:
    center: GraphNode
    incoming: list[GraphNode] = field(default_factory=list)
    outgoing: list[GraphNode] = field(default_factory=list)


def _open_svg(width: int, height: int, title: str, css_class: str) -> list[str]:
    return [f'<svg class="{css_class}" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-label="{_attr(title)}"><title>{_text(title)}</title>']


def _link(href: str | None, inner: str) -> str:
    return f'<a href="{_attr(href)}">{inner}</a>' if href else inner


def timeline_svg(entries: Sequence[TimelineEntry], edges: Iterable[tuple[str, str]] = (),
                 *, title: str = "Architectures by year") -> str:
    """A horizontal timeline: one column per year, architectures stacked in it, lineage edges as arrows."""
    if not entries:
        return ""
    years = sorted({entry.year for entry in entries})
    column, row, margin_x, top = 190, 92, 20, 62
    by_year: dict[int, list[TimelineEntry]] = {year: [] for year in years}
    for entry in entries:
        by_year[entry.year].append(entry)
    tallest = max(len(stack) for stack in by_year.values())
    width = margin_x * 2 + column * len(years)
    height = top + row * tallest + 20
    boxes: dict[str, tuple[float, float]] = {}
    out = _open_svg(width, height, title, "kb-timeline")
    out.append('<defs><marker id="kb-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
               'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
               'class="kb-arrowhead"/></marker></defs>')
    out.append(f'<line class="kb-axis" x1="{margin_x}" y1="{top - 30}" x2="{width - margin_x}" y2="{top - 30}"/>')
    box_w, box_h = column - 30, row - 22
    for index, year in enumerate(years):
        x = margin_x + index * column
        out.append(f'<text class="kb-year" x="{x + column / 2 - 15}" y="{top - 38}" text-anchor="middle">{year}</text>')
        for slot, entry in enumerate(by_year[year]):
            y = top + slot * row
            boxes[entry.key] = (x, y)
            facts = [f"{entry.year}"]
            if entry.depth is not None:
                facts.append(f"{_fmt(entry.depth)} layers")
            if entry.params is not None:
                facts.append(f"{human_count(entry.params)} params")
            hover = " · ".join([entry.label, *facts] + ([entry.detail] if entry.detail else []))
            shape = (f'<g class="kb-arch"><title>{_text(hover)}</title>'
                     f'<rect x="{x}" y="{y}" width="{box_w}" height="{box_h}" rx="6"/>'
                     f'<text class="kb-arch-name" x="{x + 10}" y="{y + 22}">{_text(entry.label)}</text>'
                     f'<text class="kb-arch-fact" x="{x + 10}" y="{y + 42}">'
                     f'{_text(_fmt(entry.depth) + " layers" if entry.depth is not None else "depth not measured")}</text>'
                     f'<text class="kb-arch-fact" x="{x + 10}" y="{y + 60}">'
                     f'{_text(human_count(entry.params) + " params" if entry.params is not None else "")}</text></g>')
            out.append(_link(entry.href, shape))
    for source, target in edges:
        if source not in boxes or target not in boxes:
            continue
        (sx, sy), (tx, ty) = boxes[source], boxes[target]
        if sx == tx:   # same year: a short vertical arrow down the column's right edge
            x1, y1, x2, y2 = sx + box_w - 12, sy + box_h, tx + box_w - 12, ty
            if ty < sy:
                y1, y2 = sy, ty + box_h
        elif abs(tx - sx) > column:   # skipping a year: arc above the boxes in between
            x1, y1, x2, y2 = sx + box_w - 20, sy, tx + 20, ty
            lift = top - 8
            out.append(f'<path class="kb-edge" d="M{x1},{y1} C{x1 + 30},{lift} {x2 - 30},{lift} {x2},{y2}" '
                       f'marker-end="url(#kb-arrow)"/>')
            continue
        else:
            x1, y1 = sx + box_w, sy + box_h / 2
            x2, y2 = (tx, ty + box_h / 2) if tx > sx else (tx + box_w, ty + box_h / 2)
        out.append(f'<line class="kb-edge" x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" marker-end="url(#kb-arrow)"/>')
    out.append("</svg>")
    return "".join(out)


def _nice_ticks(low: float, high: float, log: bool) -> list[float]:
    if log:
        first, last = math.floor(math.log10(low)), math.ceil(math.log10(high))
        return [10.0 ** power for power in range(first, last + 1)]
    span = high - low or 1.0
    step = 10 ** math.floor(math.log10(span))
    for factor in (1, 2, 5):
        if span / (step * factor) <= 6:
            step *= factor
            break
    start = math.floor(low / step) * step
    return [start + i * step for i in range(int((high - start) / step) + 2)]


def scatter_svg(points: Sequence[Point], *, title: str, x_label: str, y_label: str,
                log_y: bool = False, y_format=_fmt) -> str:
    """A labelled scatter plot; every point is a link (when it has one) with its value in its title."""
    if not points:
        return ""
    width, height = 700, 360
    left, right, top, bottom = 70, 110, 20, 46
    xs = [p.x for p in points]
    ys = [p.y for p in points if not log_y or p.y > 0]
    if not ys:
        return ""
    x_low, x_high = min(xs) - 0.5, max(xs) + 0.5
    y_ticks = _nice_ticks(min(ys), max(ys), log_y)
    y_low, y_high = (y_ticks[0], y_ticks[-1]) if log_y else (0.0, y_ticks[-1])
    if y_high <= y_low:
        y_high = y_low + 1

    def sx(value: float) -> float:
        return left + (value - x_low) / (x_high - x_low) * (width - left - right)

    def sy(value: float) -> float:
        if log_y:
            fraction = (math.log10(value) - math.log10(y_low)) / (math.log10(y_high) - math.log10(y_low))
        else:
            fraction = (value - y_low) / (y_high - y_low)
        return height - bottom - fraction * (height - top - bottom)

    out = _open_svg(width, height, title, "kb-plot")
    out.append(f'<line class="kb-axis" x1="{left}" y1="{height - bottom}" x2="{width - right}" y2="{height - bottom}"/>')
    out.append(f'<line class="kb-axis" x1="{left}" y1="{top}" x2="{left}" y2="{height - bottom}"/>')
    for tick in y_ticks:
        if y_low <= tick <= y_high:
            y = sy(tick)
            out.append(f'<line class="kb-grid" x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}"/>')
            out.append(f'<text class="kb-tick" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">'
                       f'{_text(y_format(tick))}</text>')
    for year in range(math.ceil(x_low), math.floor(x_high) + 1):
        out.append(f'<text class="kb-tick" x="{sx(year):.1f}" y="{height - bottom + 18}" '
                   f'text-anchor="middle">{year}</text>')
    out.append(f'<text class="kb-axis-label" x="{(left + width - right) / 2}" y="{height - 6}" '
               f'text-anchor="middle">{_text(x_label)}</text>')
    out.append(f'<text class="kb-axis-label" transform="translate(16 {(top + height - bottom) / 2}) rotate(-90)" '
               f'text-anchor="middle">{_text(y_label)}</text>')
    # Series sharing a year sit side by side; within a series only the extremes are labelled
    # (every point names itself in its hover title), so labels of variants do not overprint each other.
    series_at: dict[float, list[str]] = {}
    for point in points:
        if point.series not in series_at.setdefault(point.x, []):
            series_at[point.x].append(point.series)
    extremes: set[int] = set()
    for series in {p.series for p in points}:
        members = [i for i, p in enumerate(points) if p.series == series and (not log_y or p.y > 0)]
        if members:
            extremes.add(max(members, key=lambda i: points[i].y))
            extremes.add(min(members, key=lambda i: points[i].y))
    for index, point in enumerate(points):
        if log_y and point.y <= 0:
            continue
        neighbours = series_at[point.x]
        x = sx(point.x) + (neighbours.index(point.series) - (len(neighbours) - 1) / 2) * 14
        y = sy(point.y)
        label = (f'<text x="{x + 7:.1f}" y="{y + 4:.1f}">{_text(point.label)}</text>'
                 if index in extremes else "")
        mark = (f'<g class="kb-point"><title>{_text(point.label)}: {_text(y_format(point.y))} ({point.x:g})</title>'
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4"/>{label}</g>')
        out.append(_link(point.href, mark))
    out.append("</svg>")
    return "".join(out)


def _short(label: str, limit: int = 30) -> str:
    return label if len(label) <= limit else label[:limit - 1] + "…"


def local_graph_svg(graph: LocalGraph) -> str:
    """The note in the middle, notes linking here on the left, notes it links to on the right."""
    if not graph.incoming and not graph.outgoing:
        return ""
    width, label_room = 600, 200
    rows = max(len(graph.incoming), len(graph.outgoing), 1)
    height = max(90, 24 * rows + 20)
    cx, cy = width / 2, height / 2
    out = _open_svg(width, height, f"Links of {graph.center.label}", "kb-local-graph")

    edges: list[str] = []     # one path for all the edges, drawn under the nodes
    marks: list[str] = []

    def place(nodes: list[GraphNode], x: float, anchor: str, dx: float) -> None:
        if not nodes:
            return
        step = (height - 20) / max(len(nodes), 1)
        marks.append(f'<g text-anchor="{anchor}">')
        for index, node in enumerate(nodes):
            y = 10 + step * (index + 0.5)
            edges.append(f"M{cx:.0f} {cy:.0f}L{x:.0f} {y:.0f}")
            kind = "kb-node kb-node-missing" if node.missing else "kb-node"
            shown = _short(node.label)
            # A hover title only where the picture does not already say it all.
            hover = node.label + (" (missing note)" if node.missing else "")
            title = f"<title>{_text(hover)}</title>" if hover != shown else ""
            mark = (f'<g class="{kind}">{title}<circle cx="{x:.0f}" cy="{y:.0f}" r="5"/>'
                    f'<text x="{x + dx:.0f}" y="{y + 4:.0f}">{_text(shown)}</text></g>')
            marks.append(_link(None if node.missing else node.href, mark))
        marks.append("</g>")

    place(graph.incoming, label_room, "end", -9)
    place(graph.outgoing, width - label_room, "start", 9)
    out.append(f'<path class="kb-edge" d="{"".join(edges)}"/>')
    out.extend(marks)
    out.append(f'<g class="kb-node kb-node-center"><title>{_text(graph.center.label)}</title>'
               f'<circle cx="{cx}" cy="{cy}" r="8"/></g>')
    out.append("</svg>")
    return "".join(out)
