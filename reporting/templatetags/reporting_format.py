"""Formatting of report numbers: durations, rates, changes."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()

NO_VALUE = "\u2013"  # an en dash where there is no number


@register.filter
def duration(seconds: float | None) -> str:
    """Seconds as "4 min", "2 h 5 min", "3 d 4 h"; NO_VALUE when there is none."""
    if seconds in (None, ""):
        return NO_VALUE
    seconds = float(seconds)
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes = seconds / 60
    if minutes < 60:
        return f"{minutes:.0f} min"
    hours, minutes = divmod(round(minutes), 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


@register.filter
def percent(value: float | None) -> str:
    return NO_VALUE if value in (None, "") else f"{value * 100:.1f}%"


@register.filter
def score(value: float | None) -> str:
    return NO_VALUE if value in (None, "") else f"{value:.2f}"


@register.filter
def metric(value: Any, kind: str) -> str:
    if kind == "duration":
        return duration(value)
    if kind == "rate":
        return percent(value)
    if kind == "score":
        return score(value)
    return NO_VALUE if value in (None, "") else f"{value:,.0f}"


@register.filter
def change(headline: Any) -> str:
    """The change against the previous period: points for rates, % otherwise."""
    if headline.change is None:
        return "no previous data"
    if headline.kind == "rate":
        return f"{headline.change * 100:+.1f} pts"
    if headline.change_ratio is None:
        return f"{headline.change:+,.0f}" if headline.kind == "count" else "new"
    return f"{headline.change_ratio * 100:+.0f}%"
