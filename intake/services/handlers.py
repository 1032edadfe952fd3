"""What processing does with each kind of stored inbound event. The one table of
handlers is `EVENT_HANDLERS` at the bottom; every write goes through the conversation
domain's services."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction

from channels_app.adapters import get_adapter
from channels_app.models import InboundEvent
from channels_app.types import InboundMessage
from conversations import services as conversation_services
from conversations.models import Message
from intake.services.accept import Accepted
from intake.services.webhooks import (
    BOUNCE_KIND,
    CALL_UPDATE_KIND,
    FORM_KIND,
    STATUS_KIND,
    WEBHOOK_KIND,
    accept_webhook,
    rebuild_request,
)
from omnidesk.errors import ApplicationError


class RetryLater(Exception):
    """The event arrived before what it refers to (a status before the send is recorded);
    keep it pending for the sweep to retry."""


def handle_message(event: InboundEvent) -> Message:
    message = conversation_services.receive_message(
        endpoint=event.endpoint,
        inbound=InboundMessage.from_json(event.message),
        inbound_event=event,
        received_at=event.received_at,
    )
    if settings.OMNIDESK_FETCH_INBOUND_MEDIA and any(
        item.get("url") for item in event.message.get("attachments", ())
    ):
        message_id = message.pk
        transaction.on_commit(lambda: _enqueue_media_fetch(message_id), robust=True)
    return message


def _enqueue_media_fetch(message_id: int) -> None:
    from intake.tasks import fetch_inbound_media  # the task module imports this one

    fetch_inbound_media.delay(message_id)


def _handle_webhook_replay(event: InboundEvent) -> list[Accepted]:
    """Parse a stored request again (after an adapter fix) and accept what it holds."""
    adapter = get_adapter(event.endpoint.kind)
    if adapter is None:
        raise ApplicationError(f"No adapter for the {event.endpoint.kind} channel.")
    request = rebuild_request(event.raw)
    return accept_webhook(
        endpoint=event.endpoint,
        messages=adapter.parse(request, event.endpoint),
        statuses=adapter.status(request, event.endpoint),
        envelope=event.raw,
    )


# A status for a message we do not know yet is retried this many times (a minute or so
# apart, by the sweep) before it is dropped as someone else's message.
STATUS_RETRY_ATTEMPTS = 10


def _handle_status(event: InboundEvent) -> Message | None:
    data = event.message.get("metadata", {})
    message = conversation_services.update_delivery_status(
        endpoint=event.endpoint,
        provider_message_id=data["provider_message_id"],
        status=data["status"],
        error=data.get("error", ""),
    )
    if message is None and event.attempts < STATUS_RETRY_ATTEMPTS:
        # Providers often call back before our delivery task has stored their id.
        raise RetryLater(f"no sent message with id {data['provider_message_id']} yet")
    return message


def _handle_call_update(event: InboundEvent) -> Message:
    """Attach a call's later facts (duration, recording, transcription) to its call item."""
    data = event.message.get("metadata", {})
    call = conversation_services.record_call_update(
        endpoint=event.endpoint, call_sid=data["call_sid"], call=data.get("call", {})
    )
    if call is None:
        raise ApplicationError(f"No call {data['call_sid']} on this endpoint yet.")
    return call


def _handle_bounce(event: InboundEvent) -> Message:
    """A mailer-daemon report: the outbound message it names failed."""
    data = event.message.get("metadata", {})
    original = data.get("bounced_message_id", "")
    message = conversation_services.mark_bounced(
        endpoint=event.endpoint, email_message_id=original, diagnostic=data.get("diagnostic", "")
    )
    if message is None:
        raise ApplicationError(f"Bounce for an unknown message '{original}'.")
    return message


def _handle_form(event: InboundEvent) -> Message:
    message = handle_message(event)
    inbound = InboundMessage.from_json(event.message)
    recipient = inbound.identities.get("email", "")
    if (
        recipient
        and event.endpoint.config.get("confirmation", True)
        and message.inbound_event_id == event.pk
    ):
        endpoint_id, message_id = event.endpoint.pk, message.pk
        transaction.on_commit(
            lambda: _enqueue_form_confirmation(endpoint_id, message_id), robust=True
        )
    return message


def _enqueue_form_confirmation(endpoint_id: int, message_id: int) -> None:
    from intake.tasks import send_form_confirmation  # the task module imports this one

    send_form_confirmation.delay(endpoint_id, message_id)


EventHandler = Callable[[InboundEvent], Any]

EVENT_HANDLERS: dict[str, EventHandler] = {
    "message": handle_message,
    "call": handle_message,
    STATUS_KIND: _handle_status,
    CALL_UPDATE_KIND: _handle_call_update,
    BOUNCE_KIND: _handle_bounce,
    FORM_KIND: _handle_form,
    WEBHOOK_KIND: _handle_webhook_replay,
}
