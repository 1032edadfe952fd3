"""Celery tasks of the channel layer: thin, idempotent, scheduled on commit."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from channels_app import services
from channels_app.types import DeliveryError


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


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=10,
)
def drain_inbound_events() -> int:
    return services.drain_inbound_events()


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


@shared_task(acks_late=True)
def poll_email_mailboxes() -> int:
    """Beat entry: one poll task per email endpoint with an IMAP mailbox."""
    from channels_app.services import email

    endpoint_ids = email.imap_endpoints()
    for endpoint_id in endpoint_ids:
        poll_mailbox.delay(endpoint_id)
    return len(endpoint_ids)


@shared_task(
    acks_late=True,
    autoretry_for=(OSError, OperationalError, InterfaceError),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=5,
)
def poll_mailbox(endpoint_id: int) -> dict[str, int]:
    from channels_app.services import email

    result = email.poll_mailbox(endpoint_id=endpoint_id)
    return {"fetched": result.fetched, "stored": result.stored, "failed": result.failed}


@shared_task(
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def send_form_confirmation(endpoint_id: int, message_id: int) -> bool:
    from channels_app.services import forms

    return forms.send_form_confirmation(endpoint_id=endpoint_id, message_id=message_id)


@shared_task(
    acks_late=True,
    autoretry_for=(DeliveryError, OperationalError, InterfaceError),
    retry_backoff=True,
    retry_backoff_max=900,
    max_retries=6,
)
def fetch_inbound_media(message_id: int) -> int:
    from channels_app.services import media

    return media.fetch_inbound_media(message_id=message_id)
