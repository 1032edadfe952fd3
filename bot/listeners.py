"""The bot's reactions to moments of the conversation domain (`conversations.hooks`),
registered in `BotConfig.ready()`."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from bot import services
from conversations.models import Conversation, Message


def answer_customer_messages(messages: Sequence[Message]) -> None:
    """New customer messages: revoke bot resolutions of customers who came back, and
    after commit give the bot its turn on endpoints that opted in (or where a routing
    rule handed the conversation to it). Inside the writing transaction, a few queries
    per batch whatever its size; the answering itself runs in a task."""
    inbound = [
        m
        for m in messages
        if m.direction == Message.Direction.INBOUND and m.kind == Message.Kind.CUSTOMER
    ]
    if not inbound:
        return
    conversation_ids = list({m.conversation_id for m in inbound})
    services.revoke_resolutions(
        customer_ids=Conversation.objects.filter(pk__in=conversation_ids).values("customer_id"),
        at=timezone.now(),
    )
    enabled = services.bot_enabled_endpoint_ids([m.endpoint_id for m in inbound if m.endpoint_id])
    rule_handed = services.handed_to_bot_by_rule(
        [m.conversation_id for m in inbound if m.endpoint_id not in enabled]
    )
    # The bot was turned off while it still talks in some of these: it gets the turn to
    # let go of them (bot.services.respond), so no session is left open.
    talking = services.active_session_conversations(
        [
            m.conversation_id
            for m in inbound
            if m.endpoint_id not in enabled and m.conversation_id not in rule_handed
        ]
    )
    for message in inbound:
        if (
            message.endpoint_id in enabled
            or message.conversation_id in rule_handed
            or message.conversation_id in talking
        ):
            transaction.on_commit(lambda message_id=message.pk: _enqueue(message_id), robust=True)


def _enqueue(message_id: int) -> None:
    from bot.tasks import answer_customer_message

    answer_customer_message.delay(message_id)
