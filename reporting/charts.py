"""Chart geometry for the dashboard's server-side SVG: pure functions, no database.

Each builder returns plain dicts the templates in templates/reporting/charts/ draw; every
shape carries a `title` (the exact number) so a chart is readable without a script.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from django.utils.dates import WEEKDAYS_ABBR

WIDTH = 720
HEIGHT = 240
MARGIN_LEFT = 48
MARGIN_BOTTOM = 28
MARGIN_TOP = 12
PLOT_WIDTH = WIDTH - MARGIN_LEFT - 12
PLOT_HEIGHT = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _r(value: float) -> float:
    """Coordinates to 0.1 px: plenty for SVG, and cheap to print in a template."""
    return round(value, 1)


def nice_max(value: float) -> float:
    """The smallest 1/2/5 x 10^n at or above `value` (at least 1), for the y axis."""
    if value <= 1:
        return 1
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


def _y_ticks(top: float) -> list[dict[str, Any]]:
    return [
        {"y": _r(MARGIN_TOP + PLOT_HEIGHT * (1 - i / 4)), "label": _short(top * i / 4)}
        for i in range(5)
    ]


def _short(value: float) -> str:
    if value >= 1000:
        return f"{value / 1000:g}k"
    return f"{value:g}" if value == int(value) else f"{value:.1f}"


def time_buckets(start: date, end: date) -> tuple[str, list[date]]:
    """Daily buckets up to ~3 months, weekly (starting Mondays) beyond."""
    days = (end - start).days + 1
    if days <= 92:
        return "day", [start + timedelta(days=i) for i in range(days)]
    first = start - timedelta(days=start.weekday())
    weeks = []
    while first <= end:
        weeks.append(first)
        first += timedelta(days=7)
    return "week", weeks


def bucket_of(day: date, unit: str) -> date:
    return day - timedelta(days=day.weekday()) if unit == "week" else day


def stacked_bars(
    *, start: date, end: date, rows: Sequence[dict[str, Any]], series_key: str
) -> dict[str, Any]:
    """Counts over time, stacked by `series_key` (e.g. channel)."""
    unit, buckets = time_buckets(start, end)
    index = {bucket: i for i, bucket in enumerate(buckets)}
    counts: dict[str, list[int]] = defaultdict(lambda: [0] * len(buckets))
    for row in rows:
        counts[row[series_key]][index[bucket_of(row["day"], unit)]] += row["count"]
    series = sorted(counts)
    totals = [sum(counts[s][i] for s in series) for i in range(len(buckets))]
    top = nice_max(max(totals, default=0))
    slot = PLOT_WIDTH / max(len(buckets), 1)
    bars = []
    for i, bucket in enumerate(buckets):
        base = 0
        for name in series:
            value = counts[name][i]
            if not value:
                continue
            height = PLOT_HEIGHT * value / top
            y = MARGIN_TOP + PLOT_HEIGHT * (1 - (base + value) / top)
            bars.append(
                {
                    "x": _r(MARGIN_LEFT + i * slot + slot * 0.1),
                    "y": _r(y),
                    "width": _r(max(slot * 0.8, 0.5)),
                    "height": _r(height),
                    "series": name,
                    "title": f"{bucket.isoformat()} {name}: {value}",
                }
            )
            base += value
    step = max(1, len(buckets) // 8)
    x_labels = [
        {"x": _r(MARGIN_LEFT + i * slot + slot / 2), "label": bucket.strftime("%d %b")}
        for i, bucket in enumerate(buckets)
        if i % step == 0
    ]
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "bars": bars,
        "series": series,
        "y_ticks": _y_ticks(top),
        "x_labels": x_labels,
        "unit": unit,
        "axis_y": MARGIN_TOP + PLOT_HEIGHT,
        "axis_x": MARGIN_LEFT,
        "axis_right": MARGIN_LEFT + PLOT_WIDTH,
        "empty": not bars,
    }


def histogram(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Bars for [{"bucket": label, "count": n}, ...] in order."""
    top = nice_max(max((row["count"] for row in rows), default=0))
    slot = PLOT_WIDTH / max(len(rows), 1)
    bars = [
        {
            "x": _r(MARGIN_LEFT + i * slot + slot * 0.15),
            "y": _r(MARGIN_TOP + PLOT_HEIGHT * (1 - row["count"] / top)),
            "width": _r(slot * 0.7),
            "height": _r(PLOT_HEIGHT * row["count"] / top),
            "label_x": _r(MARGIN_LEFT + i * slot + slot / 2),
            "label": row["bucket"],
            "count": row["count"],
            "title": f"{row['bucket']}: {row['count']}",
        }
        for i, row in enumerate(rows)
    ]
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "bars": bars,
        "y_ticks": _y_ticks(top),
        "axis_y": MARGIN_TOP + PLOT_HEIGHT,
        "axis_x": MARGIN_LEFT,
        "axis_right": MARGIN_LEFT + PLOT_WIDTH,
        "empty": not any(row["count"] for row in rows),
    }


def score_line(*, start: date, end: date, rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Average CSAT (1-5) over time, one point per bucket with answers."""
    unit, buckets = time_buckets(start, end)
    index = {bucket: i for i, bucket in enumerate(buckets)}
    sums = [0.0] * len(buckets)
    counts = [0] * len(buckets)
    for row in rows:
        i = index.get(bucket_of(row["day"], unit))
        if i is None:
            continue
        sums[i] += row["average"] * row["responses"]
        counts[i] += row["responses"]
    slot = PLOT_WIDTH / max(len(buckets), 1)
    points = []
    for i, bucket in enumerate(buckets):
        if not counts[i]:
            continue
        average = sums[i] / counts[i]
        points.append(
            {
                "x": _r(MARGIN_LEFT + i * slot + slot / 2),
                "y": _r(MARGIN_TOP + PLOT_HEIGHT * (1 - (average - 1) / 4)),
                "title": f"{bucket.isoformat()}: {average:.2f} from {counts[i]} answers",
            }
        )
    step = max(1, len(buckets) // 8)
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "points": points,
        "path": " ".join(f"{p['x']:.1f},{p['y']:.1f}" for p in points),
        "y_ticks": [
            {"y": _r(MARGIN_TOP + PLOT_HEIGHT * (1 - (score - 1) / 4)), "label": str(score)}
            for score in range(1, 6)
        ],
        "x_labels": [
            {"x": _r(MARGIN_LEFT + i * slot + slot / 2), "label": bucket.strftime("%d %b")}
            for i, bucket in enumerate(buckets)
            if i % step == 0
        ],
        "axis_y": MARGIN_TOP + PLOT_HEIGHT,
        "axis_x": MARGIN_LEFT,
        "axis_right": MARGIN_LEFT + PLOT_WIDTH,
        "empty": not points,
    }


def heatmap(grid: Sequence[Sequence[int]]) -> dict[str, Any]:
    """7 x 24 cells; shade proportional to the busiest cell."""
    cell_width, cell_height, left, top = 26, 22, 40, 18
    busiest = max((max(row) for row in grid), default=0) or 1
    cells = [
        {
            "x": _r(left + hour * cell_width),
            "y": _r(top + weekday * cell_height),
            "width": _r(cell_width - 2),
            "height": _r(cell_height - 2),
            "opacity": round(0.08 + 0.92 * count / busiest, 3) if count else 0.03,
            "title": f"{WEEKDAYS_ABBR[weekday]} {hour:02d}:00-{hour:02d}:59: {count}",
        }
        for weekday, row in enumerate(grid)
        for hour, count in enumerate(row)
    ]
    return {
        "width": _r(left + 24 * cell_width + 4),
        "height": _r(top + 7 * cell_height + 4),
        "cells": cells,
        "rows": [
            {"y": _r(top + i * cell_height + cell_height * 0.65), "label": name}
            for i, name in enumerate(WEEKDAYS_ABBR[day] for day in range(7))
        ],
        "columns": [
            {"x": _r(left + hour * cell_width + cell_width / 2), "label": f"{hour:02d}"}
            for hour in range(0, 24, 3)
        ],
        "empty": not any(any(row) for row in grid),
    }


def handoff_matrix(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """From (rows) x to (columns) channel grid of handoff counts."""
    channels = sorted({r["from_channel"] for r in rows} | {r["to_channel"] for r in rows})
    counts = {(r["from_channel"], r["to_channel"]): r["count"] for r in rows}
    busiest = max(counts.values(), default=0) or 1
    cell, left, top = 64, 90, 56
    cells = []
    for i, source in enumerate(channels):
        for j, target in enumerate(channels):
            count = counts.get((source, target), 0)
            cells.append(
                {
                    "x": _r(left + j * cell),
                    "y": _r(top + i * cell * 0.5),
                    "width": _r(cell - 2),
                    "height": _r(cell * 0.5 - 2),
                    "text_x": _r(left + j * cell + cell / 2),
                    "text_y": _r(top + i * cell * 0.5 + cell * 0.32),
                    "count": count,
                    "opacity": round(0.1 + 0.9 * count / busiest, 3) if count else 0.03,
                    "title": f"{source} -> {target}: {count}",
                }
            )
    return {
        "width": _r(left + len(channels) * cell + 4),
        "height": _r(top + len(channels) * cell * 0.5 + 4),
        "cells": cells,
        "rows": [
            {"y": _r(top + i * cell * 0.5 + cell * 0.32), "label": name}
            for i, name in enumerate(channels)
        ],
        "columns": [
            {"x": _r(left + j * cell + cell / 2), "label": name} for j, name in enumerate(channels)
        ],
        "top_label_y": top - 10,
        "empty": not rows,
    }
