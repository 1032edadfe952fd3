"""Webhook requests as stored events: envelopes, unreadable payloads, and the handlers
of the event kinds other than plain messages (statuses, call updates, bounces, forms)."""

from __future__ import annotations

import base64
import hashlib
import io
import logging
from typing import Any

from django.db import transaction
from django.http import HttpRequest, QueryDict
from django.utils import timezone

from channels_app.adapters import get_adapter
from channels_app.models import ChannelEndpoint, InboundEvent
from channels_app.services import (
    EVENT_HANDLERS,
    Accepted,
    RetryLater,
    _handle_message,
    accept_inbound,
)
from channels_app.types import DeliveryStatus, InboundMessage
from conversations import events as conversation_events
from conversations import services as conversation_services
from conversations.models import Attachment, Conversation, Message
from conversations.selectors import agent_groups_for_conversation
from omnidesk.errors import ApplicationError
from omnidesk.realtime import publish_on_commit

logger = logging.getLogger(__name__)

STATUS_KIND = "status"
CALL_UPDATE_KIND = "call_update"
BOUNCE_KIND = "bounce"
FORM_KIND = "form"
# A stored request an adapter could not read; re-processing parses it again.
WEBHOOK_KIND = "webhook"


def request_envelope(request: HttpRequest) -> dict[str, Any]:
    """The parts of a webhook request needed to parse it again later, JSON-safe."""
    body = request.body
    envelope: dict[str, Any] = {
        "path": request.path,
        "query": request.META.get("QUERY_STRING", ""),
        "content_type": request.META.get("CONTENT_TYPE", ""),
    }
    try:
        envelope["body"] = body.decode("utf-8")
    except UnicodeDecodeError:
        envelope["body_b64"] = base64.b64encode(body).decode("ascii")
    return envelope


def rebuild_request(envelope: dict[str, Any]) -> HttpRequest:
    """An HttpRequest equivalent to the stored one, for adapters' `parse`."""
    if "body_b64" in envelope:
        body = base64.b64decode(envelope["body_b64"])
    else:
        body = envelope.get("body", "").encode("utf-8")
    request = HttpRequest()
    request.method = "POST"
    request.path = request.path_info = envelope.get("path", "/")
    request.META = {
        "CONTENT_TYPE": envelope.get("content_type", ""),
        "CONTENT_LENGTH": str(len(body)),
        "QUERY_STRING": envelope.get("query", ""),
        "SERVER_NAME": "replay.invalid",
        "SERVER_PORT": "443",
        "REQUEST_METHOD": "POST",
    }
    request._set_content_type_params(request.META)
    request.GET = QueryDict(envelope.get("query", ""))
    request._body = body
    request._stream = io.BytesIO(body)
    request._read_started = False
    request._load_post_and_files()
    request.POST, request.FILES = request._post, request._files
    return request


def status_messages(statuses: list[DeliveryStatus]) -> list[InboundMessage]:
    """Status callbacks as storable events: one per (message, status), so a replay is a
    no-op while each real transition is kept."""
    return [
        InboundMessage(
            provider_id=f"status:{item.provider_message_id}:{item.status}"[:255],
            identities={},
            kind=STATUS_KIND,
            metadata={
                "provider_message_id": item.provider_message_id,
                "status": item.status,
                "error": item.error,
            },
        )
        for item in statuses
    ]


def accept_webhook(
    *,
    endpoint: ChannelEndpoint,
    messages: list[InboundMessage],
    statuses: list[DeliveryStatus],
    envelope: dict[str, Any],
) -> list[Accepted]:
    return accept_inbound(
        endpoint=endpoint, messages=[*messages, *status_messages(statuses)], raw=envelope
    )


def record_unparseable_webhook(
    *, endpoint: ChannelEndpoint, envelope: dict[str, Any], error: Exception
) -> InboundEvent:
    """Keep an authentic request the adapter could not read, as a failed event.

    Unique on a hash of the body, so the provider's retries add nothing.
    """
    body = envelope.get("body") or envelope.get("body_b64", "")
    digest = hashlib.sha256(f"{envelope.get('path')}\n{body}".encode()).hexdigest()
    description = f"Unparseable payload: {type(error).__name__}: {error}"[:2000]
    event, _ = InboundEvent.objects.get_or_create(
        endpoint=endpoint,
        provider_id=f"unparseable:{digest}",
        defaults={
            "kind": WEBHOOK_KIND,
            "raw": envelope,
            "status": InboundEvent.Status.FAILED,
            "error": description,
            "processed_at": timezone.now(),
        },
    )
    logger.warning(
        "webhook payload could not be parsed",
        extra={"endpoint": endpoint.key, "event_id": event.pk, "error": description},
    )
    return event


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
    call = (
        Message.objects.select_for_update()
        .filter(
            endpoint=event.endpoint,
            direction=Message.Direction.INBOUND,
            kind=Message.Kind.CALL,
            provider_message_id=data["call_sid"],
        )
        .first()
    )
    if call is None:
        raise ApplicationError(f"No call {data['call_sid']} on this endpoint yet.")
    details = dict(call.metadata.get("call", {}))
    details.update(data.get("call", {}))
    call.metadata = {**call.metadata, "call": details}
    fields = ["metadata"]
    transcription = data.get("call", {}).get("transcription")
    if transcription:
        call.text = f"{call.text}\n\nTranscription: {transcription}".strip()
        fields.append("text")
    call.save(update_fields=fields)
    recording_url = data.get("call", {}).get("recording_url")
    if recording_url and not call.attachments.filter(remote_url=recording_url).exists():
        Attachment.objects.create(
            message=call,
            remote_url=recording_url,
            filename=f"recording-{data['call_sid']}.mp3",
            content_type="audio/mpeg",
        )
    conversation = Conversation.objects.select_related("endpoint").get(pk=call.conversation_id)
    publish_on_commit(
        conversation_events.message_updated_event(call),
        agent_groups_for_conversation(conversation),
    )
    return call


def _handle_bounce(event: InboundEvent) -> Message | None:
    """A mailer-daemon report: the outbound message it names failed."""
    data = event.message.get("metadata", {})
    original = data.get("bounced_message_id", "")
    message = (
        Message.objects.select_for_update()
        .filter(direction=Message.Direction.OUTBOUND, email_message_id=original)
        .first()
        if original
        else None
    )
    if message is None:
        raise ApplicationError(f"Bounce for an unknown message '{original}'.")
    conversation_services.mark_message_failed(
        message=message, error=f"Bounced: {data.get('diagnostic') or 'undeliverable'}"
    )
    return message


def _handle_form(event: InboundEvent) -> Message:
    message = _handle_message(event)
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
    from channels_app.tasks import send_form_confirmation

    send_form_confirmation.delay(endpoint_id, message_id)


EVENT_HANDLERS[STATUS_KIND] = _handle_status
EVENT_HANDLERS[CALL_UPDATE_KIND] = _handle_call_update
EVENT_HANDLERS[BOUNCE_KIND] = _handle_bounce
EVENT_HANDLERS[FORM_KIND] = _handle_form
EVENT_HANDLERS[WEBHOOK_KIND] = _handle_webhook_replay
