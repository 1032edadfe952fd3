"""Celery tasks of the channel layer: thin, idempotent, scheduled on commit."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from channels_app import services


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=10,
)
def process_inbound_event(event_id: int) -> None:
    services.process_inbound_event(event_id=event_id)


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None)
def deliver_message(self, message_id: int) -> str:
    outcome = services.deliver_message(message_id=message_id)
    if outcome.retry_in is not None and not self.request.is_eager:
        # The message stays queued with next_attempt_at set; should this retry be
        # lost, the sweep picks the message up at that time.
        raise self.retry(countdown=outcome.retry_in)
    return outcome.status


@shared_task(acks_late=True)
def sweep_stranded_work() -> dict[str, int]:
    result = services.sweep_stranded_work()
    return {"inbound_events": result.inbound_events, "outbound_messages": result.outbound_messages}
