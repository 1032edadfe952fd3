"""Routing: the one entry point conversations call (`route`)."""

from __future__ import annotations

from conversations.models import Conversation


def route(*, conversation: Conversation) -> None:
    """Decide team and assignee of a new or unassigned conversation.

    Precondition: called inside the transaction that created or reopened it, with the
    conversation row locked. The foundation puts the conversation in the team that owns
    its inbox; rules and assignment strategies build on this.
    """
    if conversation.team_id is None:
        team = conversation.endpoint.teams.order_by("id").first()
        if team is not None:
            conversation.team = team
            conversation.save(update_fields=["team", "updated_at"])
