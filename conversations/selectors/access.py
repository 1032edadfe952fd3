"""Who may see what: visible conversations and customers, the `access_*` checks every
view, API and consumer calls first, and the realtime groups an event about a
conversation goes to (which must agree with visibility)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery

from agents.roles import sees_everything, team_ids_of
from agents.selectors import (
    SUPERVISORS_GROUP,
    agent_group,
    team_group,
    team_visibility_q,
    teams_of_endpoints,
)
from conversations.models import Conversation, CustomerMerge, Message, ReadMarker
from customers.models import Customer, MergeSuggestion
from omnidesk.errors import NotFoundError


def conversation_group(conversation_id: int) -> str:
    return f"inbox.conversation.{conversation_id}"


def inbox_groups(user: AbstractBaseUser) -> list[str]:
    """The groups an agent's inbox socket listens to: their own, their teams', and the
    supervisors' if they see everything. The inbox page renders these groups' sequence
    numbers so its first socket greeting can tell what it missed while it connected."""
    groups = [agent_group(user.pk)] + [team_group(team_id) for team_id in team_ids_of(user)]
    if sees_everything(user):
        groups.append(SUPERVISORS_GROUP)
    return groups


def customer_side_group(conversation_id: int) -> str:
    """What the conversation's customer hears live (their chat widget): agents typing
    a reply, nothing of the agents' timeline events."""
    return f"customer.conversation.{conversation_id}"


def collision_groups(conversation_id: int, *, action: str, note: bool = False) -> list[str]:
    """Who hears an agent's collision signal ("typing", "viewing"): colleagues every
    one; the customer's chat only that a reply is being typed (never a note, never who
    is looking)."""
    groups = [conversation_group(conversation_id)]
    if action == "typing" and not note:
        groups.append(customer_side_group(conversation_id))
    return groups


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
    found = list(
        _visible_conversation(
            everything=sees_everything(user),
            related=tuple(related),
            with_read_at=with_read_at,
            lock=lock,
            user_id=user.pk,
            conversation_id=pk,
        )
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


def customer_merges(*, customer: Customer) -> QuerySet[CustomerMerge]:
    """The merges `customer` took part in (as the one merged away or the one kept),
    newest first. Access to `customer` is the caller's to check (`access_customer`)."""
    return CustomerMerge.objects.filter(Q(source=customer) | Q(target=customer)).order_by(
        "-merged_at", "-pk"
    )


def access_customer_merge(
    *, user: AbstractBaseUser, customer_id: int | str, merge_id: int | str
) -> CustomerMerge:
    """A merge of the customer `customer_id` if `user` may see that customer (the one it
    redirects to, when merged away: every conversation of the merged customers is
    theirs); otherwise NotFoundError."""
    customer = access_customer(user=user, customer_id=customer_id)
    try:
        pk = int(merge_id)
    except (TypeError, ValueError):
        raise NotFoundError("Merge not found.")
    merge = customer_merges(customer=customer).filter(pk=pk).first()
    if merge is None:
        raise NotFoundError("Merge not found.")
    return merge


def access_merge_suggestion(
    *,
    user: AbstractBaseUser,
    suggestion_id: int | str,
    customer_id: int | None = None,
) -> MergeSuggestion:
    """A merge suggestion if `user` may see both customers it names (a conversation of
    each), and, with `customer_id`, it names that customer; otherwise NotFoundError
    (never say whom it names)."""
    try:
        pk = int(suggestion_id)
    except (TypeError, ValueError):
        raise NotFoundError("Suggestion not found.")
    suggestion = MergeSuggestion.objects.select_related("customer", "other").filter(pk=pk).first()
    if suggestion is None:
        raise NotFoundError("Suggestion not found.")
    pair = {suggestion.customer_id, suggestion.other_id}
    if customer_id is not None and customer_id not in pair:
        raise NotFoundError("Suggestion not found.")
    if not sees_everything(user) and (
        visible_customers(user=user).filter(pk__in=pair).count() != len(pair)
    ):
        raise NotFoundError("Suggestion not found.")
    return suggestion


@dataclass(frozen=True, slots=True, order=True)
class Bucket:
    """Where a conversation is counted: its status, inbox, team and assignee (0: none)."""

    status: str
    endpoint_id: int
    team_id: int
    assignee_id: int

    def as_facts(self) -> dict[str, Any]:
        """What a client decides its tabs and counts with (None: no team, nobody)."""
        return {
            "status": self.status,
            "endpoint_id": self.endpoint_id or None,
            "team_id": self.team_id or None,
            "assignee_id": self.assignee_id or None,
        }


def groups_for_buckets(buckets: Iterable[Bucket]) -> dict[Bucket, list[str]]:
    """Every agent group that may see a conversation in each bucket: the teams owning its
    inbox, its team, its assignee, supervisors. The same rule as `visibility_filter`
    (`agent_groups_for_conversation` adds the open conversation's own group)."""
    bucket_list = list(buckets)
    owners = teams_of_endpoints({b.endpoint_id for b in bucket_list if b.endpoint_id})
    groups = {}
    for bucket in bucket_list:
        team_ids = set(owners.get(bucket.endpoint_id, []))
        if bucket.team_id:
            team_ids.add(bucket.team_id)
        names = [SUPERVISORS_GROUP] + [team_group(team_id) for team_id in sorted(team_ids)]
        if bucket.assignee_id:
            names.append(agent_group(bucket.assignee_id))
        groups[bucket] = names
    return groups


def bucket_of(conversation: Conversation) -> Bucket:
    return Bucket(
        status=conversation.status,
        endpoint_id=conversation.endpoint_id or 0,
        team_id=conversation.team_id or 0,
        assignee_id=conversation.assignee_id or 0,
    )


def agent_groups_for_conversation(conversation: Conversation) -> list[str]:
    """Every realtime group that may receive events about `conversation`: those of its
    bucket (`groups_for_buckets`, the same rule as `visibility_filter`) and whoever has it
    open."""
    bucket = bucket_of(conversation)
    return [*groups_for_buckets([bucket])[bucket], conversation_group(conversation.pk)]


def default_reply_message(conversation: Conversation) -> Message | None:
    """The latest inbound message of the conversation, whose channel a reply defaults to."""
    return (
        conversation.messages.filter(direction=Message.Direction.INBOUND, endpoint__isnull=False)
        .select_related("endpoint")
        .order_by("-created_at", "-id")
        .first()
    )
