"""Reads of the live inbox: a changed conversation's row as every agent sees it, the
buckets conversations are counted in, the tab counts summed from those buckets, and who
may hear about a bucket."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import Exists, IntegerField, OuterRef, Q, QuerySet, Sum
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce

from agents.roles import sees_everything
from agents.selectors import teams_and_inboxes
from conversations.models import Conversation, InboxCount, ReadMarker
from conversations.selectors.access import Bucket
from conversations.selectors.inbox import ROW_FIELDS, InboxItem, channels_used, inbox_item
from omnidesk.compiled import RowsByIds

# How many of an agent's unread assigned conversations the page is told by id.
UNREAD_IDS_LIMIT = 500


@dataclass(frozen=True, slots=True)
class LiveRow:
    """A conversation's list row as any agent who may see it sees it (unread when the
    customer waits; each page corrects that with its own reading), with the facts a page
    places it by."""

    item: InboxItem
    bucket: Bucket
    tags: tuple[str, ...]


def _live_rows_query(ids: RawSQL) -> QuerySet:
    tag_names = ArraySubquery(
        Conversation.tags.through.objects.filter(conversation_id=OuterRef("pk"))
        .order_by("tag__name")
        .values("tag__name")
    )
    return Conversation.objects.filter(pk__in=ids).values(
        *(field for field in ROW_FIELDS if field != "unread"),
        "status",
        "endpoint_id",
        "team_id",
        channels=channels_used(),
        tag_names=tag_names,
    )


# Every announcement reads its rows: compiled once per process (omnidesk/compiled.py).
_live_rows_sql = RowsByIds(_live_rows_query)


def live_rows(conversation_ids: Iterable[int]) -> dict[int, LiveRow]:
    """The rows of these conversations, in one query."""
    found = {}
    for row in _live_rows_sql(conversation_ids):
        row["unread"] = row["waiting_since"] is not None
        item = inbox_item(row, tuple(sorted(row["channels"] or [row["last_channel"]])))
        bucket = Bucket(
            status=row["status"],
            endpoint_id=row["endpoint_id"] or 0,
            team_id=row["team_id"] or 0,
            assignee_id=row["assignee_id"] or 0,
        )
        found[row["pk"]] = LiveRow(item=item, bucket=bucket, tags=tuple(row["tag_names"] or ()))
    return found


@dataclass(frozen=True)
class AgentScope:
    """What decides which of the live rows and counts concern an agent."""

    user_id: int
    everything: bool
    team_ids: list[int]
    endpoint_ids: list[int]

    def as_facts(self) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "sees_everything": self.everything,
            "teams": self.team_ids,
            "endpoints": self.endpoint_ids,
        }


def agent_scope(user: AbstractBaseUser) -> AgentScope:
    team_ids, endpoint_ids = teams_and_inboxes(user.pk)
    return AgentScope(
        user_id=user.pk,
        everything=sees_everything(user),
        team_ids=team_ids,
        endpoint_ids=endpoint_ids,
    )


def inbox_counts(*, agent: AbstractBaseUser, status: str = Conversation.Status.OPEN) -> dict:
    """Counts per view, summed from the kept buckets (`InboxCount`), never by counting
    conversations; plus the ids of the agent's assigned conversations whose customer waits
    on a message the agent has not seen (`unread_ids`, `unread_mine` their number)."""
    scope = agent_scope(agent)
    mine = Q(assignee_id=agent.pk)
    teams = Q(endpoint_id__in=scope.endpoint_ids) | Q(team_id__in=scope.team_ids)
    visible = Q() if scope.everything else teams | mine

    def total(condition: Q) -> Coalesce:
        return Coalesce(Sum("count", filter=condition), 0, output_field=IntegerField())

    counts = InboxCount.objects.filter(status=status).aggregate(
        mine=total(mine),
        unassigned=total(Q(assignee_id=0) & visible),
        teams=total(teams),
        all=total(Q()),
    )
    if not scope.everything:
        counts.pop("all")
    unread_ids = unread_assigned_ids(agent=agent)
    return counts | {"unread_mine": len(unread_ids), "unread_ids": unread_ids}


def unread_assigned_ids(*, agent: AbstractBaseUser) -> list[int]:
    """The agent's open assigned conversations where the customer waits on something the
    agent has not looked at (bounded by the agent's own queue)."""
    seen = ReadMarker.objects.filter(
        user_id=agent.pk, conversation_id=OuterRef("pk"), read_at__gte=OuterRef("last_message_at")
    )
    return list(
        Conversation.objects.filter(
            assignee_id=agent.pk, status=Conversation.Status.OPEN, waiting_since__isnull=False
        )
        .filter(~Exists(seen))
        .order_by("-last_message_at")
        .values_list("pk", flat=True)[:UNREAD_IDS_LIMIT]
    )
