"""The moments of the conversation domain that higher apps react to.

Conversations never imports routing, reporting or any feature app. Its services call
the functions below at named moments; the apps above subscribe in their
`AppConfig.ready()` (routing: rules, assignment and SLA clocks; reporting: CSAT surveys
and their keyword answers):

    # routing/apps.py
    def ready(self) -> None:
        from conversations import hooks
        from routing import listeners
        hooks.conversations_changed.append(listeners.route_and_time_sla)

These are explicit calls at one place each, not Django model signals: a `save()`
anywhere else triggers nothing. Subscribers run in registration order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from channels_app.models import ChannelEndpoint, InboundEvent
    from channels_app.types import InboundMessage
    from conversations.models import Conversation, Message
    from customers.models import Customer


class Change(StrEnum):
    # A customer's message arrived (`opened` says whether it opened it; `previous_status`
    # is "resolved" when it reopened a resolved conversation, "" otherwise).
    INBOUND = "inbound"
    # An agent replied, or the desk sent a notification (`previous_status` is the status
    # the reply reopened, resolved or snoozed, "" when it reopened nothing).
    REPLY = "reply"
    STATUS = "status"  # open, pending, snoozed, resolved (`previous_status` is set)
    TEAM = "team"  # moved to another team's queue
    PRIORITY = "priority"
    THREAD = "thread"  # an agent split or merged conversations: messages moved in or out


@dataclass(frozen=True)
class ConversationChange:
    """One conversation after a change, locked by the caller's transaction, with the
    moment the change took effect."""

    conversation: Conversation
    change: Change
    at: datetime
    opened: bool = False
    previous_status: str = ""
    actor: AbstractBaseUser | None = field(default=None, compare=False)


# Called inside the transaction that made the changes, with every conversation row
# locked; one call per transaction (an inbound batch passes all it touched at once).
conversations_changed: list[Callable[[Sequence[ConversationChange]], None]] = []


def notify_changed(changes: Sequence[ConversationChange]) -> None:
    if not changes:
        return
    for subscriber in conversations_changed:
        subscriber(changes)


@dataclass(frozen=True)
class InboundClaim:
    """An inbound message about to be placed by the continuity rules, offered first to
    apps that may take it elsewhere (a survey answer goes to the surveyed conversation)."""

    customer: Customer
    endpoint: ChannelEndpoint
    inbound: InboundMessage
    inbound_event: InboundEvent | None
    received_at: datetime
    sender_identities: dict[str, Any]


class InboundClaimer(Protocol):
    def might_claim(self, inbound: InboundMessage) -> bool:
        """Cheap and without the database: False means `claim` would surely decline, so
        the message may take the batch path, which offers no claims."""

    def claim(self, claim: InboundClaim) -> Message | None:
        """Store the message where it belongs and return it, or None to decline.
        Precondition: inside receive_message's transaction, the customer row locked."""


inbound_claimers: list[InboundClaimer] = []


def might_be_claimed(inbound: InboundMessage) -> bool:
    return any(claimer.might_claim(inbound) for claimer in inbound_claimers)


def offer_inbound(claim: InboundClaim) -> Message | None:
    """The first claimer's stored message, or None: the normal path places it."""
    for claimer in inbound_claimers:
        message = claimer.claim(claim)
        if message is not None:
            return message
    return None


# Called after the resolving transaction commits, with the conversation's id: the
# conversation may have been reopened since, so subscribers re-read it under a lock.
conversation_resolved: list[Callable[[int], None]] = []


def notify_resolved(conversation_id: int) -> None:
    for subscriber in conversation_resolved:
        subscriber(conversation_id)


# --- Moments outside systems hear of (outgoing webhooks) -----------------------------
# Each is called inside the transaction that made the change, so a subscriber's own
# writes commit or roll back with it.

# New timeline messages (a customer's, an agent's reply, a note, an automatic message),
# saved (with ids), their conversations locked by the caller.
messages_created: list[Callable[[Sequence[Message]], None]] = []


def notify_messages_created(messages: Sequence[Message]) -> None:
    if not messages:
        return
    for subscriber in messages_created:
        subscriber(messages)


# (conversation, the previous assignee's id, actor): the conversation's assignee changed
# (to nobody when `conversation.assignee_id` is None).
conversation_assigned: list[
    Callable[[Conversation, int | None, AbstractBaseUser | None], None]
] = []


def notify_assigned(
    *, conversation: Conversation, previous_assignee_id: int | None, actor: AbstractBaseUser | None
) -> None:
    for subscriber in conversation_assigned:
        subscriber(conversation, previous_assignee_id, actor)


# (source, target): `source` was merged into `target`.
customers_merged: list[Callable[[Customer, Customer], None]] = []


def notify_customers_merged(*, source: Customer, target: Customer) -> None:
    for subscriber in customers_merged:
        subscriber(source, target)


# An outbound message's delivery failed for good (after its retries, or as the
# provider or a bounce reported), `message.delivery_error` saying why.
message_delivery_failed: list[Callable[[Message], None]] = []


def notify_delivery_failed(message: Message) -> None:
    for subscriber in message_delivery_failed:
        subscriber(message)


@dataclass(frozen=True)
class CsatAnswer:
    """A customer's answer to a satisfaction survey (reporting owns the survey; the
    facts are given here so apps beside reporting need not import it)."""

    response_id: int
    survey_id: int
    conversation: Conversation
    score: int
    comment: str
    channel: str
    at: datetime


csat_submitted: list[Callable[[CsatAnswer], None]] = []


def notify_csat_submitted(answer: CsatAnswer) -> None:
    for subscriber in csat_submitted:
        subscriber(answer)


# (conversation, tags added, tags removed, actor): an agent replaced the tags.
conversation_tags_changed: list[
    Callable[[Conversation, Sequence[str], Sequence[str], AbstractBaseUser | None], None]
] = []


def notify_tags_changed(
    *,
    conversation: Conversation,
    added: Sequence[str],
    removed: Sequence[str],
    actor: AbstractBaseUser | None,
) -> None:
    for subscriber in conversation_tags_changed:
        subscriber(conversation, added, removed, actor)


# (conversation, attributes before, attributes after, actor): a person changed the
# conversation's custom attributes (`set_conversation_attributes`), inside its transaction.
conversation_attributes_changed: list[
    Callable[[Conversation, dict[str, Any], dict[str, Any], AbstractBaseUser | None], None]
] = []


def notify_attributes_changed(
    *,
    conversation: Conversation,
    previous: dict[str, Any],
    actor: AbstractBaseUser | None,
) -> None:
    for subscriber in conversation_attributes_changed:
        subscriber(conversation, previous, dict(conversation.attributes or {}), actor)


# (conversation id, reader): someone opened the conversation (the inbox's page or pane,
# the API's conversation or its messages), access already checked. Called by the view,
# outside any transaction, on every open: subscribers keep their own cost per open low.
conversation_read: list[Callable[[int, AbstractBaseUser], None]] = []


def notify_conversation_read(*, conversation_id: int, reader: AbstractBaseUser) -> None:
    for subscriber in conversation_read:
        subscriber(conversation_id, reader)


# (source, target, actor): a merge of `source` into `target` was undone.
customers_unmerged: list[Callable[[Customer, Customer, AbstractBaseUser | None], None]] = []


def notify_customers_unmerged(
    *, source: Customer, target: Customer, actor: AbstractBaseUser | None
) -> None:
    for subscriber in customers_unmerged:
        subscriber(source, target, actor)


@dataclass(frozen=True)
class PersonalDataErased:
    """Personal content was removed from these conversations and messages (a customer's
    erasure, or a retention policy). Apps that keep copies of it in tables of their own
    (raw provider payloads, webhook payloads, survey comments) remove them too; for an
    erasure, `customer_ids` are the erased customers and `identity_values` their
    identities, to look for in copies not linked to a message."""

    conversation_ids: Sequence[int]
    message_ids: Sequence[int]
    customer_ids: Sequence[int] = ()
    identity_values: Sequence[str] = ()


# Called inside the erasing transaction.
personal_data_erased: list[Callable[[PersonalDataErased], None]] = []


def notify_personal_data_erased(erased: PersonalDataErased) -> None:
    for subscriber in personal_data_erased:
        subscriber(erased)


# Data subject exports: apps that keep personal data of a customer's conversations in
# tables of their own (survey answers) give it as {section name: rows}.
personal_data_exporters: list[Callable[[Sequence[int]], dict[str, list[dict[str, Any]]]]] = []
# Apps that keep it per customer, not per conversation (notifications, consent), give it
# from the customers' ids (the record and those merged into it).
customer_data_exporters: list[Callable[[Sequence[int]], dict[str, list[dict[str, Any]]]]] = []


def collect_personal_data(
    conversation_ids: Sequence[int], customer_ids: Sequence[int] = ()
) -> dict[str, list[dict[str, Any]]]:
    sections: dict[str, list[dict[str, Any]]] = {}
    for exporter in personal_data_exporters:
        sections.update(exporter(conversation_ids))
    for customer_exporter in customer_data_exporters:
        sections.update(customer_exporter(customer_ids))
    return sections
