"""Names reports show: the teams, agents and endpoints the filters offer, and the display
names of the agents and teams a dashboard's tables mention."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.contrib.auth import get_user_model

from agents.models import Team
from channels_app.models import ChannelEndpoint


def filter_choices() -> dict[str, list[tuple[int, str]]]:
    """Teams, agents and endpoints the filters offer."""
    users = get_user_model().objects.filter(agent_profile__isnull=False, is_active=True)
    return {
        "teams": list(Team.objects.order_by("name").values_list("id", "name")),
        "agents": [
            (user.pk, user.get_full_name() or user.get_username())
            for user in users.order_by("username")
        ],
        "endpoints": [
            (endpoint.pk, str(endpoint)) for endpoint in ChannelEndpoint.objects.order_by("name")
        ],
    }


def agent_names(ids: Sequence[int | None]) -> dict[int | None, str]:
    names: dict[int | None, str] = {None: "Unassigned"}
    for user in get_user_model().objects.filter(pk__in=[i for i in ids if i is not None]):
        names[user.pk] = user.get_full_name() or user.get_username()
    return names


def team_names(ids: Sequence[int | None]) -> dict[int | None, str]:
    names: dict[int | None, str] = {None: "No team"}
    names.update(
        Team.objects.filter(pk__in=[i for i in ids if i is not None]).values_list("id", "name")
    )
    return names


def group_names(data: dict[str, Any]) -> tuple[dict, dict]:
    """Display names of the agents and teams a dashboard's tables mention."""
    agent_ids = [row["group_id"] for row in data["by_agent"]]
    agent_ids += [row["group_id"] for row in data["csat_by_agent"]]
    team_ids = [row["group_id"] for row in data["by_team"]]
    team_ids += [row["group_id"] for row in data["csat_by_team"]]
    return agent_names(agent_ids), team_names(team_ids)
