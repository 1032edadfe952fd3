"""The dashboard (/reports/ and /api/v1/reports/): headline numbers against the previous
period, every panel's series, the per-agent and per-team tables, and the named tables
their CSV and API give."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_noop as N_

from reporting import tables
from reporting.selectors.cohort import conversation_breakdown, handoff_matrix
from reporting.selectors.csat import csat_breakdown, csat_metrics, csat_trend
from reporting.selectors.filters import ReportFilters
from reporting.selectors.labels import group_names
from reporting.selectors.volume import conversation_volume, message_heatmap, message_volume
from reporting.selectors.waits import next_response_metrics


@dataclass(frozen=True)
class Headline:
    key: str
    label: str
    kind: str  # "count", "rate", "duration" or "score"
    current: float | None
    previous: float | None
    higher_is_better: bool

    @property
    def change(self) -> float | None:
        if self.current is None or self.previous is None:
            return None
        return self.current - self.previous

    @property
    def change_ratio(self) -> float | None:
        """Relative change (counts, durations, scores); None without a base."""
        if self.change is None or not self.previous:
            return None
        return self.change / self.previous

    @property
    def trend(self) -> str:
        """ "better", "worse" or "same", for colouring the change."""
        if not self.change:
            return "same"
        return "better" if (self.change > 0) == self.higher_is_better else "worse"

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "kind": self.kind,
            "current": self.current,
            "previous": self.previous,
            "change": self.change,
            "change_ratio": self.change_ratio,
            "trend": self.trend,
        }


# (key, label, kind, higher is better, where the value comes from). The labels stay English
# in the API and CSV; the dashboard template translates them.
HEADLINES: tuple[tuple[str, str, str, bool, str], ...] = (
    ("conversations", N_("New conversations"), "count", True, "conversations"),
    ("resolution_rate", N_("Resolution rate"), "rate", True, "conversations"),
    ("frt_median", N_("First response (median)"), "duration", False, "conversations"),
    ("nrt_median", N_("Next response (median)"), "duration", False, "nrt"),
    ("resolution_median", N_("Resolution time (median)"), "duration", False, "conversations"),
    ("resolution_p90", N_("Resolution time (p90)"), "duration", False, "conversations"),
    (
        "first_contact_resolution_rate",
        N_("First contact resolution"),
        "rate",
        True,
        "conversations",
    ),
    ("repeat_contact_rate", N_("Repeat contacts"), "rate", False, "conversations"),
    ("reopen_rate", N_("Reopen rate"), "rate", False, "conversations"),
    ("handoff_success_rate", N_("Handoffs resolved without reopen"), "rate", True, "conversations"),
    ("handling_average", N_("Average handling time"), "duration", False, "conversations"),
    ("first_response_sla_compliance", N_("First response SLA met"), "rate", True, "conversations"),
    ("resolution_sla_compliance", N_("Resolution SLA met"), "rate", True, "conversations"),
    ("csat_average", N_("CSAT (average of 5)"), "score", True, "csat"),
    ("csat_response_rate", N_("CSAT response rate"), "rate", True, "csat"),
)
BUSINESS_VARIANTS = {
    "frt_median": "frt_business_median",
    "nrt_median": "nrt_business_median",
    "resolution_median": "resolution_business_median",
    "resolution_p90": "resolution_business_p90",
    "handling_average": "handling_business_average",
}


def _headline_sources(filters: ReportFilters) -> dict[str, dict[str, Any]]:
    csat = csat_metrics(filters=filters)[0]
    return {
        "conversations": conversation_breakdown(filters=filters)["total"],
        "nrt": next_response_metrics(filters=filters),
        "csat": {"csat_average": csat["average"], "csat_response_rate": csat["response_rate"]},
    }


def _headline_value(
    sources: dict[str, dict[str, Any]], source: str, key: str, business: bool
) -> float | None:
    if business and key in BUSINESS_VARIANTS:
        key = BUSINESS_VARIANTS[key]
    return sources[source].get(key)


def dashboard(*, filters: ReportFilters) -> dict[str, Any]:
    """Everything /reports/ shows for `filters`: headline numbers against the previous
    period, the charts' series, and per-agent and per-team tables."""
    business = filters.business
    breakdown = conversation_breakdown(filters=filters, groupings=["agent", "team", "channel"])
    nrt = next_response_metrics(filters=filters)
    csat = csat_breakdown(filters=filters)
    csat_rows = [csat["total"]]
    current = {
        "conversations": breakdown["total"],
        "nrt": nrt,
        "csat": {
            "csat_average": csat_rows[0]["average"],
            "csat_response_rate": csat_rows[0]["response_rate"],
        },
    }
    previous = _headline_sources(filters.previous())
    headlines = [
        Headline(
            key=key,
            label=label,
            kind=kind,
            current=_headline_value(current, source, key, business),
            previous=_headline_value(previous, source, key, business),
            higher_is_better=higher,
        )
        for key, label, kind, higher, source in HEADLINES
    ]
    return {
        "filters": filters,
        "business_time": business,
        "headlines": headlines,
        "conversations": breakdown["total"],
        "by_agent": breakdown["agent"],
        "by_team": breakdown["team"],
        "by_channel": breakdown["channel"],
        "next_response": nrt,
        "csat": csat_rows[0],
        "csat_by_agent": csat["agent"],
        "csat_by_team": csat["team"],
        "csat_trend": csat_trend(filters=filters),
        "conversation_volume": conversation_volume(filters=filters),
        "message_volume": message_volume(filters=filters),
        "heatmap": message_heatmap(filters=filters),
        "handoffs": handoff_matrix(filters=filters),
    }


def report_table(name: str, data: dict[str, Any]) -> tables.Table:
    """The table `name` (tables.TABLE_NAMES) of a dashboard: what its CSV and API give."""
    if name in tables.PLAIN_TABLES:
        return tables.PLAIN_TABLES[name](data)
    agents, teams = group_names(data)
    if name == "agents":
        return tables.agents(data, lambda pk: agents.get(pk, str(pk)))
    return tables.teams(data, lambda pk: teams.get(pk, str(pk)))
