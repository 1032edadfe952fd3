"""Who may be @mentioned in a conversation's private notes: exactly the agents who may
see it (the rule of `visibility_filter`: supervisors and admins, the teams owning its
inbox or working it, its assignee)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from agents.models import Team
from conversations.models import Conversation

MENTIONABLE_LIMIT = 20


def agents_who_see(*, conversation: Conversation) -> QuerySet:
    team_ids = set(
        Team.endpoints.through.objects.filter(
            channelendpoint_id=conversation.endpoint_id
        ).values_list("team_id", flat=True)
    )
    if conversation.team_id:
        team_ids.add(conversation.team_id)
    seeing = (
        Q(teams__id__in=team_ids)
        | Q(agent_profile__role__in=["supervisor", "admin"])
        | Q(is_superuser=True)
    )
    if conversation.assignee_id:
        seeing |= Q(pk=conversation.assignee_id)
    return get_user_model().objects.filter(seeing, is_active=True).distinct()


def mentionable_agents(*, conversation: Conversation, prefix: str = "") -> list[dict]:
    """Up to MENTIONABLE_LIMIT agents who see the conversation whose username or name
    starts with `prefix`, for the composer's @ autocomplete."""
    agents = agents_who_see(conversation=conversation)
    prefix = prefix.strip()
    if prefix:
        agents = agents.filter(
            Q(username__istartswith=prefix)
            | Q(first_name__istartswith=prefix)
            | Q(last_name__istartswith=prefix)
        )
    return [
        {"id": pk, "username": username, "name": f"{first} {last}".strip() or username}
        for pk, username, first, last in agents.order_by("username").values_list(
            "pk", "username", "first_name", "last_name"
        )[:MENTIONABLE_LIMIT]
    ]
