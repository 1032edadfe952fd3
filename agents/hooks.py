"""Moments in the agents app that higher apps react to. Subscribers register in their
`AppConfig.ready()` and are called inside the transaction that made the change."""

from __future__ import annotations

from collections.abc import Callable

# (user id, the ids of the user's teams): an agent became available (an inbox open and
# their status Online), so work waiting in their teams' queues may go to them now.
# Routing subscribes.
agent_came_online: list[Callable[[int, list[int]], None]] = []


def notify_agent_came_online(*, user_id: int, team_ids: list[int]) -> None:
    for subscriber in agent_came_online:
        subscriber(user_id, team_ids)
