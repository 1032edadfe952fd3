"""Routing's Celery tasks: thin, idempotent, take ids."""

from __future__ import annotations

from omnidesk.tasks import DATABASE_HICCUPS, durable_task
from routing import services


@durable_task()
def scan_escalations() -> int:
    return services.scan_escalations()


@durable_task(autoretry_for=DATABASE_HICCUPS, retry_backoff=True, max_retries=5)
def assign_waiting_conversations(team_id: int) -> int:
    return services.assign_waiting(team_id=team_id)
