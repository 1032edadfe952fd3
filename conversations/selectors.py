"""Reads on conversations. `access_*` functions also check permission and raise."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Exists, OuterRef, Q, QuerySet

from conversations.models import Conversation, ConversationEvent, Message
from customers.models import Customer
from omnidesk.errors import NotFoundError
from omnidesk.roles import sees_everything, team_ids_of

SUPERVISORS_GROUP = "inbox.supervisors"


def agent_group(user_id: int) -> str:
    return f"inbox.agent.{user_id}"


def team_group(team_id: int) -> str:
    return f"inbox.team.{team_id}"


def conversation_group(conversation_id: int) -> str:
    return f"inbox.conversation.{conversation_id}"


def visibility_filter(*, user: AbstractBaseUser) -> Q | None:
    """The conversations an agent may see: their teams' inboxes, their teams' queue and
    anything assigned to them. None means everything (supervisors and admins)."""
    if sees_everything(user):
        return None
    team_ids = team_ids_of(user)
    return (
        Q(endpoint__teams__id__in=team_ids) | Q(team_id__in=team_ids) | Q(assignee_id=user.pk)
        if team_ids
        else Q(assignee_id=user.pk)
    )


def visible_conversations(*, user: AbstractBaseUser) -> QuerySet[Conversation]:
    conversations = Conversation.objects.all()
    condition = visibility_filter(user=user)
    if condition is None:
        return conversations
    # A subquery rather than a join, so one conversation never appears twice.
    return conversations.filter(pk__in=Conversation.objects.filter(condition).values("pk"))


def access_conversation(
    *, user: AbstractBaseUser, conversation_id: int | str, lock: bool = False
) -> Conversation:
    """The conversation if `user` may see it; otherwise NotFoundError (never say it exists)."""
    try:
        pk = int(conversation_id)
    except (TypeError, ValueError):
        raise NotFoundError("Conversation not found.")
    conversations = visible_conversations(user=user).select_related(
        "customer", "endpoint", "team", "assignee"
    )
    if lock:
        conversations = conversations.select_for_update(of=("self",))
    conversation = conversations.filter(pk=pk).first()
    if conversation is None:
        raise NotFoundError("Conversation not found.")
    return conversation


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


def agent_groups_for_conversation(conversation: Conversation) -> list[str]:
    """Every realtime group that may receive events about `conversation`.

    Must mirror `visibility_filter`: teams owning its inbox, its team, its assignee,
    supervisors, and whoever has it open.
    """
    team_ids = set(conversation.endpoint.teams.values_list("id", flat=True))
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


def timeline(
    *, customer: Customer, user: AbstractBaseUser | None = None, limit: int = 500
) -> list[TimelineItem]:
    """The customer's whole story across conversations and channels, oldest first.

    With `user`, only conversations that user may see are included. At most the
    latest `limit` items are returned.
    """
    conversations = Conversation.objects.filter(customer=customer)
    if user is not None:
        conversations = conversations.filter(pk__in=visible_conversations(user=user).values("pk"))
    conversation_ids = conversations.values("pk")
    messages = (
        Message.objects.filter(conversation_id__in=conversation_ids)
        .select_related("author")
        .order_by("-created_at", "-id")[:limit]
    )
    events = (
        ConversationEvent.objects.filter(conversation_id__in=conversation_ids)
        .select_related("actor")
        .order_by("-created_at", "-id")[:limit]
    )
    items = [TimelineItem(m.created_at, "message", m.conversation_id, m) for m in messages]
    items += [TimelineItem(e.created_at, "event", e.conversation_id, e) for e in events]
    items.sort(key=lambda item: (item.at, item.kind != "event", item.item.pk))
    return items[-limit:]
