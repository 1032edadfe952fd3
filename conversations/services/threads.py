"""Who takes part in a conversation's email thread, and agents correcting where messages
went: splitting a conversation at a message, merging two conversations.

The continuity rules (`continuity.py`) place each inbound message; these services record
the people a thread brings in (`add_participant`) and undo a placement an agent
disagrees with. Each correction is a timeline event on both conversations, and both
rows are announced to the live inbox."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from channels_app.kinds import channel_kind
from conversations import hooks
from conversations.models import (
    Conversation,
    ConversationEvent,
    ConversationParticipant,
    Message,
)
from conversations.services import live
from conversations.services.common import lock_conversation, preview_text
from customers.models import Customer
from omnidesk.errors import ApplicationError, NotFoundError


def add_participant(
    *,
    conversation: Conversation,
    address: str,
    reason: str,
    name: str = "",
    customer_id: int | None = None,
    at: datetime | None = None,
    actor: AbstractBaseUser | None = None,
) -> ConversationParticipant | None:
    """Record `address` (someone other than the customer) as a participant of the
    conversation's email thread, with a `participant_added` event; None when it already
    is one. Their own customer record (`customer_id`) stays theirs.
    Precondition: the conversation row is locked (two messages of one participant
    cannot both add them)."""
    if ConversationParticipant.objects.filter(conversation=conversation, address=address).exists():
        return None
    at = at or timezone.now()
    participant = ConversationParticipant.objects.create(
        conversation=conversation,
        customer_id=customer_id,
        address=address,
        name=name[:200],
        reason=reason,
        created_at=at,
    )
    ConversationEvent.objects.create(
        conversation=conversation,
        kind=ConversationEvent.Kind.PARTICIPANT_ADDED,
        actor=actor,
        data={"address": address, "name": name[:200], "reason": reason},
        created_at=at,
    )
    return participant


def hand_over_thread(*, conversation: Conversation, to: Customer, at: datetime) -> bool:
    """The first message of a thread arrived after a colleague's reply to it had opened
    the conversation (workers sharing a backlog store messages out of order): the
    conversation becomes the first message's sender's, and whoever it belonged to a
    participant. Only while nobody has answered it; returns whether it was handed over.
    Precondition: the conversation row is locked; the caller saves it."""
    if conversation.messages.filter(direction=Message.Direction.OUTBOUND).exists():
        return False
    previous = conversation.customer_id
    own = set(to.identities.filter(kind="email").values_list("value", flat=True))
    replies = conversation.messages.filter(direction=Message.Direction.INBOUND).order_by(
        "created_at", "id"
    )
    for reply in replies:
        address = (reply.metadata.get("from") or {}).get("email")
        if address and address not in own:
            add_participant(
                conversation=conversation,
                address=address,
                name=reply.sender_name,
                reason=ConversationParticipant.Reason.COPIED,
                customer_id=previous,
                at=at,
            )
    conversation.customer = to
    return True


def participant_addresses(conversation: Conversation, *, besides: str = "") -> list[str]:
    """Who an email to the conversation's customer copies (Cc), in the order they joined."""
    return [
        address
        for address in ConversationParticipant.objects.filter(conversation=conversation)
        .order_by("created_at", "id")
        .values_list("address", flat=True)
        if address != besides
    ]


# --- Split ------------------------------------------------------------------------------


def split_conversation(
    *, conversation: Conversation, message_id: int, actor: AbstractBaseUser | None
) -> Conversation:
    """Move the message and everything after it into a new conversation of the same
    customer, inbox, team, assignee, priority and tags; returns the new conversation.
    Both get a `split` event. Participants who wrote a moved message follow it.

    Precondition: access to `conversation` checked for `actor`.
    """
    now = timezone.now()
    with transaction.atomic():
        # The inbound paths' lock order: the customer, then their conversations.
        Customer.objects.select_for_update().filter(pk=conversation.customer_id).first()
        source = lock_conversation(conversation.pk, "endpoint", "customer")
        message = source.messages.filter(pk=message_id).first()
        if message is None:
            raise NotFoundError("Message not found.")
        moving = list(
            source.messages.filter(
                Q(created_at__gt=message.created_at)
                | Q(created_at=message.created_at, pk__gte=message.pk)
            ).order_by("created_at", "id")
        )
        staying = list(
            source.messages.exclude(pk__in=[m.pk for m in moving]).order_by("created_at", "id")
        )
        if not staying:
            raise ApplicationError(
                "Split at a later message: this one starts the conversation.",
                fields={"message": ["The first message cannot be split off."]},
            )
        split = Conversation(
            customer_id=source.customer_id,
            endpoint_id=source.endpoint_id,
            team_id=source.team_id,
            assignee_id=source.assignee_id,
            priority=source.priority,
            subject=(message.subject or source.subject)[:300],
            status=Conversation.Status.OPEN,
            last_channel=source.last_channel,
            last_message_at=message.created_at,
            created_at=message.created_at,
        )
        _summarise(split, moving)
        split.save(force_insert=True)
        split.tags.set(source.tags.all())
        Message.objects.filter(pk__in=[m.pk for m in moving]).update(conversation=split)
        _summarise(source, staying)
        source.save()
        _copy_participants(source, split, senders=_sender_addresses(moving), at=now)
        ConversationEvent.objects.bulk_create(
            [
                ConversationEvent(
                    conversation=source,
                    kind=ConversationEvent.Kind.SPLIT,
                    actor=actor,
                    data={"to": split.pk, "message": message.pk, "moved": len(moving)},
                    created_at=now,
                ),
                ConversationEvent(
                    conversation=split,
                    kind=ConversationEvent.Kind.SPLIT,
                    actor=actor,
                    data={"from": source.pk, "message": message.pk, "moved": len(moving)},
                    created_at=now,
                ),
            ]
        )
        _notify([source, split], at=now, actor=actor)
        live.conversations_changed([source, split])
    return split


# --- Merge ------------------------------------------------------------------------------


def merge_conversations(
    *, source: Conversation, target: Conversation, actor: AbstractBaseUser | None
) -> Conversation:
    """Move every message of `source` into `target`, which goes on; `source` is left
    resolved and empty, its timeline saying where its messages went (no survey is sent
    for it). Both get a `conversations_merged` event.

    Conversations of two customers merge only when everything the other customer sent
    is email (a colleague's reply that opened its own conversation): they become a
    participant of `target`. Any other channel could show them `target`'s history (the
    widget shows a visitor the conversations they wrote in): merge the customers then.

    Precondition: access to both conversations checked for `actor`.
    """
    if source.pk == target.pk:
        raise ApplicationError("A conversation cannot be merged into itself.")
    now = timezone.now()
    with transaction.atomic():
        for customer_id in sorted({source.customer_id, target.customer_id}):
            Customer.objects.select_for_update().filter(pk=customer_id).first()
        locked = {
            c.pk: c
            for c in Conversation.objects.select_for_update(of=("self",))
            .select_related("endpoint", "customer")
            .filter(pk__in=[source.pk, target.pk])
            .order_by("pk")
        }
        source, target = locked[source.pk], locked[target.pk]
        moving = list(source.messages.order_by("created_at", "id"))
        if not moving:
            raise ApplicationError("That conversation has no messages to merge.")
        newcomers: dict[str, str] = {}
        if source.customer_id != target.customer_id:
            newcomers = _email_senders(source, moving)
        Message.objects.filter(pk__in=[m.pk for m in moving]).update(conversation=target)
        everything = list(target.messages.order_by("created_at", "id"))
        _summarise(target, everything)
        target.subject = target.subject or source.subject
        if target.status == Conversation.Status.RESOLVED and target.waiting_since:
            target.status, target.resolved_at = Conversation.Status.OPEN, None
        previous_status = source.status
        source.status = Conversation.Status.RESOLVED
        source.resolved_at = source.resolved_at or now
        source.snoozed_until = None
        source.waiting_since = None
        source.save()
        target.save()
        target.tags.add(*source.tags.all())
        _copy_participants(source, target, senders=None, at=now)
        for address, name in newcomers.items():
            add_participant(
                conversation=target,
                address=address,
                name=name,
                reason=ConversationParticipant.Reason.AGENT,
                customer_id=source.customer_id,
                at=now,
                actor=actor,
            )
        data = {"moved": len(moving)}
        ConversationEvent.objects.bulk_create(
            [
                ConversationEvent(
                    conversation=source,
                    kind=ConversationEvent.Kind.CONVERSATIONS_MERGED,
                    actor=actor,
                    data={**data, "into": target.pk},
                    created_at=now,
                ),
                ConversationEvent(
                    conversation=target,
                    kind=ConversationEvent.Kind.CONVERSATIONS_MERGED,
                    actor=actor,
                    data={**data, "from": source.pk},
                    created_at=now,
                ),
            ]
        )
        hooks.notify_changed(
            [
                hooks.ConversationChange(
                    conversation=source,
                    change=hooks.Change.STATUS,
                    at=now,
                    previous_status=previous_status,
                    actor=actor,
                ),
                hooks.ConversationChange(
                    conversation=target, change=hooks.Change.THREAD, at=now, actor=actor
                ),
            ]
        )
        live.conversations_changed([source, target])
    return target


def _email_senders(source: Conversation, messages: Sequence[Message]) -> dict[str, str]:
    """{address: name} of whoever wrote `source`'s inbound messages, when all of them
    came by email; otherwise ApplicationError."""
    senders: dict[str, str] = {}
    for message in messages:
        if message.direction != Message.Direction.INBOUND:
            continue
        address = (message.metadata.get("from") or {}).get("email")
        if not channel_kind(message.channel).threads_by_email or not address:
            raise ApplicationError(
                "These conversations belong to two customers, and the other one wrote on "
                f"{channel_kind(message.channel).label}: merge the customers instead.",
                fields={"target": ["Another customer's conversation."]},
            )
        senders.setdefault(address, message.sender_name)
    return senders


# --- Shared -----------------------------------------------------------------------------


def _summarise(conversation: Conversation, messages: Sequence[Message]) -> None:
    """Set what a conversation's row shows from its messages (oldest first): the latest
    message and channel, who is waiting since when, the first response."""
    spoken = [m for m in messages if m.direction != Message.Direction.INTERNAL]
    if spoken:
        latest = spoken[-1]
        conversation.last_message_at = latest.created_at
        conversation.last_message_preview = preview_text(latest.text or latest.subject)
    inbound = [m for m in spoken if m.direction == Message.Direction.INBOUND]
    if inbound:
        conversation.last_channel = inbound[-1].channel or conversation.last_channel
    answered_at = None
    waiting_since = None
    for message in spoken:
        if message.direction == Message.Direction.OUTBOUND and message.kind == Message.Kind.AGENT:
            answered_at = answered_at or message.created_at
            waiting_since = None
        elif message.direction == Message.Direction.INBOUND and waiting_since is None:
            waiting_since = message.created_at
    conversation.first_response_at = answered_at
    conversation.waiting_since = waiting_since


def _sender_addresses(messages: Iterable[Message]) -> set[str]:
    return {
        address
        for message in messages
        if message.direction == Message.Direction.INBOUND
        and (address := (message.metadata.get("from") or {}).get("email"))
    }


def _copy_participants(
    source: Conversation, target: Conversation, *, senders: set[str] | None, at: datetime
) -> None:
    """Participants of `source` (those among `senders`, or all) join `target` too."""
    for participant in ConversationParticipant.objects.filter(conversation=source).order_by(
        "created_at", "id"
    ):
        if senders is not None and participant.address not in senders:
            continue
        if participant.address in _customer_addresses(target):
            continue
        ConversationParticipant.objects.get_or_create(
            conversation=target,
            address=participant.address,
            defaults={
                "customer_id": participant.customer_id,
                "name": participant.name,
                "reason": participant.reason,
                "created_at": at,
            },
        )


def _customer_addresses(conversation: Conversation) -> set[str]:
    return set(
        conversation.customer.identities.filter(kind="email").values_list("value", flat=True)
    )


def _notify(
    conversations: Sequence[Conversation], *, at: datetime, actor: AbstractBaseUser | None
) -> None:
    """Routing re-times the SLA of conversations whose messages moved."""
    hooks.notify_changed(
        [
            hooks.ConversationChange(
                conversation=conversation, change=hooks.Change.THREAD, at=at, actor=actor
            )
            for conversation in conversations
        ]
    )
