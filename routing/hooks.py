"""Moments where routing asks higher apps before it acts. Higher apps register in their
`AppConfig.ready()`; routing never imports them (DESIGN.md, "The app stack").

`assignment_holds`: each check gets the unassigned conversations routing is about to
give to agents (one inbound batch, or a slice of a team queue) and returns the ids of
those someone else is handling for now (the bot while it talks to the customer). A
held conversation keeps its team, its SLA and its place in the team queue; it is only
not given to an agent. A check must be cheap: read what the conversation rows already
carry first, and query at most once per call, never once per conversation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from conversations.models import Conversation

AssignmentHold = Callable[[Sequence[Conversation]], set[int]]

assignment_holds: list[AssignmentHold] = []


def held_from_assignment_many(conversations: Sequence[Conversation]) -> set[int]:
    """The ids of those of `conversations` that routing must not give to an agent now."""
    held: set[int] = set()
    if not conversations:
        return held
    for check in assignment_holds:
        remaining = [c for c in conversations if c.pk not in held]
        if not remaining:
            break
        held |= check(remaining)
    return held


def held_from_assignment(conversation: Conversation) -> bool:
    return conversation.pk in held_from_assignment_many([conversation])
