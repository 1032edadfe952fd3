"""Outbound delivery: the delivery task's send through the channel's adapter, and the
delivery state it and the providers' callbacks (statuses, bounces) move."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from channels_app.adapters import get_adapter
from channels_app.models import ChannelEndpoint
from channels_app.types import DeliveryError, OutboundMessage
from conversations import hooks
from conversations.display import render_message_body
from conversations.media_links import media_link
from conversations.models import (
    Attachment,
    ConversationEvent,
    Message,
)
from conversations.services import live
from conversations.services.common import outbound_idempotency_key
from conversations.services.outbound import enqueue_delivery, offline_email
from omnidesk import metrics
from omnidesk.errors import ApplicationError

logger = logging.getLogger(__name__)

MAX_DELIVERY_ATTEMPTS = 8
# A message stuck in "sending" this long belonged to a worker that died mid-send.
SENDING_STALE_AFTER = timedelta(minutes=15)


def mark_message_sent(
    *, message: Message, provider_message_id: str, email_message_id: str = ""
) -> None:
    message.delivery_status = Message.DeliveryStatus.SENT
    message.provider_message_id = provider_message_id[:255]
    if email_message_id:
        message.email_message_id = email_message_id
    message.delivery_error = ""
    message.sent_at = timezone.now()
    message.next_attempt_at = None
    message.save(
        update_fields=[
            "delivery_status",
            "provider_message_id",
            "email_message_id",
            "delivery_error",
            "sent_at",
            "next_attempt_at",
        ]
    )
    _publish_delivery(message)


def mark_message_failed(*, message: Message, error: str) -> None:
    message.delivery_status = Message.DeliveryStatus.FAILED
    message.delivery_error = error[:2000]
    message.next_attempt_at = None
    message.save(update_fields=["delivery_status", "delivery_error", "next_attempt_at"])
    ConversationEvent.objects.create(
        conversation_id=message.conversation_id,
        kind=ConversationEvent.Kind.DELIVERY_FAILED,
        data={"message_id": message.pk, "error": error[:500]},
    )
    _publish_delivery(message)
    hooks.notify_delivery_failed(message)
    metrics.count_delivery_failure(channel=message.endpoint.kind if message.endpoint_id else "")


def schedule_delivery_retry(*, message: Message, error: str, retry_at: datetime) -> None:
    message.delivery_status = Message.DeliveryStatus.QUEUED
    message.delivery_error = error[:2000]
    message.next_attempt_at = retry_at
    message.save(update_fields=["delivery_status", "delivery_error", "next_attempt_at"])
    _publish_delivery(message)


def retry_delivery(*, message: Message) -> Message:
    """An agent's retry of a failed message."""
    with transaction.atomic():
        message = Message.objects.select_for_update().get(pk=message.pk)
        if message.delivery_status != Message.DeliveryStatus.FAILED:
            raise ApplicationError("Only a failed message can be retried.")
        message.delivery_status = Message.DeliveryStatus.QUEUED
        message.delivery_error = ""
        message.delivery_attempts = 0
        message.save(update_fields=["delivery_status", "delivery_error", "delivery_attempts"])
        _publish_delivery(message)
        transaction.on_commit(lambda: enqueue_delivery(message.pk), robust=True)
    return message


_STATUS_RANK = {"queued": 0, "sending": 1, "sent": 2, "delivered": 3, "read": 4}


def update_delivery_status(
    *, endpoint: ChannelEndpoint, provider_message_id: str, status: str, error: str = ""
) -> Message | None:
    """Apply a provider's status callback. Statuses only move forward (callbacks arrive
    out of order); a failure always applies."""
    with transaction.atomic():
        message = (
            Message.objects.select_for_update()
            .filter(
                endpoint=endpoint,
                direction=Message.Direction.OUTBOUND,
                provider_message_id=provider_message_id,
            )
            .first()
        )
        if message is None:
            return None
        if status == Message.DeliveryStatus.FAILED:
            mark_message_failed(message=message, error=error or "The provider reported a failure.")
            return message
        if _STATUS_RANK.get(status, -1) > _STATUS_RANK.get(message.delivery_status, -1):
            message.delivery_status = status
            message.save(update_fields=["delivery_status"])
            _publish_delivery(message)
    return message


def _publish_delivery(message: Message) -> None:
    live.message_updated(message)


# --- Sending ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DeliveryOutcome:
    status: str
    retry_in: float | None = None


def retry_backoff_seconds(attempt: int) -> float:
    """30 s, 60 s, 2 min ... capped at one hour (under the broker's visibility timeout)."""
    return float(min(30 * 2 ** max(attempt - 1, 0), 3600))


def deliver_message(*, message_id: int) -> DeliveryOutcome:
    """Send one queued outbound message through its channel's adapter.

    The message is claimed (queued -> sending) with a conditional UPDATE, so two workers
    given the same message never both send it. Temporary errors leave it queued with a
    retry time; permanent ones (or too many attempts) mark it failed with the reason.
    """
    endpoint_kind = (
        Message.objects.filter(pk=message_id).values_list("endpoint__kind", flat=True).first()
    )
    # Looked up before the claim, so a broken adapter module leaves the message queued.
    adapter = get_adapter(endpoint_kind) if endpoint_kind else None
    claimed = Message.objects.filter(
        pk=message_id,
        direction=Message.Direction.OUTBOUND,
        delivery_status=Message.DeliveryStatus.QUEUED,
    ).update(delivery_status=Message.DeliveryStatus.SENDING, next_attempt_at=None)
    if not claimed:
        return DeliveryOutcome(status="skipped")
    message = Message.objects.select_related("author", "endpoint", "conversation__customer").get(
        pk=message_id
    )
    message.delivery_attempts += 1
    message.save(update_fields=["delivery_attempts"])
    if adapter is None:
        mark_message_failed(
            message=message,
            error=f"No adapter for the {message.endpoint.get_kind_display()} channel is installed.",
        )
        return DeliveryOutcome(status="failed")
    try:
        result = adapter.send(build_outbound(message), message.endpoint)
    except DeliveryError as exc:
        return _delivery_failed(message, str(exc), permanent=exc.permanent)
    except NotImplementedError:
        return _delivery_failed(message, "This channel cannot send replies yet.", permanent=True)
    except (
        Exception
    ) as exc:  # an adapter bug or an unexpected network error: retry, keep the reason
        logger.exception("adapter send crashed", extra={"message_id": message.pk})
        return _delivery_failed(message, f"{type(exc).__name__}: {exc}", permanent=False)
    mark_message_sent(
        message=message,
        provider_message_id=result.provider_message_id,
        email_message_id=result.email_message_id,
    )
    metrics.observe_delivery_sent(channel=message.endpoint.kind, created_at=message.created_at)
    return DeliveryOutcome(status="sent")


def _delivery_failed(message: Message, error: str, *, permanent: bool) -> DeliveryOutcome:
    if permanent or message.delivery_attempts >= MAX_DELIVERY_ATTEMPTS:
        mark_message_failed(message=message, error=error)
        return DeliveryOutcome(status="failed")
    delay = retry_backoff_seconds(message.delivery_attempts)
    schedule_delivery_retry(
        message=message, error=error, retry_at=timezone.now() + timedelta(seconds=delay)
    )
    return DeliveryOutcome(status="queued", retry_in=delay)


def stored_files(message: Message) -> list[Attachment]:
    """The message's attachments: as its writer stored them when it kept them on the
    message (`attachment_list`), otherwise read."""
    kept = getattr(message, "attachment_list", None)
    return list(message.attachments.all()) if kept is None else kept


def build_outbound(message: Message) -> OutboundMessage:
    """What the adapter needs to send `message`, as plain values (adapters never query).
    Precondition: loaded with its author, endpoint and conversation's customer."""
    customer = message.conversation.customer
    author = message.author
    return OutboundMessage(
        message_id=message.pk,
        idempotency_key=outbound_idempotency_key(message.pk),
        to=message.metadata.get("to", ""),
        cc=tuple(message.metadata.get("cc", ())),
        text=message.text,
        subject=message.subject,
        html=message.html,
        sender_name=message.sender_name,
        in_reply_to=message.email_in_reply_to,
        references=tuple(message.email_references.split()),
        attachments=tuple(
            {
                "id": a.pk,
                "filename": a.filename,
                "content_type": a.content_type,
                "size": a.size,
                "path": a.file.name,
                "url": a.remote_url,
                # Where a provider that takes media by link fetches the stored file.
                "public_url": media_link(a.pk, a.filename) if a.file else a.remote_url,
            }
            for a in stored_files(message)
        ),
        metadata={
            "conversation_id": message.conversation_id,
            # Lets an adapter whose provider has no idempotency key check, on a retry,
            # whether an earlier attempt got through before sending again.
            "attempt": message.delivery_attempts,
            "created_at": message.created_at.isoformat(),
            # How a live channel shows who wrote: an agent by first name.
            "author_name": (author.first_name or author.get_username()) if author else "",
            # Where a live channel may reach a customer who left (an address they typed
            # into the chat; never used for anything else).
            "offline_email": offline_email(customer),
            **{
                key: message.metadata[key]
                for key in ("template", "csat_survey", "unsubscribe_url")
                if message.metadata.get(key)
            },
        },
    )


def requeue_stranded_deliveries(*, limit: int = 1000) -> int:
    """Re-enqueue outbound messages whose enqueue may have been lost between commit and
    broker: queued longer than `OMNIDESK_STRANDED_AFTER_SECONDS` with no retry time, or
    whose retry time has passed; messages stuck in `sending` after a worker crash go back
    to queued first. Delivery claims each message, so one enqueued twice is sent once.
    Returns how many were enqueued."""
    now = timezone.now()
    cutoff = now - timedelta(seconds=settings.OMNIDESK_STRANDED_AFTER_SECONDS)
    Message.objects.filter(
        delivery_status=Message.DeliveryStatus.SENDING,
        direction=Message.Direction.OUTBOUND,
        created_at__lt=now - SENDING_STALE_AFTER,
    ).update(delivery_status=Message.DeliveryStatus.QUEUED)
    message_ids = list(
        Message.objects.filter(
            delivery_status=Message.DeliveryStatus.QUEUED,
            direction=Message.Direction.OUTBOUND,
        )
        .filter(
            Q(next_attempt_at__isnull=True, created_at__lt=cutoff) | Q(next_attempt_at__lte=now)
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    for message_id in message_ids:
        enqueue_delivery(message_id)
    return len(message_ids)


# --- Provider callbacks about messages already stored ------------------------------------


def record_call_update(
    *, endpoint: ChannelEndpoint, call_sid: str, call: dict[str, Any]
) -> Message | None:
    """Attach a call's later facts (duration, recording, transcription) to its call item
    on the timeline. None when the call is not stored yet."""
    message = (
        Message.objects.select_for_update()
        .filter(
            endpoint=endpoint,
            direction=Message.Direction.INBOUND,
            kind=Message.Kind.CALL,
            provider_message_id=call_sid,
        )
        .first()
    )
    if message is None:
        return None
    details = dict(message.metadata.get("call", {}))
    details.update(call)
    message.metadata = {**message.metadata, "call": details}
    fields = ["metadata"]
    transcription = call.get("transcription")
    if transcription:
        message.text = f"{message.text}\n\nTranscription: {transcription}".strip()
        message.body_html = render_message_body(text=message.text, html=message.html)
        fields += ["text", "body_html"]
    message.save(update_fields=fields)
    recording_url = call.get("recording_url")
    if recording_url and not message.attachments.filter(remote_url=recording_url).exists():
        Attachment.objects.create(
            message=message,
            remote_url=recording_url,
            filename=f"recording-{call_sid}.mp3",
            content_type="audio/mpeg",
        )
    live.message_updated(message)
    return message


def mark_bounced(
    *, endpoint: ChannelEndpoint, email_message_id: str, diagnostic: str = ""
) -> Message | None:
    """A mailer-daemon report to `endpoint`: the outbound email it names failed. None when
    that endpoint never sent a message with that Message-ID (a report to another
    mailbox, or a forged one, changes nothing)."""
    message = (
        Message.objects.select_for_update()
        .filter(
            endpoint=endpoint,
            direction=Message.Direction.OUTBOUND,
            email_message_id=email_message_id,
        )
        .first()
        if email_message_id
        else None
    )
    if message is None:
        return None
    mark_message_failed(message=message, error=f"Bounced: {diagnostic or 'undeliverable'}")
    return message
