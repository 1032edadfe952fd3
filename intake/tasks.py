"""Celery tasks of the doors and the inbound pipeline: thin, idempotent, take ids.

Each answers to its former name too (`channels_app.tasks.*`, before the app-stack
redesign), so tasks queued during an upgrade still run."""

from __future__ import annotations

from channels_app.types import DeliveryError
from intake import services
from intake.services import email, forms, media
from omnidesk.tasks import DATABASE_HICCUPS, durable_task


def _former(name: str) -> tuple[str, ...]:
    return (f"channels_app.tasks.{name}",)


@durable_task(
    reject_on_worker_lost=True,
    autoretry_for=DATABASE_HICCUPS,
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=10,
    former_names=_former("process_inbound_event"),
)
def process_inbound_event(event_id: int) -> None:
    services.process_inbound_event(event_id=event_id)


@durable_task(
    reject_on_worker_lost=True,
    autoretry_for=DATABASE_HICCUPS,
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=10,
    former_names=_former("drain_inbound_events"),
)
def drain_inbound_events() -> int:
    return services.drain_inbound_events()


@durable_task(former_names=_former("sweep_stranded_work"))
def sweep_stranded_work() -> dict[str, int]:
    result = services.sweep_stranded_work()
    return {"inbound_events": result.inbound_events, "outbound_messages": result.outbound_messages}


@durable_task(former_names=_former("poll_email_mailboxes"))
def poll_email_mailboxes() -> int:
    """Beat entry: one poll task per email endpoint with an IMAP mailbox."""
    endpoint_ids = email.imap_endpoints()
    for endpoint_id in endpoint_ids:
        poll_mailbox.delay(endpoint_id)
    return len(endpoint_ids)


@durable_task(
    autoretry_for=(OSError, *DATABASE_HICCUPS),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=5,
    former_names=_former("poll_mailbox"),
)
def poll_mailbox(endpoint_id: int) -> dict[str, int]:
    result = email.poll_mailbox(endpoint_id=endpoint_id)
    return {"fetched": result.fetched, "stored": result.stored, "failed": result.failed}


@durable_task(
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
    former_names=_former("send_form_confirmation"),
)
def send_form_confirmation(endpoint_id: int, message_id: int) -> bool:
    return forms.send_form_confirmation(endpoint_id=endpoint_id, message_id=message_id)


@durable_task(
    autoretry_for=(DeliveryError, *DATABASE_HICCUPS),
    retry_backoff=True,
    retry_backoff_max=900,
    max_retries=6,
    former_names=_former("fetch_inbound_media"),
)
def fetch_inbound_media(message_id: int) -> int:
    return media.fetch_inbound_media(message_id=message_id)
