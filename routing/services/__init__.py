"""Routing writes: rules, assignment, the team queue and SLA clocks. The conversation
domain reaches them only through `conversations.hooks` (`routing.listeners`)."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from agents.models import Team
from conversations.models import Conversation
from routing.selectors import LOAD_STATUSES
from routing.services.assignment import (
    RouteOutcome,
    assign_from_team,
    assign_waiting,
    route,
    route_many,
    schedule_queue_drain,
    send_auto_reply,
)
from routing.services.audit import record_change
from routing.services.sla import apply_sla, apply_sla_many, scan_escalations

__all__ = [
    "RouteOutcome",
    "apply_sla",
    "apply_sla_many",
    "assign_from_team",
    "assign_waiting",
    "record_change",
    "route",
    "route_many",
    "scan_escalations",
    "schedule_queue_drain",
    "send_auto_reply",
    "status_changed",
]


def status_changed(
    *,
    conversation: Conversation,
    previous: str,
    now: datetime | None = None,
    actor: AbstractBaseUser | None = None,
) -> None:
    """After a status change: move the SLA clocks (pending, snoozed and resolved pause
    them) and, when the assignee's load went down, offer the freed capacity to the
    waiting queues of their teams after commit.

    Precondition: inside the transaction of the change, with the conversation locked.
    """
    apply_sla(conversation=conversation, now=now or timezone.now())
    freed = previous in LOAD_STATUSES and conversation.status not in LOAD_STATUSES
    if freed and conversation.assignee_id:
        team_ids = list(
            Team.objects.filter(members__id=conversation.assignee_id).values_list("id", flat=True)
        )
        schedule_queue_drain(team_ids=team_ids)
