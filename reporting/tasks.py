"""Periodic work of the reporting app."""

from __future__ import annotations

from omnidesk.tasks import durable_task
from reporting import services


@durable_task(name="reporting.tasks.refresh_report_data")
def refresh_report_data() -> dict[str, int]:
    outcome = services.refresh_report_data()
    return {"conversations": outcome.conversations, "hours": outcome.hours}
