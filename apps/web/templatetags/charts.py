"""Charts drawn on the server as <svg>: no script, no inline style (the page's CSP allows
neither). Geometry is SVG attributes; colour comes from classes (`seg-<key>`) in app.css.
Every mark carries a <title>, which browsers show on hover and screen readers read."""

import math
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

FONT = 11


def nice_scale(peak: float, ticks: int = 4) -> tuple[float, float]:
    """(top, step) of an axis from 0 that holds peak in about `ticks` round steps of 1, 2
    or 5 times a power of ten."""
    if peak <= 0:
        return 1, 1
    rough = peak / ticks
    power = 10 ** math.floor(math.log10(rough))
    step = next(m * power for m in (1, 2, 5, 10) if rough <= m * power)
    if step < 1 and peak >= 1:
        step = 1
    return step * math.ceil(peak / step), step


def _number(value: float) -> str:
    return f"{value:g}" if value != int(value) else str(int(value))


def _svg(width: int, height: int, title: str, body: str, css: str) -> SafeString:
    return format_html(
        '<svg class="chart {}" viewBox="0 0 {} {}" role="img" aria-label="{}" '
        'preserveAspectRatio="xMidYMid meet">{}</svg>',
        css,
        width,
        height,
        title,
        mark_safe(body),  # noqa: S308 - built with format_html from escaped parts
    )


def _f(value: float) -> str:
    """A coordinate: one decimal is finer than a pixel."""
    return f"{value:.1f}"


def _rect(x: float, y: float, w: float, h: float, css: str, tip: str) -> str:
    return format_html(
        '<rect class="{}" x="{}" y="{}" width="{}" height="{}" rx="{}"><title>{}</title></rect>',
        css,
        _f(x),
        _f(y),
        _f(max(w, 0)),
        _f(max(h, 0)),
        1.5 if min(w, h) > 3 else 0,
        tip,
    )


def _text(x: float, y: float, text: str, css: str = "", anchor: str = "start") -> str:
    return format_html(
        '<text class="{}" x="{}" y="{}" text-anchor="{}">{}</text>',
        css or "chart-label",
        _f(x),
        _f(y),
        anchor,
        text,
    )


def _line(x1: float, y1: float, x2: float, y2: float, css: str) -> str:
    return format_html(
        '<line class="{}" x1="{}" y1="{}" x2="{}" y2="{}"/>', css, _f(x1), _f(y1), _f(x2), _f(y2)
    )


@register.simple_tag
def day_columns(
    days: Sequence[dict[str, Any]],
    keys: Sequence[str],
    labels: dict[str, str],
    title: str,
    width: int = 1040,
) -> SafeString:
    """Stacked columns, one per day ({"day": date, "counts": {key: n}}), stacked in the
    order of `keys` from the bottom; weekends shaded, a label every few days. `width` is
    about the width it is shown at, so that its text reads at the page's size."""
    height = 260
    left, right, top, bottom = 34, 8, 12, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    n = max(len(days), 1)
    peak = max((sum(d["counts"].get(k, 0) for k in keys) for d in days), default=0)
    ceiling, step = nice_scale(peak)
    slot = plot_w / n
    bar = max(min(slot * 0.72, 28), 1.5)
    parts: list[str] = []
    # Weekends first, under everything.
    for i, d in enumerate(days):
        if isinstance(d["day"], date) and d["day"].weekday() >= 5:
            parts.append(
                format_html(
                    '<rect class="chart-weekend" x="{}" y="{}" width="{}" height="{}"/>',
                    _f(left + i * slot),
                    top,
                    _f(slot),
                    plot_h,
                )
            )
    for t in range(round(ceiling / step) + 1):
        value = step * t
        y = top + plot_h - plot_h * value / ceiling
        parts.append(_line(left, y, width - right, y, "chart-grid" if t else "chart-axis"))
        parts.append(_text(left - 6, y + 4, _number(value), "chart-tick", "end"))
    every = max(1, math.ceil(n / (width / 75)))
    for i, d in enumerate(days):
        x = left + i * slot + (slot - bar) / 2
        y = top + plot_h
        day = d["day"]
        label = day.strftime("%b %-d") if isinstance(day, date) else str(day)
        total = sum(d["counts"].get(k, 0) for k in keys)
        for key in keys:
            count = d["counts"].get(key, 0)
            if not count:
                continue
            h = plot_h * count / ceiling
            y -= h
            tip = f"{label}: {count} {labels.get(key, key)} (of {total})"
            parts.append(_rect(x, y, bar, h, f"seg seg-{key}", tip))
        if total == 0:
            parts.append(
                _rect(x, top + plot_h - 1, bar, 1, "seg seg-none", f"{label}: no decisions")
            )
        if (n - 1 - i) % every == 0:  # counted back from the last day, which is labelled
            parts.append(_text(x + bar / 2, height - 10, label, "chart-tick", "middle"))
    return _svg(width, height, title, "".join(parts), "chart-columns")


def _fit(text: str, room: float) -> str:
    """The text, cut to what fits in `room` units at the row labels' size (about 7 a
    character)."""
    most = max(int((room - 14) / 7), 4)
    return text if len(text) <= most else text[: most - 1] + "…"


@register.simple_tag
def share_bar(counts: dict[str, int], keys: Sequence[str], labels: dict[str, str]) -> SafeString:
    """One thin bar split by share, for a total at a glance (the numbers are beside it)."""
    width, height = 400, 12
    total = sum(counts.get(k, 0) for k in keys) or 1
    parts = [_rect(0, 0, width, height, "chart-track", "")]
    x = 0.0
    for key in keys:
        count = counts.get(key, 0)
        if not count:
            continue
        w = width * count / total
        share = round(100 * count / total)
        parts.append(
            _rect(x, 0, w, height, f"seg seg-{key}", f"{count} {labels.get(key, key)} ({share} %)")
        )
        x += w
    return _svg(width, height, "Shares", "".join(parts), "chart-share")


def _rows_frame(rows: int, row_h: int, top: int = 8, bottom: int = 26) -> tuple[int, int]:
    return top + rows * row_h + bottom, top


@register.simple_tag
def stacked_rows(
    rows: Sequence[dict[str, Any]],
    keys: Sequence[str],
    labels: dict[str, str],
    title: str,
    width: int = 1040,
    label_width: int = 220,
) -> SafeString:
    """One horizontal stacked bar per row ({"label", "values": {key: n}}): its label on the
    left, its total on the right, all on one scale so that rows compare."""
    row_h = 34
    left, right = label_width, 54
    height, top = _rows_frame(len(rows), row_h, bottom=8)
    plot_w = width - left - right
    peak = max((sum(r["values"].get(k, 0) for k in keys) for r in rows), default=0)
    ceiling = max(peak, 1)
    parts: list[str] = []
    for i, row in enumerate(rows):
        y = top + i * row_h
        name = str(row["label"])
        parts.append(
            _text(left - 10, y + row_h / 2 + 4, _fit(name, left), "chart-row-label", "end")
        )
        parts.append(_rect(left, y + 7, plot_w, row_h - 14, "chart-track", name))
        x = float(left)
        total = sum(row["values"].get(k, 0) for k in keys)
        for key in keys:
            count = row["values"].get(key, 0)
            if not count:
                continue
            w = plot_w * count / ceiling
            tip = f"{name}: {count} {labels.get(key, key)} (of {total})"
            parts.append(_rect(x, y + 7, w, row_h - 14, f"seg seg-{key}", tip))
            x += w
        parts.append(_text(x + 8, y + row_h / 2 + 4, str(total), "chart-value"))
    return _svg(width, height, title, "".join(parts), "chart-rows")


def _duration_unit(seconds: float) -> tuple[float, str]:
    if seconds <= 2 * 3600:
        return 60, "min"
    if seconds <= 72 * 3600:
        return 3600, "h"
    return 86400, "d"


def short_span(value: timedelta | None) -> str:
    if value is None:
        return "—"
    minutes = round(value.total_seconds() / 60)
    if minutes < 1:
        return "< 1 min"
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes:02d}" if minutes else f"{hours} h"
    return f"{minutes} min"


@register.filter
def span_short(value: timedelta | None) -> str:
    return short_span(value)


@register.simple_tag
def turnaround_rows(
    rows: Sequence[dict[str, Any]], title: str, width: int = 480, label_width: int = 135
) -> SafeString:
    """Per team, how long people took to decide: a pale bar to the 90th percentile with a
    solid one to the median inside it, on a shared time axis."""
    row_h = 40
    left, right = label_width, 20
    measured = [r for r in rows if r.get("median") is not None]
    height, top = _rows_frame(len(measured), row_h)
    plot_w = width - left - right
    longest = max((r["p90"].total_seconds() for r in measured), default=0)
    unit, name = _duration_unit(longest)
    ceiling, step = nice_scale(longest / unit)
    parts: list[str] = []
    for t in range(round(ceiling / step) + 1):
        x = left + plot_w * step * t / ceiling
        parts.append(_line(x, top, x, height - 22, "chart-grid" if t else "chart-axis"))
        parts.append(_text(x, height - 8, f"{_number(step * t)} {name}", "chart-tick", "middle"))
    for i, row in enumerate(measured):
        y = top + i * row_h
        team = str(row["team"])
        median, p90 = row["median"].total_seconds(), row["p90"].total_seconds()
        parts.append(
            _text(left - 10, y + row_h / 2 + 4, _fit(team, left), "chart-row-label", "end")
        )
        scale = plot_w / (ceiling * unit)
        parts.append(
            _rect(
                left,
                y + 9,
                p90 * scale,
                row_h - 18,
                "seg seg-p90",
                f"{team}: 9 in 10 decided within {short_span(row['p90'])}",
            )
        )
        parts.append(
            _rect(
                left,
                y + 13,
                median * scale,
                row_h - 26,
                "seg seg-median",
                f"{team}: half decided within {short_span(row['median'])}",
            )
        )
    return _svg(width, height, title, "".join(parts), "chart-rows")


@register.filter
def share_of(part: int, whole: int) -> int:
    """part as a whole percentage of whole (0 when there is no whole)."""
    return round(100 * part / whole) if whole else 0
