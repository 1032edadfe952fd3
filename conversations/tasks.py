"""Celery tasks of the conversation domain: thin, idempotent, take ids."""

from __future__ import annotations

from conversations.services import delivery, live
from omnidesk.tasks import durable_task


@durable_task(
    bind=True,
    reject_on_worker_lost=True,
    max_retries=None,
    former_names=("channels_app.tasks.deliver_message",),
)
def deliver_message(self, message_id: int) -> str:
    outcome = delivery.deliver_message(message_id=message_id)
    if outcome.retry_in is not None and not self.request.is_eager:
        # The message stays queued with next_attempt_at set; should this retry be
        # lost, the sweep picks the message up at that time.
        raise self.retry(countdown=outcome.retry_in)
    return outcome.status


@durable_task()
def reconcile_live_inbox() -> dict[str, int]:
    outcome = live.reconcile()
    return {
        "announced": outcome.announced,
        "drifted_buckets": outcome.drifted_buckets,
        "drift": outcome.drift,
    }
