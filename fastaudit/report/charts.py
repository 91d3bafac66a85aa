"""Charts as inline SVG, drawn here in Python: no JS library, nothing fetched, and nothing
the report's Content-Security-Policy has to allow (SVG presentation attributes are not
inline styles).

Every chart carries a title and axis labels, tells its series apart by marker shape, dash
pattern or hatching and a text label as well as by colour (so it reads in grey print and
for colour-blind readers), scales to the width of a phone, and comes with the table of its
numbers. Each mark has `data-series`, `data-x` and `data-value` attributes, which is how
the browser test checks the drawing against the JSON.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from markupsafe import Markup, escape

# Severity: colour (distinct in deuteranopia and greyscale by lightness), marker, dash.
SEVERITY_STYLE: dict[str, tuple[str, str, str]] = {
    "critical": ("#67000d", "circle", ""),
    "high": ("#d94801", "square", "7 3"),
    "medium": ("#8c6d00", "triangle", "2 3"),
    "low": ("#2166ac", "diamond", "9 3 2 3"),
    "info": ("#4d4d4d", "cross", "1 3"),
}
_SERIES_STYLE = [
    ("#1b4f8a", "circle", ""),
    ("#b35806", "square", "7 3"),
    ("#1b7837", "triangle", "2 3"),
    ("#762a83", "diamond", "9 3 2 3"),
]
_FONT = 'font-family="system-ui, sans-serif"'


@dataclass
class Chart:
    """One figure: the SVG and the numbers behind it."""

    id: str
    title: str
    svg: Markup
    headers: list[str]
    rows: list[list[Any]]
    note: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # When there is nothing to draw: the one sentence shown instead of empty axes.
    empty: str | None = None


def _e(value: Any) -> str:
    return str(escape(str(value)))


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)


def nice_max(value: float) -> float:
    """The axis top: 1, 2, 2.5 or 5 times a power of ten, at least `value`; for counts, a
    multiple of 4 so that the five gridlines fall on whole numbers."""
    if value <= 0:
        return 4
    if float(value).is_integer():
        step: float = math.ceil(value / 4)
        if step > 10:
            base = 10 ** math.floor(math.log10(step))
            step = next(int(m * base) for m in (1, 1.5, 2, 2.5, 5, 10) if m * base >= step)
        return 4 * step
    power = 10.0 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power  # pragma: no cover


def _marker(
    shape: str, x: float, y: float, colour: str, size: float, data: str, outline: str = "#fff"
) -> str:
    s = size
    common = f'fill="{colour}" stroke="{outline}" stroke-width="0.8" {data}'
    if shape == "square":
        return f'<rect x="{x - s:.1f}" y="{y - s:.1f}" width="{2 * s:.1f}" height="{2 * s:.1f}" {common}/>'
    if shape == "triangle":
        pts = (
            f"{x:.1f},{y - s * 1.2:.1f} {x + s * 1.1:.1f},{y + s:.1f} {x - s * 1.1:.1f},{y + s:.1f}"
        )
        return f'<polygon points="{pts}" {common}/>'
    if shape == "diamond":
        pts = f"{x:.1f},{y - s * 1.3:.1f} {x + s * 1.3:.1f},{y:.1f} {x:.1f},{y + s * 1.3:.1f} {x - s * 1.3:.1f},{y:.1f}"
        return f'<polygon points="{pts}" {common}/>'
    if shape == "cross":
        return (
            f'<path d="M{x - s:.1f},{y - s:.1f}L{x + s:.1f},{y + s:.1f}M{x - s:.1f},{y + s:.1f}'
            f'L{x + s:.1f},{y - s:.1f}" stroke="{colour}" stroke-width="2" fill="none" {data}/>'
        )
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{s:.1f}" {common}/>'


def _frame(
    chart_id: str, title: str, desc: str, width: int, height: int, body: list[str]
) -> Markup:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'class="chart-svg" role="img" aria-labelledby="{_e(chart_id)}-t {_e(chart_id)}-d" '
        f'preserveAspectRatio="xMinYMin meet">'
        f'<title id="{_e(chart_id)}-t">{_e(title)}</title><desc id="{_e(chart_id)}-d">{_e(desc)}</desc>'
    )
    return Markup(head + "".join(body) + "</svg>")


def _axes(
    left: int, top: int, plot_w: int, plot_h: int, y_max: float, x_label: str, y_label: str
) -> list[str]:
    parts = []
    for i in range(5):
        value = y_max * i / 4
        y = top + plot_h - plot_h * i / 4
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#ddd"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" {_FONT} '
            f'fill="#333">{_num(value)}</text>'
        )
    parts.append(
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="#333"/>'
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#333"/>'
        f'<text x="{left + plot_w / 2:.1f}" y="{top + plot_h + 42}" text-anchor="middle" '
        f'font-size="12" {_FONT} fill="#111">{_e(x_label)}</text>'
        f'<text transform="translate(14 {top + plot_h / 2:.1f}) rotate(-90)" text-anchor="middle" '
        f'font-size="12" {_FONT} fill="#111">{_e(y_label)}</text>'
    )
    return parts


def _x_ticks(labels: Sequence[str], xs: Sequence[float], baseline: float) -> list[str]:
    if not labels:
        return []
    step = max(1, math.ceil(len(labels) / 7))
    shown = list(range(0, len(labels), step))
    if shown[-1] != len(labels) - 1 and len(labels) - 1 - shown[-1] >= step / 2:
        shown.append(len(labels) - 1)
    return [
        f'<text x="{xs[i]:.1f}" y="{baseline + 16:.1f}" text-anchor="middle" font-size="10" '
        f'{_FONT} fill="#333">{_e(labels[i])}</text>'
        for i in shown
    ]


def line_chart(
    chart_id: str,
    title: str,
    x_labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    *,
    x_label: str,
    y_label: str,
    styles: dict[str, tuple[str, str, str]] | None = None,
) -> Markup:
    """An inline SVG line chart with its data table, readable without a script."""
    width, height, left, right, top, bottom = 660, 300, 56, 118, 16, 58
    plot_w, plot_h = width - left - right, height - top - bottom
    y_max = nice_max(max((v for _, values in series for v in values), default=0))
    n = len(x_labels)
    xs = [left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2) for i in range(n)]

    def y_of(value: float) -> float:
        return top + plot_h - plot_h * value / y_max

    body = _axes(left, top, plot_w, plot_h, y_max, x_label, y_label)
    body += _x_ticks(x_labels, xs, top + plot_h)
    size = 4.0 if n <= 40 else 2.2
    label_ys: list[float] = []
    for index, (name, values) in enumerate(series):
        colour, shape, dash = (styles or {}).get(name, _SERIES_STYLE[index % len(_SERIES_STYLE)])
        points = " ".join(f"{x:.1f},{y_of(v):.1f}" for x, v in zip(xs, values, strict=True))
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        body.append(
            f'<g class="series" data-series="{_e(name)}">'
            f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"{dash_attr}/>'
        )
        for x, label, value in zip(xs, x_labels, values, strict=True):
            data = f'data-series="{_e(name)}" data-x="{_e(label)}" data-value="{_num(value)}"'
            body.append(_marker(shape, x, y_of(value), colour, size, data))
        if values:
            y = y_of(values[-1]) + 4
            while any(abs(y - other) < 13 for other in label_ys):
                y += 13
            label_ys.append(y)
            body.append(
                f'<text x="{left + plot_w + 8}" y="{y:.1f}" font-size="11" {_FONT} fill="{colour}">'
                f"{_e(name)} {_num(values[-1])}</text>"
            )
        body.append("</g>")
    desc = f"{y_label} by {x_label} for " + ", ".join(name for name, _ in series)
    return _frame(chart_id, title, desc, width, height, body)


def bar_chart(
    chart_id: str,
    title: str,
    x_labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    *,
    x_label: str,
    y_label: str,
) -> Markup:
    """Grouped bars; the second series is hatched, the third dotted, so print keeps them
    apart; small counts are written on the bars."""
    width, height, left, right, top, bottom = 660, 300, 56, 118, 16, 58
    plot_w, plot_h = width - left - right, height - top - bottom
    y_max = nice_max(max((v for _, values in series for v in values), default=0))
    n = max(len(x_labels), 1)
    slot = plot_w / n
    bar_w = max(slot * 0.8 / max(len(series), 1), 0.8)
    body = [
        f'<defs><pattern id="{_e(chart_id)}-hatch" patternUnits="userSpaceOnUse" width="5" '
        'height="5" patternTransform="rotate(45)"><rect width="5" height="5" fill="#fff"/>'
        '<line x1="0" y1="0" x2="0" y2="5" stroke="#b35806" stroke-width="2.4"/></pattern>'
        f'<pattern id="{_e(chart_id)}-dots" patternUnits="userSpaceOnUse" width="4" height="4">'
        '<rect width="4" height="4" fill="#fff"/><circle cx="2" cy="2" r="1.2" fill="#1b7837"/>'
        "</pattern></defs>"
    ]
    body += _axes(left, top, plot_w, plot_h, y_max, x_label, y_label)
    centres = [left + slot * (i + 0.5) for i in range(len(x_labels))]
    body += _x_ticks(x_labels, centres, top + plot_h)
    fills = ["#1b4f8a", f"url(#{_e(chart_id)}-hatch)", f"url(#{_e(chart_id)}-dots)"]
    strokes = ["#1b4f8a", "#b35806", "#1b7837"]
    for s_index, (name, values) in enumerate(series):
        body.append(f'<g class="series" data-series="{_e(name)}">')
        for i, (label, value) in enumerate(zip(x_labels, values, strict=True)):
            x = left + slot * i + slot * 0.1 + bar_w * s_index
            h = plot_h * value / y_max
            body.append(
                f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                f'fill="{fills[s_index % 3]}" stroke="{strokes[s_index % 3]}" stroke-width="1" '
                f'data-series="{_e(name)}" data-x="{_e(label)}" data-value="{_num(value)}"/>'
            )
            if value and len(x_labels) * len(series) <= 40:
                body.append(
                    f'<text x="{x + bar_w / 2:.1f}" y="{top + plot_h - h - 3:.1f}" font-size="10" '
                    f'text-anchor="middle" {_FONT} fill="#111">{_num(value)}</text>'
                )
        body.append("</g>")
    for s_index, (name, _) in enumerate(series):
        y = top + 12 + 18 * s_index
        body.append(
            f'<rect x="{left + plot_w + 10}" y="{y - 10}" width="14" height="12" '
            f'fill="{fills[s_index % 3]}" stroke="{strokes[s_index % 3]}"/>'
            f'<text x="{left + plot_w + 30}" y="{y}" font-size="11" {_FONT} fill="#111">{_e(name)}</text>'
        )
    desc = f"{y_label} by {x_label}: " + ", ".join(name for name, _ in series)
    return _frame(chart_id, title, desc, width, height, body)


def hbar_chart(
    chart_id: str,
    title: str,
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    x_label: str,
) -> Markup:
    """Horizontal grouped bars with the value written at each bar's end ("–" for none)."""
    row_h = 14 * max(len(series), 1) + 10
    width, left, right, top = 660, 90, 60, 34
    height = top + row_h * max(len(categories), 1) + 44
    plot_w = width - left - right
    x_max = nice_max(max((v or 0 for _, values in series for v in values), default=0))
    body = []
    for s_index, (name, _) in enumerate(series):
        colour = _SERIES_STYLE[s_index % len(_SERIES_STYLE)][0]
        body.append(
            f'<rect x="{left + 150 * s_index}" y="8" width="14" height="10" fill="{colour}" '
            f'{"" if s_index == 0 else "fill-opacity=0.45 "}stroke="{colour}"/>'
            f'<text x="{left + 150 * s_index + 18}" y="17" font-size="11" {_FONT} fill="#111">{_e(name)}</text>'
        )
    for c_index, category in enumerate(categories):
        y0 = top + row_h * c_index
        body.append(
            f'<text x="{left - 8}" y="{y0 + row_h / 2 + 2:.1f}" text-anchor="end" font-size="11" '
            f'{_FONT} fill="#111">{_e(category)}</text>'
        )
        for s_index, (name, values) in enumerate(series):
            value = values[c_index]
            colour = _SERIES_STYLE[s_index % len(_SERIES_STYLE)][0]
            y = y0 + 5 + 14 * s_index
            w = plot_w * (value or 0) / x_max
            opacity = "" if s_index == 0 else ' fill-opacity="0.45"'
            shown = "–" if value is None else _num(value)
            body.append(
                f'<rect x="{left}" y="{y}" width="{w:.1f}" height="11" fill="{colour}"{opacity} '
                f'stroke="{colour}" data-series="{_e(name)}" data-x="{_e(category)}" '
                f'data-value="{"" if value is None else _num(value)}"/>'
                f'<text x="{left + w + 4:.1f}" y="{y + 9}" font-size="10" {_FONT} fill="#111">'
                f"{_e(name)} {shown}</text>"
            )
    base = top + row_h * max(len(categories), 1)
    body.append(f'<line x1="{left}" y1="{base}" x2="{left + plot_w}" y2="{base}" stroke="#333"/>')
    for i in range(5):
        x = left + plot_w * i / 4
        body.append(
            f'<text x="{x:.1f}" y="{base + 14}" text-anchor="middle" font-size="10" {_FONT} '
            f'fill="#333">{_num(x_max * i / 4)}</text>'
        )
    body.append(
        f'<text x="{left + plot_w / 2:.1f}" y="{base + 34}" text-anchor="middle" font-size="12" '
        f'{_FONT} fill="#111">{_e(x_label)}</text>'
    )
    return _frame(
        chart_id, title, f"{x_label} for each of " + ", ".join(categories), width, height, body
    )


def _parse_day(text: str) -> date:
    return date.fromisoformat(text[:10])


def _lifecycle_legend(chart_id: str, left: int) -> str:
    """The hatch pattern and the legend of the lifecycle chart: words and shapes, not
    colour alone."""
    return (
        f'<defs><pattern id="{_e(chart_id)}-hatch" patternUnits="userSpaceOnUse" width="5" '
        'height="5" patternTransform="rotate(45)"><rect width="5" height="5" fill="#fde0c5"/>'
        '<line x1="0" y1="0" x2="0" y2="5" stroke="#b35806" stroke-width="2"/></pattern></defs>'
        f'<rect x="{left}" y="6" width="22" height="10" fill="#1b4f8a"/>'
        f'<text x="{left + 26}" y="15" font-size="10" {_FONT} fill="#111">key valid</text>'
        f'<rect x="{left + 90}" y="6" width="22" height="10" fill="url(#{_e(chart_id)}-hatch)" stroke="#b35806"/>'
        f'<text x="{left + 116}" y="15" font-size="10" {_FONT} fill="#111">rotation overlap</text>'
        f'<line x1="{left + 215}" y1="4" x2="{left + 215}" y2="18" stroke="#111" stroke-width="2" stroke-dasharray="3 2"/>'
        f'<text x="{left + 220}" y="15" font-size="10" {_FONT} fill="#111">rotation due</text>'
        + _marker("diamond", left + 300, 11, "#ffd92f", 5, "", outline="#111")
        + f'<text x="{left + 309}" y="15" font-size="10" {_FONT} fill="#111">last used</text>'
        f'<text x="{left + 370}" y="15" font-size="10" {_FONT} fill="#111">▶ still active</text>'
    )


def lifecycle_chart(chart_id: str, entries: Sequence[dict[str, Any]], as_of: str) -> Markup:
    """One bar per key from creation to deletion (an open end for a live key), the overlap
    with its successor hatched, the rotation due date as a tick, the last use as a diamond."""
    end_day = _parse_day(as_of)
    days = [_parse_day(e["created_at"]) for e in entries] + [end_day]
    start_day = min(days)
    last_day = max([end_day] + [_parse_day(e["rotation_due"]) for e in entries])
    span = max((last_day - start_day).days, 1)
    width, left, right, top, row_h = 700, 210, 36, 40, 26
    height = top + row_h * max(len(entries), 1) + 50
    plot_w = width - left - right

    def x_of(day: date) -> float:
        return left + plot_w * (day - start_day).days / span

    body = [_lifecycle_legend(chart_id, left)]
    for index, entry in enumerate(entries):
        y = top + row_h * index
        created = _parse_day(entry["created_at"])
        ended = _parse_day(entry["deleted_at"]) if entry["deleted_at"] else end_day
        x0, x1 = x_of(created), max(x_of(ended), x_of(created) + 1)
        env = f" ({entry['environment']})" if entry.get("environment") else ""
        label = (
            entry["name"]
            if len(entry["name"]) + len(env) <= 32
            else (entry["name"][: max(32 - len(env) - 1, 8)] + "…")
        )
        body.append(
            f'<g class="key" data-key="{_e(entry["id"])}">'
            f'<text x="{left - 6}" y="{y + 14}" text-anchor="end" font-size="10" {_FONT} '
            f'fill="#111">{_e(label)}{_e(env)}</text>'
            f'<rect x="{x0:.1f}" y="{y + 4}" width="{x1 - x0:.1f}" height="14" fill="#1b4f8a" '
            f'data-series="lifetime" data-x="{_e(entry["id"])}" data-value="{entry["age_days"]}" '
            f'data-start="{_e(entry["created_at"])}" data-end="{_e(entry["deleted_at"] or "")}"/>'
        )
        if not entry["deleted_at"]:
            body.append(
                f'<polygon points="{x1:.1f},{y + 2} {x1 + 8:.1f},{y + 11} {x1:.1f},{y + 20}" fill="#1b4f8a"/>'
            )
        for overlap in entry["overlaps"]:
            ox0, ox1 = x_of(_parse_day(overlap["start"])), x_of(_parse_day(overlap["end"]))
            body.append(
                f'<rect x="{ox0:.1f}" y="{y + 4}" width="{max(ox1 - ox0, 1.5):.1f}" height="14" '
                f'fill="url(#{_e(chart_id)}-hatch)" stroke="#b35806" data-series="overlap" '
                f'data-x="{_e(entry["id"])}" data-value="{_num(overlap["days"])}"/>'
            )
        due = _parse_day(entry["rotation_due"])
        dx = x_of(due)
        colour = "#b2182b" if entry["overdue"] else "#111"
        body.append(
            f'<line x1="{dx:.1f}" y1="{y + 1}" x2="{dx:.1f}" y2="{y + 21}" stroke="{colour}" '
            f'stroke-width="2" stroke-dasharray="3 2" data-series="rotation_due" '
            f'data-x="{_e(entry["id"])}" data-value="{_e(entry["rotation_due"])}"/>'
        )
        if entry["overdue"]:
            body.append(
                f'<text x="{dx + 3:.1f}" y="{y + 2}" font-size="9" {_FONT} fill="#b2182b">overdue</text>'
            )
        if entry.get("last_used_at"):
            ux = x_of(_parse_day(entry["last_used_at"]))
            body.append(
                _marker(
                    "diamond",
                    ux,
                    y + 11,
                    "#ffd92f",
                    5,
                    f'data-series="last_used" data-x="{_e(entry["id"])}" '
                    f'data-value="{_e(entry["last_used_at"])}"',
                    outline="#111",
                )
            )
        body.append("</g>")
    base = top + row_h * max(len(entries), 1)
    body.append(f'<line x1="{left}" y1="{base}" x2="{left + plot_w}" y2="{base}" stroke="#333"/>')
    for i in range(5):
        day = start_day.toordinal() + span * i // 4
        x = left + plot_w * i / 4
        body.append(
            f'<text x="{x:.1f}" y="{base + 14}" text-anchor="middle" font-size="10" {_FONT} '
            f'fill="#333">{date.fromordinal(day).isoformat()}</text>'
        )
    body.append(
        f'<line x1="{x_of(end_day):.1f}" y1="{top - 4}" x2="{x_of(end_day):.1f}" y2="{base}" '
        f'stroke="#666" stroke-width="1"/>'
        f'<text x="{x_of(end_day):.1f}" y="{top - 6}" text-anchor="middle" font-size="9" {_FONT} '
        f'fill="#333">as of {_e(as_of)}</text>'
        f'<text x="{left + plot_w / 2:.1f}" y="{base + 34}" text-anchor="middle" font-size="12" '
        f'{_FONT} fill="#111">date</text>'
    )
    desc = f"{len(entries)} keys from creation to deletion, as of {as_of}"
    return _frame(chart_id, "Key lifecycles", desc, width, height, body)


# --- figures from the trends document ----------------------------------------------------

_SEVERITIES = ("critical", "high", "medium", "low", "info")
_MAX_REPO_TIMELINES = 12


MAX_LIFECYCLE_BARS = 60
MAX_TABLE_ROWS = 200


def _worth_drawing(entries: Sequence[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
    """At most `limit` keys, those that need attention first (overdue, in a rotation
    overlap, active, then the most recently deleted), kept in their grouped order."""

    def urgency(item: tuple[int, dict[str, Any]]) -> tuple[int, int]:
        _, e = item
        if e["deleted_at"]:
            return 3, -_parse_day(e["deleted_at"]).toordinal()
        return (0 if e["overdue"] else 1 if e["overlaps"] else 2), 0

    chosen = sorted(enumerate(entries), key=urgency)[:limit]
    return [e for _, e in sorted(chosen, key=lambda item: item[0])]


def lifecycle_figure(chart_id: str, entries: Sequence[dict[str, Any]], as_of: str) -> Chart:
    """The key lifecycle chart and its table, for the keys that need attention."""
    drawn = _worth_drawing(entries, MAX_LIFECYCLE_BARS)
    listed = _worth_drawing(entries, MAX_TABLE_ROWS)
    note = (
        "Each key from creation to deletion. A hatched stretch is a rotation overlap "
        "(old and new key both valid); a dashed tick is when rotation was due."
    )
    if len(drawn) < len(entries):
        note += (
            f" The chart draws {len(drawn)} of {len(entries)} keys and the table lists "
            f"{len(listed)}, overdue, overlapping and active keys first; the JSON has them all."
        )
    return Chart(
        id=chart_id,
        title="Key lifecycles",
        svg=lifecycle_chart(chart_id, drawn, as_of),
        headers=[
            "Key",
            "Environment",
            "Created",
            "Deleted",
            "Rotation due",
            "Last used",
            "Overlap",
        ],
        rows=[
            [
                f"{e['name']} ({e['id']})",
                e.get("environment") or "–",
                e["created_at"],
                e["deleted_at"] or "active",
                e["rotation_due"] + (" (overdue)" if e["overdue"] else ""),
                e.get("last_used_at") or "never",
                "; ".join(
                    f"{o['days']:g} days with {o['with']}{' (still open)' if o['open'] else ''}"
                    for o in e["overlaps"]
                )
                or "–",
            ]
            for e in listed
        ],
        note=note,
    )


def _fix_figures(doc: dict[str, Any], prefix: str) -> list[Chart]:
    """Time to fix and open findings past their SLA, by severity."""
    figures: list[Chart] = []
    ttf = doc["time_to_fix"]
    categories = [*_SEVERITIES, "all"]
    figures.append(
        Chart(
            id=f"{prefix}-ttf",
            title="Time to fix, by severity",
            svg=hbar_chart(
                f"{prefix}-ttf",
                "Time to fix, by severity",
                categories,
                [
                    ("mean", [ttf[c]["mean_days"] for c in categories]),
                    ("median", [ttf[c]["median_days"] for c in categories]),
                ],
                x_label="days from opened (or reopened) to fixed",
            ),
            headers=["Severity", "fixed", "mean days", "median days"],
            rows=[
                [c, ttf[c]["fixed"], ttf[c]["mean_days"] or "–", ttf[c]["median_days"] or "–"]
                for c in categories
            ],
            empty=None
            if ttf["all"]["fixed"]
            else "Nothing has been fixed in this window yet, so there is no time to fix to show.",
        )
    )
    sla = doc["past_sla"]
    figures.append(
        Chart(
            id=f"{prefix}-sla",
            title="Open findings past their SLA",
            svg=hbar_chart(
                f"{prefix}-sla",
                "Open findings past their SLA",
                list(_SEVERITIES),
                [("past SLA", [sla["counts"][s] for s in _SEVERITIES])],
                x_label="open findings older than the SLA of their severity",
            ),
            headers=["Severity", "SLA days", "past SLA"],
            rows=[[s, doc["sla_days"].get(s, "–"), sla["counts"][s]] for s in _SEVERITIES],
            extra={"findings": sla["findings"][:200]},
            empty=None
            if any(sla["counts"][s] for s in _SEVERITIES)
            else "No open finding is past its SLA.",
        )
    )
    return figures


def trends_figures(
    doc: dict[str, Any], prefix: str = "trends", *, include_lifecycle: bool = True
) -> list[Chart]:
    """Every chart of the trends document, each with its table."""
    runs = doc["runs"]
    labels = [r["as_of"] for r in runs]
    figures = [
        Chart(
            id=f"{prefix}-open",
            title="Open findings per run, by severity",
            svg=line_chart(
                f"{prefix}-open",
                "Open findings per run, by severity",
                labels,
                [(s, [r["open"][s] for r in runs]) for s in _SEVERITIES],
                x_label="run (as-of date)",
                y_label="open findings",
                styles=SEVERITY_STYLE,
            ),
            headers=["Run", *_SEVERITIES, "total"],
            rows=[
                [r["as_of"], *(r["open"][s] for s in _SEVERITIES), r["open_total"]] for r in runs
            ],
        ),
        Chart(
            id=f"{prefix}-flow",
            title="New, reopened and fixed findings per run",
            svg=bar_chart(
                f"{prefix}-flow",
                "New, reopened and fixed findings per run",
                labels,
                [
                    ("new", [r["new"] for r in runs]),
                    ("fixed", [r["fixed"] for r in runs]),
                    ("reopened", [r["reopened"] for r in runs]),
                ],
                x_label="run (as-of date)",
                y_label="findings",
            ),
            headers=["Run", "new", "fixed", "reopened", "left HEAD"],
            rows=[[r["as_of"], r["new"], r["fixed"], r["reopened"], r["left_head"]] for r in runs],
            note="Fixed findings are counted on the date of the run that found them fixed.",
        ),
    ]
    figures += _fix_figures(doc, prefix)
    repos = doc["repositories"][:_MAX_REPO_TIMELINES]
    if repos:
        figures.append(
            Chart(
                id=f"{prefix}-repos",
                title="Open findings per repository",
                svg=line_chart(
                    f"{prefix}-repos",
                    "Open findings per repository",
                    labels,
                    [(r["name"], r["open"]) for r in repos[:4]],
                    x_label="run (as-of date)",
                    y_label="open findings",
                ),
                headers=["Repository", "now", "peak", *labels[-6:]],
                rows=[
                    [r["name"], r["now"], r["peak"], *r["open"][-6:]]
                    for r in doc["repositories"][:200]
                ],
                note="The chart shows the four repositories with the highest peak; the table "
                "lists every repository with findings (last six runs).",
            )
        )
    if include_lifecycle and doc["key_lifecycle"]:
        figures.append(
            lifecycle_figure(f"{prefix}-keys", doc["key_lifecycle"], doc["window"]["last"] or "")
        )
    return figures
