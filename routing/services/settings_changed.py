"""What routing does when a supervisor changes a team or an agent: waiting conversations
may now find someone to take them."""

from __future__ import annotations

from agents.models import Team
from routing.services.assignment import schedule_queue_drain


def settings_changed(*, team_id: int | None = None, agent_id: int | None = None) -> None:
    """A team's new strategy or members, or an agent's new capacity, presence, skills or
    channels, may let waiting conversations be assigned: drain the waiting queue of
    `team_id` and of every team the agent (a user id) belongs to.

    Precondition: inside the transaction that saved the change; the drains run after it
    commits, one task per team."""
    team_ids = [team_id] if team_id is not None else []
    if agent_id is not None:
        team_ids += Team.objects.filter(members__id=agent_id).values_list("id", flat=True)
    schedule_queue_drain(team_ids=team_ids)
