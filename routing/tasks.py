"""Routing's Celery tasks: thin, idempotent, take ids."""

from __future__ import annotations

from datetime import datetime

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


@shared_task(acks_late=True)
def mark_offline_after_grace(user_id: int, disconnected_at: str) -> bool:
    return services.mark_offline_if_still_disconnected(
        user_id=user_id, disconnected_at=datetime.fromisoformat(disconnected_at)
    )
