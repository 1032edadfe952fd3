"""The agent inbox: views and filters, keyset pages of plain rows, counts per view. (The
REST API's list filters are `conversations.filters`.)"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar
from urllib.parse import parse_qsl, urlencode

from django.contrib.auth.models import AbstractBaseUser
from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy

from agents.models import Team
from agents.roles import sees_everything
from agents.selectors import my_teams_q, team_visibility_q
from conversations.models import Conversation, Message, ReadMarker
from conversations.selectors.cursors import decode_cursor, encode_cursor
from conversations.selectors.search import search_condition
from customers.attributes import KEY_PATTERN, attribute_specs, parse_text_value

INBOX_VIEWS = {
    "mine": gettext_lazy("Mine"),
    "unassigned": gettext_lazy("Unassigned"),
    "teams": gettext_lazy("My teams"),
    "all": gettext_lazy("All"),
}
INBOX_PAGE_SIZE = 25


# Saved views' filters (workspace/) beyond the tabs: query parameters, each checked.
SLA_OVERDUE = "overdue"
MAX_SLA_MINUTES = 60 * 24 * 30
MAX_ATTRIBUTE_FILTERS = 5
# `attr.<key>` filters on the customer's attributes, `conv.<key>` on the conversation's.
ATTRIBUTE_PREFIXES = {"attr.": "customer", "conv.": "conversation"}


@dataclass(frozen=True)
class InboxFilters:
    view: str = "mine"
    status: str = Conversation.Status.OPEN
    channel: str = ""
    tag: str = ""
    q: str = ""
    team: str = ""  # a team id or "none"
    assignee: str = ""  # a user id, "me" or "none"
    priority: str = ""  # "0".."3"
    sla: str = ""  # "overdue", or minutes: some SLA target due within them (or overdue)
    scope_team: str = ""  # a team-shared saved view: that team's conversations only
    # (("customer" | "conversation", key), text value) pairs, typed by the definitions.
    attributes: tuple[tuple[tuple[str, str], str], ...] = ()

    @property
    def narrowed(self) -> bool:
        """Filters a live page cannot decide from an event's row (it refetches)."""
        return bool(
            self.team
            or self.assignee
            or self.priority
            or self.sla
            or self.scope_team
            or self.attributes
        )

    def as_query(self, **overrides: str) -> str:
        values = {
            "view": self.view,
            "status": self.status,
            "channel": self.channel,
            "tag": self.tag,
            "q": self.q,
            "team": self.team,
            "assignee": self.assignee,
            "priority": self.priority,
            "sla": self.sla,
            "scope_team": self.scope_team,
        }
        for (scope, key), value in self.attributes:
            prefix = next(p for p, named in ATTRIBUTE_PREFIXES.items() if named == scope)
            values[f"{prefix}{key}"] = value
        values |= overrides
        return urlencode({key: value for key, value in values.items() if value})

    def extra_params(self) -> list[tuple[str, str]]:
        """The saved-view filters as (name, value) pairs (hidden fields of the list's form)."""
        query = InboxFilters(
            view="",
            status="",
            team=self.team,
            assignee=self.assignee,
            priority=self.priority,
            sla=self.sla,
            scope_team=self.scope_team,
            attributes=self.attributes,
        ).as_query()
        return parse_qsl(query)


def _id_or_word(value: str | None, words: tuple[str, ...]) -> str:
    value = (value or "").strip()
    if value in words or (value.isdigit() and 0 < int(value) < 2**63):
        return value
    return ""


def _sla_filter(value: str | None) -> str:
    value = (value or "").strip()
    if value == SLA_OVERDUE or (value.isdigit() and 0 < int(value) <= MAX_SLA_MINUTES):
        return value
    return ""


def _attribute_filters(params: Mapping[str, str]) -> tuple[tuple[tuple[str, str], str], ...]:
    found = []
    for name in sorted(params):
        for prefix, scope in ATTRIBUTE_PREFIXES.items():
            key = name[len(prefix) :]
            value = (params.get(name) or "").strip()[:200]
            if name.startswith(prefix) and KEY_PATTERN.match(key) and value:
                found.append(((scope, key), value))
    return tuple(found[:MAX_ATTRIBUTE_FILTERS])


def parse_inbox_filters(params: Mapping[str, str], *, user: AbstractBaseUser) -> InboxFilters:
    """Inbox filters from a query string; unknown values fall back to the defaults.
    The "All" view is for supervisors; agents asking for it get "My teams"."""
    view = params.get("view") or "mine"
    if view not in INBOX_VIEWS or (view == "all" and not sees_everything(user)):
        view = "teams" if view == "all" else "mine"
    status = params.get("status") or Conversation.Status.OPEN
    if status not in Conversation.Status.values:
        status = Conversation.Status.OPEN
    priority = (params.get("priority") or "").strip()
    return InboxFilters(
        view=view,
        status=status,
        channel=(params.get("channel") or "")[:16],
        tag=(params.get("tag") or "")[:64],
        q=(params.get("q") or "").strip()[:200],
        team=_id_or_word(params.get("team"), ("none",)),
        assignee=_id_or_word(params.get("assignee"), ("me", "none")),
        priority=priority if priority in {str(p) for p in Conversation.Priority.values} else "",
        sla=_sla_filter(params.get("sla")),
        scope_team=_id_or_word(params.get("scope_team"), ()),
        attributes=_attribute_filters(params),
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


def _filtered(
    conversations: QuerySet[Conversation],
    *,
    channel: str,
    tag: str,
    q: str,
    narrowing: InboxFilters | None = None,
    user_id: int = 0,
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
    if narrowing is not None and narrowing.narrowed:
        conversations = _narrowed(conversations, narrowing, user_id)
    return conversations


def _narrowed(
    conversations: QuerySet[Conversation], filters: InboxFilters, user_id: int
) -> QuerySet[Conversation]:
    """A saved view's filters beyond channel, tag and search."""
    if filters.team == "none":
        conversations = conversations.filter(team__isnull=True)
    elif filters.team:
        conversations = conversations.filter(team_id=int(filters.team))
    if filters.assignee == "none":
        conversations = conversations.filter(assignee__isnull=True)
    elif filters.assignee:
        wanted = user_id if filters.assignee == "me" else int(filters.assignee)
        conversations = conversations.filter(assignee_id=wanted)
    if filters.priority:
        conversations = conversations.filter(priority=int(filters.priority))
    if filters.sla:
        conversations = conversations.filter(_sla_q(filters.sla))
    if filters.scope_team:
        conversations = conversations.filter(team_conversations_q(int(filters.scope_team)))
    if filters.attributes:
        specs = {
            scope: attribute_specs(scope)
            for scope in {scope for (scope, _), _ in filters.attributes}
        }
        for (scope, key), text in filters.attributes:
            try:
                value = parse_text_value(specs[scope].get(key), text)
            except ValueError:
                return conversations.none()
            lookup = (
                "customer__attributes__contains" if scope == "customer" else "attributes__contains"
            )
            conversations = conversations.filter(**{lookup: {key: value}})
    return conversations


def team_conversations_q(team_id: int) -> Q:
    """The conversations one team works: in its queue or in an inbox it owns (what
    `my_teams_q` gives a member of that team alone)."""
    endpoints = Team.endpoints.through.objects.filter(team_id=team_id).values("channelendpoint_id")
    return Q(endpoint_id__in=endpoints) | Q(team_id=team_id)


def _sla_q(sla: str) -> Q:
    """Some SLA target still open is overdue (or due within `sla` minutes)."""
    now = timezone.now()
    limit = now if sla == SLA_OVERDUE else now + timedelta(minutes=int(sla))
    return (
        Q(first_response_due_at__lte=limit, first_response_at__isnull=True)
        | Q(next_response_due_at__lte=limit, waiting_since__isnull=False)
        | Q(resolution_due_at__lte=limit, resolved_at__isnull=True)
    )


def filter_conversations(
    conversations: QuerySet[Conversation], *, filters: InboxFilters, user_id: int
) -> QuerySet[Conversation]:
    """The list's filters (status, channel, tag, search, a saved view's) on any set of
    conversations: what a saved view's count counts is what its list shows."""
    return _filtered(
        conversations.filter(status=filters.status),
        channel=filters.channel,
        tag=filters.tag,
        q=filters.q,
        narrowing=filters,
        user_id=user_id,
    )


@dataclass(frozen=True, slots=True)
class InboxItem:
    """One conversation of the list as read: plain values (`conversations.presenters`
    turns it into the row the template prints)."""

    id: int
    customer_name: str
    subject: str
    preview: str
    channels: tuple[str, ...]  # every channel the conversation used, sorted
    waiting_since: datetime | None  # None when nobody waits
    priority: int
    assignee_name: str  # empty when unassigned
    unread: bool
    last_message_at: datetime


Row = TypeVar("Row")


@dataclass(frozen=True)
class InboxPage(Generic[Row]):
    """One keyset page of the list (`InboxItem`s from `inbox_page`, display rows once
    presented) and the cursor of the next page (None: this is the last)."""

    rows: list[Row]
    next_cursor: str | None


def channels_used() -> ArraySubquery:
    """The sorted channels a conversation's messages used (an index-only scan of
    message_conv_channel_idx)."""
    return ArraySubquery(
        Message.objects.filter(conversation_id=OuterRef("pk"))
        .exclude(channel="")
        .order_by("channel")
        .values("channel")
        .distinct()
    )


# What a row shows, and nothing else: the list query reads these columns only.
ROW_FIELDS = (
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
    """The list's rows in order, as dicts of `ROW_FIELDS`, at most `limit` of them (also
    what the benchmark times bare). On PostgreSQL each row also carries `channels`, the
    sorted channels its messages used."""
    shape, values = _inbox_query_arguments(agent, filters, cursor, limit)
    return _inbox_rows(**shape, **values)


def _inbox_query_arguments(
    agent: AbstractBaseUser, filters: InboxFilters, cursor: str | None, limit: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    """`_inbox_rows` arguments: what shapes the SQL, and the values that only fill its
    parameters."""
    position = decode_cursor(cursor, datetime.fromisoformat, int) if cursor else None
    at, pk = position or (None, None)
    shape = {"everything": sees_everything(agent), "view": filters.view, "limit": limit}
    values = {
        "user_id": agent.pk,
        "status": filters.status,
        "channel": filters.channel,
        "tag": filters.tag,
        "q": filters.q,
        "narrowing": filters if filters.narrowed else None,
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
    narrowing: InboxFilters | None = None,
) -> QuerySet:
    condition = _view_q(view, user_id)
    if view not in ("mine", "teams") and not everything:  # those two hold visible rows only
        condition &= team_visibility_q(user_id)
    conversations = _filtered(
        Conversation.objects.filter(condition, status=status),
        channel=channel,
        tag=tag,
        q=q,
        narrowing=narrowing,
        user_id=user_id,
    )
    if cursor_at is not None:
        conversations = conversations.filter(
            Q(last_message_at__lt=cursor_at) | Q(last_message_at=cursor_at, pk__lt=cursor_pk)
        )
    conversations = conversations.annotate(
        unread=ExpressionWrapper(_unread_q(user_id), output_field=BooleanField())
    )
    # The channels in the row itself rather than a second query: one round trip per page,
    # and PostgreSQL runs the subquery for the rows the LIMIT keeps (an index-only scan of
    # message_conv_channel_idx each).
    conversations = conversations.annotate(channels=channels_used())
    newest_first = conversations.order_by("-last_message_at", "-pk")
    return newest_first.values(*ROW_FIELDS, "channels")[:limit]


def inbox_page(
    *,
    agent: AbstractBaseUser,
    filters: InboxFilters,
    cursor: str | None = None,
    limit: int = INBOX_PAGE_SIZE,
) -> InboxPage[InboxItem]:
    """One page of the agent's conversation list, newest activity first.

    Keyset pagination on (last_message_at, id): a page costs the same at row 100,000 as
    at row 1. One query whatever the page size.
    """
    shape, values = _inbox_query_arguments(agent, filters, cursor, limit + 1)
    page = list(_inbox_rows(**shape, **values))
    has_more = len(page) > limit
    page = page[:limit]
    rows = [
        inbox_item(row, tuple(sorted(row["channels"] or [row["last_channel"]]))) for row in page
    ]
    next_cursor = encode_cursor(page[-1]["last_message_at"], page[-1]["pk"]) if has_more else None
    return InboxPage(rows=rows, next_cursor=next_cursor)


def inbox_item(row: dict[str, Any], channels: tuple[str, ...]) -> InboxItem:
    assignee_name = ""
    if row["assignee_id"]:
        # What `user.get_full_name() or user.get_username()` gives, from plain columns.
        full_name = f"{row['assignee__first_name']} {row['assignee__last_name']}".strip()
        assignee_name = full_name or row["assignee__username"]
    return InboxItem(
        id=row["pk"],
        customer_name=row["customer__name"] or f"Customer #{row['customer_id']}",
        subject=row["subject"],
        preview=row["last_message_preview"],
        channels=channels,
        waiting_since=row["waiting_since"],
        priority=row["priority"],
        assignee_name=assignee_name,
        unread=bool(row["unread"]),
        last_message_at=row["last_message_at"],
    )
