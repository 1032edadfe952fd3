"""Periodic work of the reporting app."""

from __future__ import annotations

from celery import shared_task

from reporting import services


@shared_task(name="reporting.tasks.refresh_report_data")
def refresh_report_data() -> dict[str, int]:
    outcome = services.refresh_report_data()
    return {"conversations": outcome.conversations, "hours": outcome.hours}
