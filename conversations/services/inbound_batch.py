"""Inbound messages in batches: what a worker does when events queue up faster than one
transaction per message can take them.

`receive_messages` gives each message the outcome `receive_message` would give it,
processed one after the other in the order given, with set-wise reads and writes: one
lookup of the senders' identities, one lock statement for their customers and one for
their open conversations, bulk inserts of the messages and their timeline events, one
`hooks.notify_changed` for every conversation touched (routing and SLA react to all of
them at once), and one realtime publish. The one visible difference: the reactions run
once per conversation, after all of its messages in the batch (the rules see its latest
message), so an assignment lands on the timeline after those messages rather than
between them.

Only plain messages of conversational channels take this path (see
`can_receive_in_batch`); email (which finds its thread, or opens its own conversation),
forms, subject tokens, survey answers, attachments and calls keep the per-message path.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import transaction

from agents.selectors import teams_of_endpoints
from channels_app.email_parsing import conversation_id_from_subject
from channels_app.kinds import channel_kind
from conversations import hooks
from conversations.models import Conversation, ConversationEvent, Message
from conversations.services import continuity, live
from conversations.services.inbound import (
    adopted_event,
    apply_inbound_to_conversation,
    build_inbound_message,
    created_event,
    new_conversation,
    one_line,
    over_text_cap,
)
from customers.identities import Proof
from customers.models import Customer
from customers.services import ResolveRequest, normalize_claims, resolve_customers
from omnidesk.bulk import update_rows

if TYPE_CHECKING:
    from channels_app.models import ChannelEndpoint, InboundEvent
    from channels_app.types import InboundMessage

# The columns `apply_inbound_to_conversation` moves on a conversation that already exists.
MOVED_FIELDS = (
    "status",
    "snoozed_until",
    "last_channel",
    "last_message_at",
    "last_message_preview",
    "waiting_since",
    "subject",
    "team",
    "updated_at",
)


@dataclass(frozen=True)
class InboundItem:
    endpoint: ChannelEndpoint
    inbound: InboundMessage
    received_at: datetime
    inbound_event: InboundEvent | None = None


@dataclass
class _Touched:
    conversation: Conversation
    opened: bool
    messages: list[Message] = field(default_factory=list)


def can_receive_in_batch(inbound: InboundMessage, *, endpoint_kind: str) -> bool:
    """Whether the message needs none of the per-message rules: it arrives on a
    conversational channel (`ChannelKind.conversational`: email and forms open or find
    their own conversation), threads by nothing but its sender, carries no files, and no
    app would claim it (`hooks.inbound_claimers`: a survey answer), and every identity it
    gives is proven (claims have their own rules: `resolve_claimed_customer`,
    `resolve_customer(claimed=...)`)."""
    return (
        inbound.kind == "message"
        and channel_kind(endpoint_kind).conversational
        and not inbound.attachments
        and not inbound.email_in_reply_to
        and not inbound.email_references
        and conversation_id_from_subject(inbound.subject) is None
        and not hooks.might_be_claimed(inbound)
        and not over_text_cap(inbound)
        and not inbound.claimed_only
        and not inbound.claimed_identities
        and inbound.subject == one_line(inbound.subject)
    )


def receive_messages(items: Sequence[InboundItem]) -> list[Message]:
    """Put each message on its customer's timeline, as `receive_message` would one by
    one in this order; returns the stored messages in the same order.

    Precondition: inside a transaction, every item `can_receive_in_batch`. All or
    nothing: any error propagates, and the caller retries the items one by one.
    """
    if not items:
        return []
    with transaction.atomic(savepoint=False):
        claims = [normalize_claims(item.inbound.identities) for item in items]
        resolved = resolve_customers(
            [
                ResolveRequest(
                    claims=item_claims,
                    name=item.inbound.sender_name,
                    attributes=item.inbound.attributes,
                    proof=Proof(item.inbound.proof),
                )
                for item, item_claims in zip(items, claims, strict=True)
            ]
        )
        # Same lock order as every other writer: customers, then their conversations,
        # each in id order, so concurrent batches queue instead of deadlocking.
        customers = {
            customer.pk: customer
            for customer in Customer.objects.select_for_update()
            .filter(pk__in={c.pk for c in resolved})
            .order_by("pk")
        }
        candidates = _continuable_conversations(customers, items)
        owners = teams_of_endpoints(
            {item.endpoint.pk for item in items}
            | {c.endpoint_id for held in candidates.values() for c in held}
        )

        # Senders on channels that show them history continue only conversations they
        # wrote in (`continuity.sender_identity`): the ids of those conversations' objects.
        senders = [continuity.sender_identity(i.endpoint.kind, i.inbound.identities) for i in items]
        wrote_in = _conversations_written_by(senders, candidates)
        touched: dict[int, _Touched] = {}
        messages: list[Message] = []
        timeline: list[ConversationEvent] = []
        window = continuity.continuity_window()
        for index, (item, item_claims, customer) in enumerate(
            zip(items, claims, resolved, strict=True)
        ):
            # The customer's continuable conversations, most recently active first, as
            # they stand after the items before this one.
            held = [
                c
                for c in candidates.setdefault(customer.pk, [])
                if continuity.within(window, last_activity=c.last_message_at, at=item.received_at)
            ]
            sender = senders[index]
            conversation, held_elsewhere = continuity.choose(
                held,
                endpoint_id=item.endpoint.pk,
                owners=owners,
                sender_took_part=(
                    None if sender is None else lambda c, s=sender: id(c) in wrote_in[s]
                ),
            )
            opened = conversation is None
            if conversation is None:
                owning = owners.get(item.endpoint.pk, [])
                conversation = new_conversation(
                    customer=customers[customer.pk],
                    endpoint=item.endpoint,
                    inbound=item.inbound,
                    now=item.received_at,
                    team_id=owning[0] if owning else None,
                )
                touched[id(conversation)] = _Touched(conversation, opened=True)
                timeline.append(created_event(conversation, related=held_elsewhere))
            else:
                conversation.customer = customers[customer.pk]
                touched.setdefault(id(conversation), _Touched(conversation, opened=False))
                adopting = continuity.adopting_team(
                    conversation, endpoint_id=item.endpoint.pk, owners=owners
                )
                if adopting is not None:
                    conversation.team_id = adopting
                    timeline.append(adopted_event(conversation, at=item.received_at))
            message = build_inbound_message(
                conversation=conversation,
                endpoint=item.endpoint,
                inbound=item.inbound,
                claims=item_claims,
                inbound_event=item.inbound_event,
                received_at=item.received_at,
            )
            timeline += apply_inbound_to_conversation(
                conversation, message, opened=opened, rule=continuity.Rule.WINDOW
            )
            touched[id(conversation)].messages.append(message)
            messages.append(message)
            if opened:
                candidates[customer.pk].append(conversation)
            if senders[index] is not None:
                wrote_in[senders[index]].add(id(conversation))
            candidates[customer.pk].sort(key=_recency, reverse=True)

        Conversation.objects.bulk_create([t.conversation for t in touched.values() if t.opened])
        update_rows([t.conversation for t in touched.values() if not t.opened], MOVED_FIELDS)
        Message.objects.bulk_create(messages)
        ConversationEvent.objects.bulk_create(timeline)

        hooks.notify_changed(
            [
                hooks.ConversationChange(
                    conversation=t.conversation,
                    change=hooks.Change.INBOUND,
                    at=t.messages[-1].created_at,
                    opened=t.opened,
                )
                for t in touched.values()
            ]
        )
        _publish(list(touched.values()))
        hooks.notify_messages_created(messages)
    return messages


def _continuable_conversations(
    customers: dict[int, Customer], items: Sequence[InboundItem]
) -> dict[int, list[Conversation]]:
    """Each customer's open, pending or snoozed conversations active within the
    continuity window of a message of the batch, most recently active first, locked."""
    window = continuity.continuity_window()
    earliest = min(item.received_at for item in items)
    latest = max(item.received_at for item in items)
    held: dict[int, list[Conversation]] = {}
    candidates = (
        Conversation.objects.select_for_update()
        .filter(
            customer_id__in=customers,
            status__in=Conversation.CONTINUABLE_STATUSES,
            last_message_at__range=(earliest - window, latest + window),
        )
        .order_by("id")
    )
    for conversation in candidates:
        held.setdefault(conversation.customer_id, []).append(conversation)
    for conversations in held.values():
        conversations.sort(key=_recency, reverse=True)
    return held


def _conversations_written_by(
    senders: list[tuple[str, str] | None], candidates: dict[int, list[Conversation]]
) -> dict[tuple[str, str], set[int]]:
    """For each sender identity, the candidate conversations (as object ids) it wrote in."""
    wrote_in: dict[tuple[str, str], set[int]] = {sender: set() for sender in senders if sender}
    if not wrote_in:
        return wrote_in
    by_pk = {c.pk: c for held in candidates.values() for c in held}
    for kind in {kind for kind, _ in wrote_in}:
        written = continuity.conversations_written_by(
            kind=kind,
            values=[value for k, value in wrote_in if k == kind],
            conversation_ids=by_pk,
        )
        for value, conversation_ids in written.items():
            wrote_in[(kind, value)] |= {id(by_pk[pk]) for pk in conversation_ids}
    return wrote_in


def _recency(conversation: Conversation) -> tuple[datetime, float]:
    """Most recently active first, the newest conversation winning a tie (as the
    one-by-one path's `ORDER BY last_message_at DESC, id DESC` does); one opened in this
    batch has no id yet and is the newest."""
    return conversation.last_message_at, conversation.pk or float("inf")


def _publish(touched: list[_Touched]) -> None:
    messages = [message for item in touched for message in item.messages]
    for message in messages:
        # Complete as built (a batch's messages carry no files): announced without
        # reading them back.
        message.attachment_list, message.has_attachments = [], False
    live.messages_added(messages)
