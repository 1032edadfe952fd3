"""Subscribers to the domain's moments (`conversations.hooks`, `customers.hooks`): each
turns a moment into outgoing webhook events, inside the transaction that made it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from conversations.hooks import Change, ConversationChange, CsatAnswer
from webhooks import events
from webhooks.services import Event, announce

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from conversations.models import Conversation, Message
    from customers.models import Customer

RESOLVED = "resolved"


def _conversation_event(change: ConversationChange) -> str:
    """Reopened whatever reopened it: a status change, a customer's message (an email
    thread or a subject token names a resolved conversation) or a reply. Read from the
    change alone, so a message that reopened nothing costs nothing more."""
    if change.change == Change.INBOUND and change.opened:
        return events.CONVERSATION_CREATED
    if change.change == Change.STATUS and change.conversation.status == RESOLVED:
        return events.CONVERSATION_RESOLVED
    if change.previous_status == RESOLVED and change.conversation.status != RESOLVED:
        return events.CONVERSATION_REOPENED
    return events.CONVERSATION_UPDATED


def conversations_changed(changes: Sequence[ConversationChange]) -> None:
    announce(
        *(
            Event(
                _conversation_event(change),
                lambda c=change.conversation, kind=change.change: {
                    **events.conversation_data(c),
                    "change": str(kind),
                },
                at=change.at,
            )
            for change in changes
        )
    )


def conversation_assigned(
    conversation: Conversation, previous_assignee_id: int | None, actor: AbstractBaseUser | None
) -> None:
    announce(
        Event(
            events.CONVERSATION_ASSIGNED,
            lambda: {
                **events.conversation_data(conversation),
                "previous_assignee_id": previous_assignee_id,
                "actor_id": actor.pk if actor else None,
            },
        )
    )


def messages_created(messages: Sequence[Message]) -> None:
    announce(
        *(
            Event(
                events.MESSAGE_CREATED, lambda m=message: events.message_data(m), message.created_at
            )
            for message in messages
        )
    )


def message_delivery_failed(message: Message) -> None:
    announce(Event(events.MESSAGE_DELIVERY_FAILED, lambda: events.delivery_failed_data(message)))


def customers_created(customers: Sequence[Customer]) -> None:
    announce(
        *(
            Event(events.CUSTOMER_CREATED, lambda c=customer: events.customer_data(c))
            for customer in customers
        )
    )


def customer_updated(customer: Customer) -> None:
    announce(Event(events.CUSTOMER_UPDATED, lambda: events.customer_data(customer)))


def customers_merged(source: Customer, target: Customer) -> None:
    announce(Event(events.CUSTOMER_MERGED, lambda: events.merge_data(source, target)))


def csat_submitted(answer: CsatAnswer) -> None:
    announce(Event(events.CSAT_SUBMITTED, lambda: events.csat_data(answer), answer.at))
