"""Reads on conversations. `access_*` functions also check permission and raise."""

from __future__ import annotations

import base64
import binascii
import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.models import AbstractBaseUser
from django.contrib.postgres.expressions import ArraySubquery
from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connection
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    prefetch_related_objects,
)
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from agents.models import Team
from agents.roles import sees_everything
from agents.selectors import (
    SUPERVISORS_GROUP,
    agent_group,
    my_teams_q,
    team_group,
    team_visibility_q,
)
from conversations.models import Attachment, Conversation, ConversationEvent, Message, ReadMarker
from conversations.templatetags.inbox_tags import (
    channel_icon,
    channel_label,
    describe_event,
    fold_quotes,
    priority_class,
    priority_label,
    sanitize_html,
    waiting_for,
)
from customers.models import Customer, Identity
from omnidesk import baked
from omnidesk.errors import ApplicationError, NotFoundError


def conversation_group(conversation_id: int) -> str:
    return f"inbox.conversation.{conversation_id}"


def visibility_filter(*, user: AbstractBaseUser) -> Q | None:
    """The conversations an agent may see: their teams' inboxes, their teams' queue and
    anything assigned to them. None means everything (supervisors and admins).

    Written with subqueries, not joins, so it never duplicates a row and PostgreSQL can
    still walk the inbox's (status, last_message_at) index for the first page.
    """
    if sees_everything(user):
        return None
    return team_visibility_q(user.pk)


def visible_conversations(*, user: AbstractBaseUser) -> QuerySet[Conversation]:
    conversations = Conversation.objects.all()
    condition = visibility_filter(user=user)
    if condition is None:
        return conversations
    return conversations.filter(condition)


def access_conversation(
    *,
    user: AbstractBaseUser,
    conversation_id: int | str,
    lock: bool = False,
    with_read_at: bool = False,
    related: tuple[str, ...] = ("customer", "endpoint", "team", "assignee"),
) -> Conversation:
    """The conversation if `user` may see it; otherwise NotFoundError (never say it exists).
    `with_read_at` also reads when `user` last looked at it (`my_read_at`, None if never)
    in the same query, for `has_unseen_activity`. `related` are the relations loaded
    with it (by default all that the pane shows)."""
    try:
        pk = int(conversation_id)
    except (TypeError, ValueError):
        raise NotFoundError("Conversation not found.")
    found = baked.fetch_models(
        _visible_conversation,
        shape={
            "everything": sees_everything(user),
            "related": tuple(related),
            "with_read_at": with_read_at,
            "lock": lock,
        },
        values={"user_id": user.pk, "conversation_id": pk},
    )
    if not found:
        raise NotFoundError("Conversation not found.")
    return found[0]


def _visible_conversation(
    *,
    everything: bool,
    related: tuple[str, ...],
    with_read_at: bool,
    lock: bool,
    user_id: int,
    conversation_id: int,
) -> QuerySet[Conversation]:
    conversations = Conversation.objects.select_related(*related)
    if not everything:
        conversations = conversations.filter(team_visibility_q(user_id))
    if with_read_at:
        conversations = conversations.annotate(
            my_read_at=Subquery(
                ReadMarker.objects.filter(user_id=user_id, conversation_id=OuterRef("pk")).values(
                    "read_at"
                )[:1]
            )
        )
    if lock:
        conversations = conversations.select_for_update(of=("self",))
    return conversations.filter(pk=conversation_id).order_by()[:1]


def has_unseen_activity(conversation: Conversation) -> bool:
    """Whether the last message is newer than the viewer's read marker. Needs
    `access_conversation(..., with_read_at=True)`. When False, marking it read again would
    change nothing the inbox shows, so the view skips the write."""
    read_at = conversation.my_read_at
    return read_at is None or conversation.last_message_at > read_at


def visible_customers(*, user: AbstractBaseUser) -> QuerySet[Customer]:
    customers = Customer.objects.filter(merged_into__isnull=True)
    if sees_everything(user):
        return customers
    return customers.filter(
        Exists(visible_conversations(user=user).filter(customer_id=OuterRef("pk")))
    )


def access_customer(*, user: AbstractBaseUser, customer_id: int | str) -> Customer:
    """The customer (possibly merged away: callers redirect) if `user` may see it."""
    try:
        pk = int(customer_id)
    except (TypeError, ValueError):
        raise NotFoundError("Customer not found.")
    customer = Customer.objects.filter(pk=pk).select_related("merged_into").first()
    if customer is None:
        raise NotFoundError("Customer not found.")
    live = customer
    while live.merged_into_id:
        live = live.merged_into
    if not sees_everything(user) and not visible_customers(user=user).filter(pk=live.pk).exists():
        raise NotFoundError("Customer not found.")
    return customer


def filter_conversations(
    conversations: QuerySet[Conversation],
    *,
    status: str | None = None,
    assignee: str | None = None,
    team: str | None = None,
    channel: str | None = None,
    q: str | None = None,
    current_user: AbstractBaseUser | None = None,
) -> QuerySet[Conversation]:
    if status:
        conversations = conversations.filter(status=status)
    if assignee == "me" and current_user is not None:
        conversations = conversations.filter(assignee_id=current_user.pk)
    elif assignee == "none":
        conversations = conversations.filter(assignee__isnull=True)
    elif assignee:
        conversations = conversations.filter(assignee_id=_int_or_zero(assignee))
    if team:
        conversations = conversations.filter(team_id=_int_or_zero(team))
    if channel:
        conversations = conversations.filter(
            Exists(Message.objects.filter(conversation_id=OuterRef("pk"), channel=channel))
        )
    if q:
        conversations = conversations.filter(
            Q(subject__icontains=q)
            | Q(customer__name__icontains=q)
            | Q(customer__identities__value__icontains=q.lower())
        ).distinct()
    return conversations


def _int_or_zero(value: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def agent_groups_for_conversation(
    conversation: Conversation, endpoint_team_ids: Iterable[int] | None = None
) -> list[str]:
    """Every realtime group that may receive events about `conversation`.

    Must mirror `visibility_filter`: teams owning its inbox, its team, its assignee,
    supervisors, and whoever has it open. `endpoint_team_ids` are the teams owning its
    inbox when the caller already read them.
    """
    if endpoint_team_ids is None:
        endpoint_team_ids = conversation.endpoint.teams.values_list("id", flat=True)
    team_ids = set(endpoint_team_ids)
    if conversation.team_id:
        team_ids.add(conversation.team_id)
    groups = [SUPERVISORS_GROUP, conversation_group(conversation.pk)]
    groups += [team_group(team_id) for team_id in sorted(team_ids)]
    if conversation.assignee_id:
        groups.append(agent_group(conversation.assignee_id))
    return groups


def default_reply_message(conversation: Conversation) -> Message | None:
    """The latest inbound message of the conversation, whose channel a reply defaults to."""
    return (
        conversation.messages.filter(direction=Message.Direction.INBOUND, endpoint__isnull=False)
        .select_related("endpoint")
        .order_by("-created_at", "-id")
        .first()
    )


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
    raw = f"{item.at.isoformat()}|{item.kind[0]}|{item.item.pk}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_timeline_cursor(cursor: str) -> tuple[datetime, bool, int] | None:
    """The `_item_key` of the oldest item shown, or None for a malformed cursor."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        at, kind, pk = base64.urlsafe_b64decode(padded.encode()).decode().split("|")
        if kind not in ("m", "e"):
            return None
        return datetime.fromisoformat(at), kind == "m", int(pk)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        return None


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
    Both queries are compiled once per shape (`omnidesk.baked`): the pane is re-fetched
    on every event of its conversation."""
    position = decode_timeline_cursor(before) if before else None
    at, before_message, pk = position or (None, False, None)
    shape = {
        "scope": scope,
        "everything": viewer is None or sees_everything(viewer),
        "before_message": before_message,
        "limit": limit + 1,
    }
    values = {"owner_id": owner_id, "viewer_id": viewer.pk if viewer else None, "at": at, "pk": pk}
    message_rows = baked.fetch_models(
        _timeline_rows, shape=shape | {"kind": "message"}, values=values
    )
    # Most messages carry no file: only a page with some pays a query for them.
    prefetch_related_objects(
        [m for m in message_rows if m.has_attachments],
        Prefetch("attachments", to_attr="attachment_list"),
    )
    fetched = [TimelineItem(m.created_at, "message", m.conversation_id, m) for m in message_rows]
    fetched += [
        TimelineItem(e.created_at, "event", e.conversation_id, e)
        for e in baked.fetch_models(_timeline_rows, shape=shape | {"kind": "event"}, values=values)
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


class DisplayValues:
    """Base of the display rows templates print. Django's template engine looks
    `row.name` up as `row["name"]` first and only then as an attribute, so on a plain
    object every variable printed costs a raised and caught TypeError; answering the
    key lookup makes it a hit on the first try."""

    __slots__ = ()

    def __getitem__(self, name: str) -> Any:
        return getattr(self, name)


@dataclass(frozen=True, slots=True)
class AttachmentLink(DisplayValues):
    url: str
    filename: str
    size: int
    preview: bool  # an image we hold: shown inline


@dataclass(frozen=True, slots=True)
class TimelineEntry(DisplayValues):
    """A timeline item as the pane prints it: display values computed once here, so the
    template only prints (the pane is re-rendered on every event of the conversation)."""

    is_message: bool
    pk: int
    conversation_id: int
    conversation_url: str
    css: str  # "dir-in kind-customer" for a message, "event-assigned" for an event
    badges: SafeString  # channel and note/call badges
    sender: str
    iso_time: str
    short_time: str
    subject: str = ""
    body: SafeString | str = ""  # messages: sanitised, quotes folded; events: description
    attachments: tuple[AttachmentLink, ...] = ()
    outbound: bool = False
    delivery_status: str = ""
    delivery_label: str = ""
    delivery_error: str = ""
    retry_url: str = ""


_KIND_BADGES = {
    Message.Kind.NOTE: SafeString('<span class="note-badge">Private note</span>'),
    Message.Kind.CALL: SafeString('<span class="call-badge">Call</span>'),
}


@functools.cache
def _channel_badge_html(channel: str) -> SafeString:
    return format_html(
        '<span class="channel-badge ch-{}">{}</span>', channel, channel_label(channel)
    )


def timeline_entries(items: list[TimelineItem], *, customer_name: str) -> list[TimelineEntry]:
    """Display values for `items`; `customer_name` signs customer messages that carry no
    sender name. Needs the authors, actors and attachments the timeline selectors load."""
    prefix = reverse("inbox:inbox")
    delivery_labels = {value: str(label) for value, label in Message.DeliveryStatus.choices}
    entries = []
    for entry in items:
        local = timezone.localtime(entry.at)
        conversation_url = f"{prefix}c/{entry.conversation_id}/"
        common = {
            "pk": entry.item.pk,
            "conversation_id": entry.conversation_id,
            "conversation_url": conversation_url,
            "iso_time": entry.at.isoformat(),
            "short_time": f"{local:%b} {local.day}, {local:%H:%M}",
        }
        if entry.kind == "event":
            event = entry.item
            entries.append(
                TimelineEntry(
                    is_message=False,
                    css=f"event-{event.kind}",
                    badges=SafeString(""),
                    sender="",
                    body=describe_event(event),
                    **common,
                )
            )
            continue
        message = entry.item
        badges = _channel_badge_html(message.channel) if message.channel else SafeString("")
        if message.kind in _KIND_BADGES:
            badges = SafeString(badges + _KIND_BADGES[message.kind])
        if message.author_id:
            sender = _user_name(
                message.author.first_name, message.author.last_name, message.author.get_username()
            )
        else:
            sender = message.sender_name or customer_name
        failed = message.delivery_status == Message.DeliveryStatus.FAILED
        entries.append(
            TimelineEntry(
                is_message=True,
                css=f"dir-{message.direction} kind-{message.kind}",
                badges=badges,
                sender=sender,
                subject=message.subject,
                body=format_html('<div class="email-html">{}</div>', sanitize_html(message.html))
                if message.html
                else fold_quotes(message.text),
                attachments=tuple(
                    AttachmentLink(
                        url=f"{prefix}attachments/{attachment.pk}/",
                        filename=attachment.filename,
                        size=attachment.size,
                        preview=bool(attachment.is_image and attachment.file),
                    )
                    for attachment in _attachments_of(message)
                ),
                outbound=message.direction == Message.Direction.OUTBOUND,
                delivery_status=message.delivery_status,
                delivery_label=delivery_labels.get(
                    message.delivery_status, message.delivery_status
                ),
                delivery_error=message.delivery_error,
                retry_url=f"{conversation_url}messages/{message.pk}/retry/" if failed else "",
                **common,
            )
        )
    return entries


def _attachments_of(message: Message) -> list[Attachment]:
    """The attachments `_timeline_page` loaded (none when it found the message has none)."""
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


# --- The agent inbox -------------------------------------------------------------------

INBOX_VIEWS = {
    "mine": "Mine",
    "unassigned": "Unassigned",
    "teams": "My teams",
    "all": "All",
}
INBOX_PAGE_SIZE = 25
# The same expressions as the GIN indexes of the migrations, or PostgreSQL ignores them.
MESSAGE_SEARCH_VECTOR = SearchVector("subject", "text", config="simple")
CUSTOMER_SEARCH_VECTOR = SearchVector("name", config="simple")
_SEARCH_TOKEN = re.compile(r"[\w@.+-]+", re.UNICODE)


@dataclass(frozen=True)
class InboxFilters:
    view: str = "mine"
    status: str = Conversation.Status.OPEN
    channel: str = ""
    tag: str = ""
    q: str = ""

    def as_query(self, **overrides: str) -> str:
        values = {
            "view": self.view,
            "status": self.status,
            "channel": self.channel,
            "tag": self.tag,
            "q": self.q,
        } | overrides
        return urlencode({key: value for key, value in values.items() if value})


def parse_inbox_filters(params: Mapping[str, str], *, user: AbstractBaseUser) -> InboxFilters:
    """Inbox filters from a query string; unknown values fall back to the defaults.
    The "All" view is for supervisors; agents asking for it get "My teams"."""
    view = params.get("view") or "mine"
    if view not in INBOX_VIEWS or (view == "all" and not sees_everything(user)):
        view = "teams" if view == "all" else "mine"
    status = params.get("status") or Conversation.Status.OPEN
    if status not in Conversation.Status.values:
        status = Conversation.Status.OPEN
    return InboxFilters(
        view=view,
        status=status,
        channel=(params.get("channel") or "")[:16],
        tag=(params.get("tag") or "")[:64],
        q=(params.get("q") or "").strip()[:200],
    )


def inbox_views_for(user: AbstractBaseUser) -> dict[str, str]:
    if sees_everything(user):
        return INBOX_VIEWS
    return {key: label for key, label in INBOX_VIEWS.items() if key != "all"}


def _view_q(view: str, user_id: int) -> Q:
    if view == "mine":
        return Q(assignee_id=user_id)
    if view == "unassigned":
        return Q(assignee__isnull=True)
    if view == "teams":
        return my_teams_q(user_id)
    return Q()


def _unread_q(user_id: int) -> Q:
    """Customer is waiting and nothing marks this agent as having looked since the last
    message: one NOT EXISTS probe of the (user, conversation) unique index per row."""
    seen = ReadMarker.objects.filter(
        user_id=user_id,
        conversation_id=OuterRef("pk"),
        read_at__gte=OuterRef("last_message_at"),
    )
    return Q(waiting_since__isnull=False) & ~Exists(seen)


def search_condition(q: str) -> Q:
    """Full-text search over messages (subject and text), customer names and identity
    values. On PostgreSQL each part is answered by an index (GIN or pattern btree); the
    embedded SQLite default falls back to substring matching."""
    tokens = _SEARCH_TOKEN.findall(q.lower())
    if not tokens:
        return Q(pk__in=[])
    if connection.vendor != "postgresql":
        return (
            Q(pk__in=Message.objects.filter(text__icontains=q).values("conversation_id"))
            | Q(customer__name__icontains=q)
            | Q(
                customer_id__in=Identity.objects.filter(value__startswith=q.lower()).values(
                    "customer_id"
                )
            )
        )
    # Every word must match, the last one as a prefix (the agent may still be typing).
    words = [re.sub(r"[^\w]", " ", token).split() for token in tokens]
    flat = [word for group in words for word in group]
    if not flat:
        return Q(pk__in=[])
    raw = " & ".join(f"'{word}'" for word in flat[:-1]) + (" & " if flat[:-1] else "")
    raw += f"'{flat[-1]}':*"
    query = SearchQuery(raw, search_type="raw", config="simple")
    matching_messages = (
        Message.objects.annotate(search=MESSAGE_SEARCH_VECTOR)
        .filter(search=query)
        .values("conversation_id")
    )
    matching_customers = (
        Customer.objects.annotate(search=CUSTOMER_SEARCH_VECTOR).filter(search=query).values("pk")
    )
    identity_value = q.strip().lower()
    matching_identities = Identity.objects.filter(value__startswith=identity_value).values(
        "customer_id"
    )
    return (
        Q(pk__in=matching_messages)
        | Q(customer_id__in=matching_customers)
        | Q(customer_id__in=matching_identities)
    )


def _filtered(
    conversations: QuerySet[Conversation], *, channel: str, tag: str, q: str
) -> QuerySet[Conversation]:
    if channel:
        # A plain EXISTS (no OR) lets PostgreSQL probe message_conv_channel_idx per row
        # instead of hashing every message of the channel.
        conversations = conversations.filter(
            Exists(Message.objects.filter(conversation_id=OuterRef("pk"), channel=channel))
        )
    if tag:
        conversations = conversations.filter(
            Exists(
                Conversation.tags.through.objects.filter(
                    conversation_id=OuterRef("pk"), tag__name=tag
                )
            )
        )
    if q:
        conversations = conversations.filter(search_condition(q))
    return conversations


@dataclass(frozen=True, slots=True)
class InboxRow(DisplayValues):
    """One line of the list as the template prints it: plain values, no model lookups
    (a page of 25 rows is rendered on every list refresh of every agent)."""

    id: int
    url: str
    customer_name: str
    subject: str
    preview: str
    channels: tuple[str, ...]  # every channel the conversation used, sorted
    channel_icons: SafeString  # their icons, markup built once per channel kind
    waiting: str  # compact waiting time ("12m"); empty when nobody waits
    priority: int
    priority_class: str
    priority_label: str
    assignee_name: str  # empty when unassigned
    unread: bool
    last_message_at: datetime


@dataclass(frozen=True)
class InboxPage:
    rows: list[InboxRow]
    next_cursor: str | None


def encode_cursor(last_message_at: datetime, pk: int) -> str:
    raw = f"{last_message_at.isoformat()}|{pk}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int] | None:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        at, pk = base64.urlsafe_b64decode(padded.encode()).decode().split("|")
        return datetime.fromisoformat(at), int(pk)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        return None


# What a row shows, and nothing else: the list query reads these columns only.
_ROW_FIELDS = (
    "pk",
    "subject",
    "priority",
    "last_channel",
    "last_message_at",
    "last_message_preview",
    "waiting_since",
    "customer_id",
    "customer__name",
    "assignee_id",
    "assignee__username",
    "assignee__first_name",
    "assignee__last_name",
    "unread",
)


def inbox_queryset(
    *,
    agent: AbstractBaseUser,
    filters: InboxFilters,
    cursor: str | None = None,
    limit: int = INBOX_PAGE_SIZE + 1,
) -> QuerySet:
    """The list's rows in order, as dicts of `_ROW_FIELDS`, at most `limit` of them (also
    what the benchmark times bare). On PostgreSQL each row also carries `channels`, the
    sorted channels its messages used."""
    shape, values = _inbox_query_arguments(agent, filters, cursor, limit)
    return _inbox_rows(**shape, **values)


def _inbox_query_arguments(
    agent: AbstractBaseUser, filters: InboxFilters, cursor: str | None, limit: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    """`_inbox_rows` arguments split for `omnidesk.baked`: what shapes the SQL, and the
    values that only fill its parameters."""
    position = decode_cursor(cursor) if cursor else None
    at, pk = position or (None, None)
    shape = {"everything": sees_everything(agent), "view": filters.view, "limit": limit}
    values = {
        "user_id": agent.pk,
        "status": filters.status,
        "channel": filters.channel,
        "tag": filters.tag,
        "q": filters.q,  # a search is never baked: Django rewrites it (tsquery, LIKE)
        "cursor_at": at,
        "cursor_pk": pk,
    }
    return shape, values


def _inbox_rows(
    *,
    everything: bool,
    view: str,
    limit: int,
    user_id: int,
    status: str,
    channel: str,
    tag: str,
    q: str,
    cursor_at: datetime | None,
    cursor_pk: int | None,
) -> QuerySet:
    condition = _view_q(view, user_id)
    if view not in ("mine", "teams") and not everything:  # those two hold visible rows only
        condition &= team_visibility_q(user_id)
    conversations = _filtered(
        Conversation.objects.filter(condition, status=status), channel=channel, tag=tag, q=q
    )
    if cursor_at is not None:
        conversations = conversations.filter(
            Q(last_message_at__lt=cursor_at) | Q(last_message_at=cursor_at, pk__lt=cursor_pk)
        )
    conversations = conversations.annotate(
        unread=ExpressionWrapper(_unread_q(user_id), output_field=BooleanField())
    )
    fields = _ROW_FIELDS
    if connection.vendor == "postgresql":
        # In the row itself rather than a second query: one round trip per page, and
        # PostgreSQL runs the subquery for the rows the LIMIT keeps (an index-only scan
        # of message_conv_channel_idx each).
        conversations = conversations.annotate(
            channels=ArraySubquery(
                Message.objects.filter(conversation_id=OuterRef("pk"))
                .exclude(channel="")
                .order_by("channel")
                .values("channel")
                .distinct()
            )
        )
        fields += ("channels",)
    return conversations.order_by("-last_message_at", "-pk").values(*fields)[:limit]


def inbox_page(
    *,
    agent: AbstractBaseUser,
    filters: InboxFilters,
    cursor: str | None = None,
    limit: int = INBOX_PAGE_SIZE,
) -> InboxPage:
    """One page of the agent's conversation list, newest activity first.

    Keyset pagination on (last_message_at, id): a page costs the same at row 100,000 as
    at row 1. One query whatever the page size (two on SQLite: the rows, their channels),
    compiled once per shape (`omnidesk.baked`): building it is slower than running it.
    """
    shape, values = _inbox_query_arguments(agent, filters, cursor, limit + 1)
    page = baked.fetch_values(_inbox_rows, shape=shape, values=values)
    has_more = len(page) > limit
    page = page[:limit]
    channels: dict[int, list[str]] = {}
    if page and "channels" in page[0]:
        channels = {row["pk"]: row["channels"] for row in page if row["channels"]}
    elif page:
        for conversation_id, channel in (
            Message.objects.filter(conversation_id__in=[row["pk"] for row in page])
            .exclude(channel="")
            .order_by()  # the model's ordering would defeat DISTINCT
            .values_list("conversation_id", "channel")
            .distinct()
        ):
            channels.setdefault(conversation_id, []).append(channel)
    url_prefix = reverse("inbox:inbox")
    rows = [
        _inbox_row(row, tuple(sorted(channels.get(row["pk"]) or [row["last_channel"]])), url_prefix)
        for row in page
    ]
    next_cursor = encode_cursor(page[-1]["last_message_at"], page[-1]["pk"]) if has_more else None
    return InboxPage(rows=rows, next_cursor=next_cursor)


def _inbox_row(row: dict[str, Any], channels: tuple[str, ...], url_prefix: str) -> InboxRow:
    assignee_name = ""
    if row["assignee_id"]:
        assignee_name = _user_name(
            row["assignee__first_name"], row["assignee__last_name"], row["assignee__username"]
        )
    return InboxRow(
        id=row["pk"],
        url=f"{url_prefix}c/{row['pk']}/",
        customer_name=row["customer__name"] or f"Customer #{row['customer_id']}",
        subject=row["subject"],
        preview=row["last_message_preview"],
        channels=channels,
        channel_icons=SafeString("".join(_channel_icon_html(kind) for kind in channels)),
        waiting=waiting_for(row["waiting_since"]),
        priority=row["priority"],
        priority_class=priority_class(row["priority"]),
        priority_label=priority_label(row["priority"]),
        assignee_name=assignee_name,
        unread=bool(row["unread"]),
        last_message_at=row["last_message_at"],
    )


@functools.cache
def _channel_icon_html(kind: str) -> SafeString:
    return format_html(
        '<span class="channel-icon ch-{}" title="{}">{}</span>',
        kind,
        channel_label(kind),
        channel_icon(kind),
    )


def _user_name(first_name: str, last_name: str, username: str) -> str:
    """What `user.get_full_name() or user.get_username()` gives, from plain columns."""
    return f"{first_name} {last_name}".strip() or username


def inbox_counts(*, agent: AbstractBaseUser, status: str = Conversation.Status.OPEN) -> dict:
    """Counts per view, and the agent's unread count, in ONE query:
    `SELECT COUNT(*) FILTER (WHERE ...), ... FROM conversation WHERE visible AND status`."""
    counts = (
        visible_conversations(user=agent)
        .filter(status=status)
        .aggregate(
            mine=Count("pk", filter=_view_q("mine", agent.pk)),
            unassigned=Count("pk", filter=_view_q("unassigned", agent.pk)),
            teams=Count("pk", filter=_view_q("teams", agent.pk)),
            all=Count("pk"),
            unread_mine=Count("pk", filter=_view_q("mine", agent.pk) & _unread_q(agent.pk)),
        )
    )
    if not sees_everything(agent):
        counts.pop("all")
    return counts


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


@dataclass(frozen=True)
class CustomerContext:
    customer: Customer
    identities: list[Identity]
    external_records: list[Any]
    other_conversations: list[Conversation]


def customer_context(*, customer: Customer, user: AbstractBaseUser) -> CustomerContext:
    """What the sidebar shows about a customer, limited to what `user` may see."""
    return CustomerContext(
        customer=customer,
        identities=list(customer.identities.order_by("kind", "id")),
        external_records=list(customer.external_records.order_by("source", "kind", "-updated_at")),
        other_conversations=list(
            visible_conversations(user=user)
            .filter(customer=customer)
            .select_related("assignee")
            .order_by("-last_message_at")[:20]
        ),
    )


def merge_candidates(*, customer: Customer, user: AbstractBaseUser, q: str) -> list[Customer]:
    """Customers `user` may see matching `q` (name, email or phone), to merge with."""
    q = q.strip()
    if len(q) < 2:
        return []
    lowered = q.lower()
    matches = visible_customers(user=user).exclude(pk=customer.pk)
    if connection.vendor == "postgresql" and _SEARCH_TOKEN.search(q):
        condition = search_condition(q)
        by_conversation = Conversation.objects.filter(condition).values("customer_id")
        matches = matches.filter(
            Q(pk__in=by_conversation)
            | Q(pk__in=Identity.objects.filter(value__startswith=lowered).values("customer_id"))
        )
    else:
        matches = matches.filter(
            Q(name__icontains=q)
            | Q(pk__in=Identity.objects.filter(value__startswith=lowered).values("customer_id"))
        )
    return list(matches.prefetch_related("identities").order_by("name", "pk")[:10])


def assignable_agents(*, conversation: Conversation) -> QuerySet:
    """Agents who may be given the conversation: members of the teams that see it."""
    from django.contrib.auth import get_user_model

    team_ids = set(conversation.endpoint.teams.values_list("id", flat=True))
    if conversation.team_id:
        team_ids.add(conversation.team_id)
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(teams__id__in=team_ids) | Q(agent_profile__role__in=["supervisor", "admin"]))
        .distinct()
        .order_by("first_name", "username")
    )


def canned_responses_for(*, user: AbstractBaseUser, prefix: str = "") -> QuerySet:
    from conversations.models import CannedResponse

    my_teams = Team.members.through.objects.filter(user_id=user.pk).values("team_id")
    responses = CannedResponse.objects.filter(Q(team__isnull=True) | Q(team_id__in=my_teams))
    if prefix:
        responses = responses.filter(shortcut__startswith=prefix.lower())
    return responses.order_by("shortcut")[:20]


@dataclass(frozen=True)
class ApprovedTemplate:
    """A provider-approved message template an endpoint may send (WhatsApp outside the
    24-hour window), configured as `endpoint.config["templates"]`:
    `[{"name": "order_update", "language": "en_US", "text": "Your order has shipped"}]`."""

    endpoint: Any
    name: str
    language: str
    preview: str

    @property
    def choice(self) -> str:
        return f"{self.endpoint.pk}:{self.name}:{self.language}"

    def as_provider_template(self) -> dict[str, str]:
        return {"name": self.name, "language": self.language}


def approved_templates(endpoints: list[Any]) -> list[ApprovedTemplate]:
    templates = []
    for endpoint in endpoints:
        for item in endpoint.config.get("templates", []) or []:
            if isinstance(item, dict) and item.get("name") and item.get("language"):
                templates.append(
                    ApprovedTemplate(
                        endpoint=endpoint,
                        name=str(item["name"]),
                        language=str(item["language"]),
                        preview=str(item.get("text") or f"Template {item['name']}"),
                    )
                )
    return templates


def find_approved_template(*, endpoints: list[Any], choice: str) -> ApprovedTemplate | None:
    """The template an agent picked (its `choice` value), among the reply endpoints'."""
    if not choice:
        return None
    for template in approved_templates(endpoints):
        if template.choice == choice:
            return template
    raise ApplicationError(
        "That template is not approved for this customer's channels.",
        fields={"template": ["Pick one of the listed templates."]},
    )
