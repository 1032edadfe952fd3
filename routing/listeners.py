"""Routing's reactions to moments named by lower apps (`agents.hooks`,
`conversations.hooks`), registered in `RoutingConfig.ready()`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from conversations.hooks import Change, ConversationChange
from routing import selectors
from routing.services import apply_sla, apply_sla_many, route_many, status_changed
from routing.services.assignment import schedule_queue_drain


def route_and_time_sla(changes: Sequence[ConversationChange]) -> None:
    """Customer messages: run the rules on a new or reopened conversation, assign an
    unassigned one by its team's strategy, then re-time its SLA (all conversations of an
    inbound batch at once). Replies, team and priority changes re-time the SLA; a status
    change also offers the capacity it freed to the waiting queues."""
    inbound = [change for change in changes if change.change == Change.INBOUND]
    if inbound:
        route_many(conversations=[(change.conversation, change.opened) for change in inbound])
        apply_sla_many(changes=[(change.conversation, change.at) for change in inbound])
    for change in changes:
        if change.change == Change.STATUS:
            status_changed(
                conversation=change.conversation,
                previous=change.previous_status,
                now=change.at,
            )
        elif change.change != Change.INBOUND:
            apply_sla(conversation=change.conversation, now=change.at)


def sla_configuration_changed(sender: Any, **_: Any) -> None:
    selectors.ACTIVE_SLA_POLICIES.changed()


def offer_queues_to_agent(user_id: int, team_ids: list[int]) -> None:
    """An agent came online: their teams' waiting conversations may go to them now."""
    schedule_queue_drain(team_ids=team_ids)
