"""Routing's Celery tasks: thin, idempotent, take ids."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from routing import services


@shared_task(acks_late=True)
def scan_escalations() -> int:
    return services.scan_escalations()


@shared_task(
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    max_retries=5,
)
def assign_waiting_conversations(team_id: int) -> int:
    return services.assign_waiting(team_id=team_id)
