"""The continuity rules (DESIGN.md, "The promise"; the table in docs/continuity.md):
which conversation an inbound message joins. Written once, for the one-by-one and the
batch paths.

- An email joins its thread: the conversation of a message its In-Reply-To, then each of
  its References (newest first) names, or of a stored reply that names it (a reply
  processed before the message it answers). Someone other than the customer joins only
  a thread they were copied on or whose customer shares their organisation's domain, and
  only by a message of that thread or one the desk signed (`thread_of`).
- The subject token (`[#123]`) names one of the customer's conversations.
- A message on a conversational channel (SMS, WhatsApp, chat...) continues the customer's
  most recently active continuable conversation within the continuity window. An email
  does so only within `OMNIDESK_EMAIL_CONTINUITY_MINUTES` (default off) of a
  conversation of a conversational channel.

A message joins a conversation by the window only where the people who watch the
arriving inbox also see that conversation: otherwise mail sent to team A's inbox would
land in team B's conversation, which team A never sees. Such a message opens a new
conversation in its own inbox, linked to the other one."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from django.conf import settings
from django.db import connection
from django.db.models import Q

from channels_app.email_ids import is_outbound_message_id
from channels_app.kinds import KINDS, channel_kind
from conversations.models import (
    Conversation,
    ConversationParticipant,
    Message,
    ReferenceIds,
)
from conversations.services.common import outbound_idempotency_key
from customers.identities import Proof, organisation_domain
from customers.models import Identity


class Rule(StrEnum):
    """Which rule joined a message to an existing conversation (recorded on the
    `channel_switched` event when the channel changes)."""

    THREAD = "thread"  # its email headers name a message of the conversation
    SUBJECT_TOKEN = "subject_token"  # "[#123]" in the subject
    WINDOW = "window"  # a conversational channel, within the continuity window
    EMAIL_WINDOW = "email_window"  # OMNIDESK_EMAIL_CONTINUITY_MINUTES


def continuity_window() -> timedelta:
    return timedelta(days=settings.OMNIDESK_CONTINUITY_WINDOW_DAYS)


def email_continuity_window() -> timedelta | None:
    minutes = settings.OMNIDESK_EMAIL_CONTINUITY_MINUTES
    return timedelta(minutes=minutes) if minutes > 0 else None


def within(window: timedelta, *, last_activity: datetime, at: datetime) -> bool:
    """Whether a conversation last active at `last_activity` is within `window` of a
    message received at `at`, on either side: workers draining one backlog together
    can store a later message first, and a conversation active after a message arrived
    is no nearer to it than one active before (a window of 0 joins no other moment)."""
    return abs(at - last_activity) <= window


def window_bounds(window: timedelta, at: datetime) -> tuple[datetime, datetime]:
    return at - window, at + window


CONVERSATIONAL_KINDS = tuple(name for name, kind in KINDS.items() if kind.conversational)


def may_continue(
    conversation: Conversation, *, endpoint_id: int, owners: Mapping[int, Sequence[int]]
) -> bool:
    """Whether a message arriving on `endpoint_id` may join `conversation`. `owners`:
    the teams owning each endpoint (`agents.selectors.teams_of_endpoints`), for the
    arriving endpoint and the conversation's.

    Yes when it is the conversation's own inbox, when no team owns the arriving inbox
    (only supervisors watch it, and they see everything), when no team works the
    conversation yet (the arriving inbox's team takes it: `adopting_team`), or when a
    team owning the arriving inbox works it (its team, or, without one, a team owning the
    conversation's inbox)."""
    if conversation.endpoint_id == endpoint_id:
        return True
    arriving = set(owners.get(endpoint_id, ()))
    if not arriving:
        return True
    working = _working_teams(conversation, owners)
    return not working or bool(arriving & working)


def adopting_team(
    conversation: Conversation, *, endpoint_id: int, owners: Mapping[int, Sequence[int]]
) -> int | None:
    """The team that takes a conversation no team works when a message joins it through
    an inbox that team owns, so the people watching that inbox see what arrived there."""
    if _working_teams(conversation, owners):
        return None
    arriving = owners.get(endpoint_id, ())
    return arriving[0] if arriving else None


def _working_teams(conversation: Conversation, owners: Mapping[int, Sequence[int]]) -> set[int]:
    if conversation.team_id:
        return {conversation.team_id}
    return set(owners.get(conversation.endpoint_id, ()))


def choose(
    candidates: Sequence[Conversation],
    *,
    endpoint_id: int,
    owners: Mapping[int, Sequence[int]],
    sender_took_part: Callable[[Conversation], bool] | None = None,
) -> tuple[Conversation | None, Conversation | None]:
    """(the conversation to join, or None; the most recent one it may not join, to link
    a new conversation to). `candidates`: the customer's continuable conversations
    within the window, most recently active first. `sender_took_part`, for channels that
    show the sender the conversation's history (`ChannelKind.shows_history_to_sender`):
    whether this sender's own identity on the channel wrote in the conversation."""
    for conversation in candidates:
        if may_continue(conversation, endpoint_id=endpoint_id, owners=owners) and (
            sender_took_part is None or sender_took_part(conversation)
        ):
            return conversation, None
    return None, (candidates[0] if candidates else None)


def sender_identity(endpoint_kind: str, identities: Mapping[str, str]) -> tuple[str, str] | None:
    """(kind, value) of the sender's identity on a channel that shows them history, or
    None when continuity needs no such check."""
    kind = channel_kind(endpoint_kind)
    if not kind.shows_history_to_sender or not kind.identity_kind:
        return None
    value = identities.get(kind.identity_kind)
    return (kind.identity_kind, value) if value else None


def conversations_written_by(
    *, kind: str, values: Iterable[str], conversation_ids: Iterable[int]
) -> dict[str, set[int]]:
    """For each identity value, the conversations among `conversation_ids` it sent a
    message in (from the sender recorded on each message)."""
    written: dict[str, set[int]] = {}
    rows = (
        Message.objects.filter(
            conversation_id__in=list(conversation_ids),
            direction=Message.Direction.INBOUND,
            **{f"metadata__from__{kind}__in": list(values)},
        )
        .values_list(f"metadata__from__{kind}", "conversation_id")
        .distinct()
    )
    for value, conversation_id in rows:
        written.setdefault(value, set()).add(conversation_id)
    return written


# --- Email threads ------------------------------------------------------------------------


def thread_ids(*, in_reply_to: str, references: Sequence[str]) -> list[str]:
    """The Message-IDs an email names, in the order they decide its thread: In-Reply-To,
    then References newest first (a References header lists the thread oldest first)."""
    return list(dict.fromkeys(i for i in (in_reply_to, *reversed(references)) if i))


# The first key of the advisory locks on email threads (`lock_threads`); the second is a
# hash of a Message-ID.
_THREAD_LOCK_SPACE = 2020


def lock_threads(message_ids: Iterable[str]) -> None:
    """Serialise the placement of messages of one thread until the transaction ends.

    A reply and the message it answers may be placed at the same moment by two workers
    (each under its own customer's lock: a colleague is another customer), and neither
    would see the other: the thread would open two conversations. Every message locks
    the Message-IDs it carries and names, so two messages of a thread, which share at
    least one, take turns, and the second sees the first. Keys are taken in one order
    everywhere, so these locks never wait on each other in a cycle."""
    keys = sorted({_thread_key(message_id) for message_id in message_ids if message_id})
    if not keys:
        return
    calls = ", ".join(["pg_advisory_xact_lock(%s, %s)"] * len(keys))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {calls}",
            [value for key in keys for value in (_THREAD_LOCK_SPACE, key)],
        )


def _thread_key(message_id: str) -> int:
    digest = hashlib.blake2b(message_id.encode("utf-8", "replace"), digest_size=4).digest()
    return int.from_bytes(digest, "big", signed=True)


_THREAD_FIELDS = (
    "pk",
    "conversation_id",
    "direction",
    "email_message_id",
    "conversation__customer_id",
)


@dataclass(frozen=True)
class ThreadMatch:
    conversation_id: int
    # Set when the sender is not the conversation's customer: why they may join.
    participant_reason: str | None = None
    # Found through a stored reply that names this message, not through its own headers.
    named_by_reply: bool = False


def thread_of(
    *,
    customer_id: int,
    sender_email: str | None,
    message_id: str,
    in_reply_to: str,
    references: Sequence[str],
) -> ThreadMatch | None:
    """The conversation whose email thread this message belongs to, or None.

    The customer's own conversations are joined by any message their headers name. A
    sender who is not the conversation's customer (a colleague) joins only through a
    message of the thread they received: an inbound message of it, or one the desk sent
    and signed (`is_outbound_message_id`; older, guessable identifiers do not count),
    and only when `may_take_part`. When its headers name no message we hold, a stored
    reply naming this message decides (a reply a worker stored before the message it
    answers). Precondition: `lock_threads` holds these Message-IDs."""
    named = thread_ids(in_reply_to=in_reply_to, references=references)
    if named:
        rows = list(
            Message.objects.filter(email_message_id__in=named)
            .exclude(direction=Message.Direction.INTERNAL)
            .order_by("-created_at", "-id")
            .values(*_THREAD_FIELDS)
        )
        for mid in named:
            for row in rows:
                if row["email_message_id"] != mid:
                    continue
                match = _joinable(row, customer_id=customer_id, sender_email=sender_email)
                if match is not None:
                    return match
    if not message_id:
        return None
    replies = (
        Message.objects.alias(reference_ids=ReferenceIds("email_references"))
        .filter(direction=Message.Direction.INBOUND)
        .filter(
            Q(email_in_reply_to=message_id)
            | (~Q(email_references="") & Q(reference_ids__contains=[message_id]))
        )
        .order_by("created_at", "id")
        .values(*_THREAD_FIELDS)
    )
    for row in replies:
        match = _joinable(row, customer_id=customer_id, sender_email=sender_email, named=False)
        if match is not None:
            return match
    return None


def _joinable(
    row: dict, *, customer_id: int, sender_email: str | None, named: bool = True
) -> ThreadMatch | None:
    if row["conversation__customer_id"] == customer_id:
        return ThreadMatch(row["conversation_id"], named_by_reply=not named)
    if not sender_email:
        return None
    signed = row["direction"] != Message.Direction.OUTBOUND or is_outbound_message_id(
        row["email_message_id"], idempotency_key=outbound_idempotency_key(row["pk"])
    )
    if named and not signed:
        return None
    reason = may_take_part(
        conversation_id=row["conversation_id"],
        customer_id=row["conversation__customer_id"],
        address=sender_email,
    )
    return ThreadMatch(row["conversation_id"], reason, named_by_reply=not named) if reason else None


def may_take_part(*, conversation_id: int, customer_id: int, address: str) -> str | None:
    """Why `address`, not the customer's, may write in the conversation's email thread
    (a `ConversationParticipant.Reason`), or None: it is already a participant, it was on
    the To or Cc of a message of the thread, or it shares the organisation domain of one
    of the customer's proven email addresses (never a public mailbox provider's)."""
    Reason = ConversationParticipant.Reason
    existing = (
        ConversationParticipant.objects.filter(conversation_id=conversation_id, address=address)
        .values_list("reason", flat=True)
        .first()
    )
    if existing:
        return existing
    copied = Message.objects.filter(conversation_id=conversation_id).filter(
        Q(metadata__delivered_to__contains=[address])
        | Q(metadata__cc__contains=[address])
        | Q(metadata__to=address)
    )
    if copied.exists():
        return Reason.COPIED
    domain = organisation_domain(address)
    if domain and any(
        organisation_domain(value) == domain
        for value in Identity.objects.filter(customer_id=customer_id, kind=Identity.Kind.EMAIL)
        .exclude(proof=Proof.CLAIMED)
        .values_list("value", flat=True)
    ):
        return Reason.ORGANISATION
    return None
