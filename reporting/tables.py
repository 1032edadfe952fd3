"""The dashboard's data as named tables: what each chart's CSV and the API return.

Pure functions over the dict `reporting.selectors.dashboard` returns; durations in
seconds, rates as fractions (0..1), names resolved by the caller-provided lookups.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from reporting.charts import WEEKDAYS

Table = tuple[list[str], list[list[Any]]]

GROUP_COLUMNS = [
    ("conversations", "conversations"),
    ("resolved", "resolved"),
    ("resolution_rate", "resolution_rate"),
    ("frt_median_seconds", "frt_median"),
    ("resolution_median_seconds", "resolution_median"),
    ("first_contact_resolution_rate", "first_contact_resolution_rate"),
    ("repeat_contact_rate", "repeat_contact_rate"),
    ("reopen_rate", "reopen_rate"),
    ("handoff_conversations", "handoff_conversations"),
    ("handoff_success_rate", "handoff_success_rate"),
    ("average_handling_seconds", "handling_average"),
    ("first_response_sla_compliance", "first_response_sla_compliance"),
    ("resolution_sla_compliance", "resolution_sla_compliance"),
]
BUSINESS_GROUP_COLUMNS = [
    ("frt_business_median_seconds", "frt_business_median"),
    ("resolution_business_median_seconds", "resolution_business_median"),
    ("average_handling_business_seconds", "handling_business_average"),
]


def _round(value: Any) -> Any:
    return round(value, 4) if isinstance(value, float) else value


def summary(data: dict[str, Any]) -> Table:
    headers = ["metric", "label", "current", "previous", "change", "change_ratio"]
    rows = [
        [
            h.key,
            h.label,
            _round(h.current),
            _round(h.previous),
            _round(h.change),
            _round(h.change_ratio),
        ]
        for h in data["headlines"]
    ]
    return headers, rows


def volume(data: dict[str, Any]) -> Table:
    counts: dict[tuple[Any, str], list[int]] = {}
    for row in data["conversation_volume"]:
        counts.setdefault((row["day"], row["channel"]), [0, 0])[0] += row["count"]
    for row in data["message_volume"]:
        counts.setdefault((row["day"], row["channel"]), [0, 0])[1] += row["count"]
    rows = [
        [day.isoformat(), channel, new, messages]
        for (day, channel), (new, messages) in sorted(counts.items())
    ]
    return ["day", "channel", "new_conversations", "customer_messages"], rows


def _distribution(data: dict[str, Any], key: str) -> Table:
    rows = [[row["bucket"], row["count"]] for row in data["conversations"][key]]
    return ["bucket", "conversations"], rows


def frt_distribution(data: dict[str, Any]) -> Table:
    return _distribution(data, "frt_distribution")


def resolution_distribution(data: dict[str, Any]) -> Table:
    return _distribution(data, "resolution_distribution")


def csat_trend(data: dict[str, Any]) -> Table:
    rows = [
        [row["day"].isoformat(), row["responses"], _round(row["average"])]
        for row in data["csat_trend"]
    ]
    return ["day", "responses", "average_score"], rows


def csat_distribution(data: dict[str, Any]) -> Table:
    csat = data["csat"]
    rows = [[score, csat["distribution"][score]] for score in range(1, 6)]
    return ["score", "responses"], rows


def heatmap(data: dict[str, Any]) -> Table:
    rows = [
        [WEEKDAYS[weekday], hour, count]
        for weekday, counts in enumerate(data["heatmap"])
        for hour, count in enumerate(counts)
    ]
    return ["weekday", "hour", "customer_messages"], rows


def handoffs(data: dict[str, Any]) -> Table:
    rows = [[r["from_channel"], r["to_channel"], r["count"]] for r in data["handoffs"]]
    return ["from_channel", "to_channel", "handoffs"], rows


def _groups(data: dict[str, Any], key: str, csat_key: str, name_of: Callable[[Any], str]) -> Table:
    columns = GROUP_COLUMNS + (BUSINESS_GROUP_COLUMNS if data["business_time"] else [])
    csat = {row["group_id"]: row for row in data.get(csat_key, [])}
    headers = ["id", "name"] + [name for name, _ in columns]
    headers += ["csat_surveys", "csat_responses", "csat_average"]
    rows = []
    for row in data[key]:
        survey = csat.get(row["group_id"], {})
        rows.append(
            [row["group_id"], name_of(row["group_id"])]
            + [_round(row[source]) for _, source in columns]
            + [survey.get("surveys", 0), survey.get("responses", 0), _round(survey.get("average"))]
        )
    return headers, rows


def agents(data: dict[str, Any], name_of: Callable[[Any], str]) -> Table:
    return _groups(data, "by_agent", "csat_by_agent", name_of)


def teams(data: dict[str, Any], name_of: Callable[[Any], str]) -> Table:
    return _groups(data, "by_team", "csat_by_team", name_of)


def channels(data: dict[str, Any]) -> Table:
    return _groups(data, "by_channel", "", lambda channel: str(channel))


PLAIN_TABLES: dict[str, Callable[[dict[str, Any]], Table]] = {
    "summary": summary,
    "volume": volume,
    "frt-distribution": frt_distribution,
    "resolution-distribution": resolution_distribution,
    "csat-trend": csat_trend,
    "csat-distribution": csat_distribution,
    "heatmap": heatmap,
    "handoffs": handoffs,
    "channels": channels,
}
NAMED_TABLES = ("agents", "teams")
TABLE_NAMES = (*PLAIN_TABLES, *NAMED_TABLES)
