"""Messages the desk starts (a notification): they take the conversation a message from
the customer on that channel would join now, or open one, so the customer's reply
continues it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from channels_app.models import ChannelEndpoint
from channels_app.types import InboundMessage
from conversations import hooks
from conversations.models import Conversation, Message
from conversations.services import live
from conversations.services.common import preview_text, validate_text
from conversations.services.inbound import find_or_open_conversation, reopen_conversation
from conversations.services.outbound import queue_outbound_message
from customers.models import Customer


def send_proactive_message(
    *,
    customer: Customer,
    endpoint: ChannelEndpoint,
    text: str,
    subject: str = "",
    template: Mapping[str, Any] | None = None,
    author: AbstractBaseUser | None = None,
    sender_name: str = "",
    metadata: Mapping[str, Any] | None = None,
    at: datetime | None = None,
) -> Message:
    """Queue a message the customer did not ask for on `endpoint`, in the conversation
    the continuity rules would give the customer's next message there (a new one,
    `pending` on the customer, when none fits). Raises ApplicationError when the channel
    refuses it (`queue_outbound_message`), writing nothing. Consent is the caller's."""
    validate_text(text)
    now = at or timezone.now()
    with transaction.atomic():
        # The same lock an inbound message of this customer takes to choose a conversation.
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        conversation, opened, _rule = find_or_open_conversation(
            customer=customer,
            endpoint=endpoint,
            inbound=InboundMessage(provider_id="", identities={}, subject=subject),
            now=now,
        )
        conversation.customer = customer
        reopened_from = ""
        if conversation.status == Conversation.Status.RESOLVED:
            # Its email thread or a `[#123]` in the subject named it.
            reopened_from = conversation.status
            reopen_conversation(conversation, actor=author, at=now)
        message = queue_outbound_message(
            conversation=conversation,
            kind=Message.Kind.BOT,
            text=text,
            author=author,
            sender_name=sender_name,
            endpoint=endpoint,
            subject=subject,
            template=template,
            metadata=metadata,
            at=now,
        )
        if opened:
            # Nobody waits on the desk: the customer's answer reopens it for agents.
            conversation.status = Conversation.Status.PENDING
        conversation.last_message_at = max(conversation.last_message_at, now)
        conversation.last_message_preview = preview_text(text)
        conversation.save()
        hooks.notify_changed(
            [
                hooks.ConversationChange(
                    conversation=conversation,
                    change=hooks.Change.REPLY,
                    at=now,
                    actor=author,
                    previous_status=reopened_from,
                )
            ]
        )
        live.conversation_changed(conversation)
    return message
