"""The timeline: messages, notes, calls and events of one conversation, or of every
conversation of a customer, merged from two tables in one order and paged back by
keyset. Also what arrived since the agent last looked (to hold a reply written over it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, prefetch_related_objects

from agents.roles import sees_everything
from agents.selectors import team_visibility_q
from conversations.models import Attachment, Conversation, ConversationEvent, Message
from conversations.selectors.cursors import decode_cursor, encode_cursor
from customers.models import Customer


@dataclass(frozen=True)
class TimelineItem:
    at: datetime
    kind: str  # "message" or "event"
    conversation_id: int
    item: Message | ConversationEvent

    def as_dict(self) -> dict[str, Any]:
        base = {"at": self.at.isoformat(), "type": self.kind, "conversation": self.conversation_id}
        if isinstance(self.item, Message):
            message = self.item
            return base | {
                "id": message.pk,
                "direction": message.direction,
                "kind": message.kind,
                "channel": message.channel,
                "author": message.author.get_username() if message.author_id else None,
                "sender_name": message.sender_name,
                "subject": message.subject,
                "text": message.text,
                "delivery_status": message.delivery_status,
                "delivery_error": message.delivery_error,
            }
        event = self.item
        return base | {
            "id": event.pk,
            "event": event.kind,
            "actor": event.actor.get_username() if event.actor_id else None,
            "data": event.data,
        }


@dataclass(frozen=True)
class TimelinePage:
    """The latest items (oldest first) before a point, and the cursor for the page
    before them (None: these reach the beginning)."""

    items: list[TimelineItem]
    earlier_cursor: str | None


# The pane opens on the latest items; "Show earlier messages" pages back this many at
# a time (a long thread is hundreds of messages nobody scrolls through on every open).
TIMELINE_PAGE_ITEMS = 30


def _item_key(item: TimelineItem) -> tuple[datetime, bool, int]:
    # At one instant an event (e.g. "created") comes before the message it goes with.
    return (item.at, item.kind != "event", item.item.pk)


def encode_timeline_cursor(item: TimelineItem) -> str:
    return encode_cursor(item.at, item.kind[0], item.item.pk)


def decode_timeline_cursor(cursor: str) -> tuple[datetime, bool, int] | None:
    """The `_item_key` of the oldest item shown, or None for a malformed cursor."""
    return decode_cursor(cursor, datetime.fromisoformat, _is_message, int)


def _is_message(kind: str) -> bool:
    if kind not in ("m", "e"):
        raise ValueError(f"not a timeline item kind: {kind!r}")
    return kind == "m"


def _timeline_page(
    *,
    scope: str,
    owner_id: int,
    viewer: AbstractBaseUser | None = None,
    limit: int,
    before: str | None,
) -> TimelinePage:
    """Keyset page over two tables merged in `_item_key` order: the `limit` items just
    before `before` (the latest when None), of one conversation (`scope="conversation"`)
    or of every conversation of one customer that `viewer` may see (`"customer"`).
    Fetching limit + 1 of each tells whether anything older is left without counting.
    """
    position = decode_timeline_cursor(before) if before else None
    at, before_message, pk = position or (None, False, None)
    shape = {
        "scope": scope,
        "everything": viewer is None or sees_everything(viewer),
        "before_message": before_message,
        "limit": limit + 1,
    }
    values = {"owner_id": owner_id, "viewer_id": viewer.pk if viewer else None, "at": at, "pk": pk}
    message_rows = list(_timeline_rows(**shape, **values, kind="message"))
    # Most messages carry no file: only a page with some pays a query for them.
    prefetch_related_objects(
        [m for m in message_rows if m.has_attachments],
        Prefetch("attachments", to_attr="attachment_list"),
    )
    fetched = [TimelineItem(m.created_at, "message", m.conversation_id, m) for m in message_rows]
    fetched += [
        TimelineItem(e.created_at, "event", e.conversation_id, e)
        for e in _timeline_rows(**shape, **values, kind="event")
    ]
    fetched.sort(key=_item_key)
    items = fetched[-limit:]
    has_earlier = len(fetched) > limit
    return TimelinePage(
        items=items, earlier_cursor=encode_timeline_cursor(items[0]) if has_earlier else None
    )


def _timeline_rows(
    *,
    kind: str,
    scope: str,
    everything: bool,
    before_message: bool,
    limit: int,
    owner_id: int,
    viewer_id: int | None,
    at: datetime | None,
    pk: int | None,
) -> QuerySet:
    """Messages (`kind="message"`) or events of one conversation or of the customer's
    conversations `viewer_id` may see, newest first, strictly before the cursor item
    (`at`, `before_message`, `pk`) in `_item_key` order."""
    model = Message if kind == "message" else ConversationEvent
    if scope == "conversation":
        rows = model.objects.filter(conversation_id=owner_id)
    else:
        conversations = Conversation.objects.filter(customer_id=owner_id)
        if not everything:
            conversations = conversations.filter(team_visibility_q(viewer_id))
        rows = model.objects.filter(conversation_id__in=conversations.values("pk"))
    if at is not None:
        if (kind == "message") == before_message:  # same table: the id breaks the tie
            earlier = Q(created_at__lt=at) | Q(created_at=at, pk__lt=pk)
        elif kind == "event":  # events sort before messages at one instant
            earlier = Q(created_at__lte=at)
        else:
            earlier = Q(created_at__lt=at)
        rows = rows.filter(earlier)
    if kind == "message":
        rows = rows.select_related("author").annotate(
            has_attachments=Exists(Attachment.objects.filter(message_id=OuterRef("pk")))
        )
    else:
        rows = rows.select_related("actor")
    return rows.order_by("-created_at", "-id")[:limit]


def attachments_of(message: Message) -> list[Attachment]:
    """The attachments of a message of a timeline page, as `_timeline_page` loaded them
    (no query: none when it found the message has none)."""
    return message.attachment_list if message.has_attachments else []


def customer_timeline(
    *,
    customer: Customer,
    user: AbstractBaseUser | None = None,
    limit: int = TIMELINE_PAGE_ITEMS,
    before: str | None = None,
) -> TimelinePage:
    """The customer's whole story across conversations and channels, oldest first.
    With `user`, only conversations that user may see are included."""
    return _timeline_page(
        scope="customer", owner_id=customer.pk, viewer=user, limit=limit, before=before
    )


def timeline(
    *, customer: Customer, user: AbstractBaseUser | None = None, limit: int = 500
) -> list[TimelineItem]:
    """The latest `limit` items of `customer_timeline`, oldest first."""
    return customer_timeline(customer=customer, user=user, limit=limit).items


def conversation_timeline(
    *,
    conversation: Conversation,
    limit: int = TIMELINE_PAGE_ITEMS,
    before: str | None = None,
) -> TimelinePage:
    """Messages, notes, calls and events of one conversation, oldest first: the latest
    `limit` before `before`. Two queries, messages and events, and a third for the
    attachments of those messages that have any."""
    return _timeline_page(
        scope="conversation", owner_id=conversation.pk, limit=limit, before=before
    )


def message_items(message_ids: list[int]) -> list[TimelineItem]:
    """These messages as timeline items (authors, attachments and the conversation's
    customer loaded), oldest first: what the live inbox appends to an open pane."""
    messages = list(
        Message.objects.filter(pk__in=message_ids)
        .select_related("author", "conversation__customer")
        .annotate(has_attachments=Exists(Attachment.objects.filter(message_id=OuterRef("pk"))))
        .order_by("created_at", "id")
    )
    prefetch_related_objects(
        [m for m in messages if m.has_attachments],
        Prefetch("attachments", to_attr="attachment_list"),
    )
    return [TimelineItem(m.created_at, "message", m.conversation_id, m) for m in messages]


def latest_message_id(*, conversation: Conversation) -> int:
    """The newest message id: the composer sends it back so a reply written while new
    activity arrived can be held."""
    return conversation.messages.order_by("-id").values_list("id", flat=True).first() or 0


def activity_since(
    *, conversation: Conversation, after_message_id: int, user: AbstractBaseUser
) -> list[Message]:
    """Messages others added after `after_message_id` (what the agent has not seen)."""
    return list(
        conversation.messages.filter(pk__gt=after_message_id)
        .exclude(author_id=user.pk)
        .select_related("author")
        .order_by("id")
    )
