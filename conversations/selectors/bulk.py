"""Reads for the list's bulk actions: whom the bar offers to assign to, and a
conversation's state as a change that would restore it (what a bulk action reports for
each conversation it changed, so the inbox can undo it)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

from agents.models import Team
from agents.roles import sees_everything
from conversations.models import Conversation


def bulk_assignees(*, user: AbstractBaseUser) -> QuerySet:
    """The agents of the user's teams (every active agent for supervisors): whom the bulk
    bar offers. Each conversation still accepts only an agent who may work on it."""
    agents = get_user_model().objects.filter(is_active=True, agent_profile__isnull=False)
    if not sees_everything(user):
        my_teams = Team.members.through.objects.filter(user_id=user.pk).values("team_id")
        agents = agents.filter(teams__in=my_teams)
    return agents.distinct().order_by("first_name", "username")


def undo_state(*, conversation: Conversation) -> dict[str, Any]:
    """The fields a bulk action may change, as a `PATCH /api/v1/conversations/{id}/`
    body (status with its snooze time, assignee, team, priority, tags). Precondition:
    access checked."""
    state: dict[str, Any] = {
        "status": conversation.status,
        "assignee": conversation.assignee_id,
        "team": conversation.team_id,
        "priority": conversation.priority,
        "tags": sorted(conversation.tags.values_list("name", flat=True)),
    }
    if conversation.status == Conversation.Status.SNOOZED and conversation.snoozed_until:
        state["snoozed_until"] = conversation.snoozed_until.isoformat()
    return state
