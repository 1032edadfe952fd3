"""Routing's reactions to moments named by lower apps (`agents.hooks`,
`conversations.hooks`), registered in `RoutingConfig.ready()`."""

from __future__ import annotations

from routing.services.assignment import schedule_queue_drain


def offer_queues_to_agent(user_id: int, team_ids: list[int]) -> None:
    """An agent came online: their teams' waiting conversations may go to them now."""
    schedule_queue_drain(team_ids=team_ids)
