"""Celery tasks of the agents app: thin, idempotent, take ids."""

from __future__ import annotations

from datetime import datetime

from agents import services
from omnidesk.tasks import durable_task


@durable_task(former_names=("routing.tasks.mark_offline_after_grace",))
def mark_offline_after_grace(user_id: int, disconnected_at: str) -> bool:
    return services.mark_offline_if_still_disconnected(
        user_id=user_id, disconnected_at=datetime.fromisoformat(disconnected_at)
    )


@durable_task()
def scan_presence() -> int:
    """Periodic (beat): agents left online by a server that died with their sockets."""
    return services.scan_presence()


@durable_task()
def mark_idle_agents_away() -> int:
    """Periodic (beat): auto-away for agents idle in every tab (OMNIDESK_AUTO_AWAY_MINUTES)."""
    return services.mark_idle_agents_away()
