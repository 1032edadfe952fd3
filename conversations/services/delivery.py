"""Delivery state of outbound messages, driven by the delivery task and provider callbacks."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from conversations import events
from conversations.models import (
    Conversation,
    ConversationEvent,
    Message,
)
from conversations.selectors import agent_groups_for_conversation
from conversations.services.replies import _enqueue_delivery
from omnidesk.errors import ApplicationError
from omnidesk.realtime import publish_on_commit

if TYPE_CHECKING:
    from channels_app.models import ChannelEndpoint

logger = logging.getLogger(__name__)


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
        transaction.on_commit(lambda: _enqueue_delivery(message.pk), robust=True)
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
    conversation = Conversation.objects.select_related("endpoint").get(pk=message.conversation_id)
    publish_on_commit(
        events.message_updated_event(message), agent_groups_for_conversation(conversation)
    )
