"""Continuity rule 3 (DESIGN.md, "The promise"): which open conversation of the
customer a message on another channel joins. Written once, for the one-by-one and the
batch paths.

A message joins the customer's most recently active continuable conversation only where
the people who watch the arriving inbox also see that conversation: otherwise mail sent
to team A's inbox would land in team B's conversation, which team A never sees. Such a
message opens a new conversation in its own inbox, linked to the other one."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

from channels_app.kinds import channel_kind
from conversations.models import Conversation, Message


def may_continue(
    conversation: Conversation, *, endpoint_id: int, owners: Mapping[int, Sequence[int]]
) -> bool:
    """Whether a message arriving on `endpoint_id` may join `conversation`. `owners`:
    the teams owning each endpoint (`agents.selectors.teams_of_endpoints`), for the
    arriving endpoint and the conversation's.

    Yes when it is the conversation's own inbox, when no team owns the arriving inbox
    (only supervisors watch it, and they see everything), when no team works the
    conversation yet (the arriving inbox's team takes it: `adopting_team`), or when a
    team owning the arriving inbox works it (its team, or, without one, a team owning the
    conversation's inbox)."""
    if conversation.endpoint_id == endpoint_id:
        return True
    arriving = set(owners.get(endpoint_id, ()))
    if not arriving:
        return True
    working = _working_teams(conversation, owners)
    return not working or bool(arriving & working)


def adopting_team(
    conversation: Conversation, *, endpoint_id: int, owners: Mapping[int, Sequence[int]]
) -> int | None:
    """The team that takes a conversation no team works when a message joins it through
    an inbox that team owns, so the people watching that inbox see what arrived there."""
    if _working_teams(conversation, owners):
        return None
    arriving = owners.get(endpoint_id, ())
    return arriving[0] if arriving else None


def _working_teams(conversation: Conversation, owners: Mapping[int, Sequence[int]]) -> set[int]:
    if conversation.team_id:
        return {conversation.team_id}
    return set(owners.get(conversation.endpoint_id, ()))


def choose(
    candidates: Sequence[Conversation],
    *,
    endpoint_id: int,
    owners: Mapping[int, Sequence[int]],
    sender_took_part: Callable[[Conversation], bool] | None = None,
) -> tuple[Conversation | None, Conversation | None]:
    """(the conversation to join, or None; the most recent one it may not join, to link
    a new conversation to). `candidates`: the customer's continuable conversations
    within the window, most recently active first. `sender_took_part`, for channels that
    show the sender the conversation's history (`ChannelKind.shows_history_to_sender`):
    whether this sender's own identity on the channel wrote in the conversation."""
    for conversation in candidates:
        if may_continue(conversation, endpoint_id=endpoint_id, owners=owners) and (
            sender_took_part is None or sender_took_part(conversation)
        ):
            return conversation, None
    return None, (candidates[0] if candidates else None)


def sender_identity(endpoint_kind: str, identities: Mapping[str, str]) -> tuple[str, str] | None:
    """(kind, value) of the sender's identity on a channel that shows them history, or
    None when continuity needs no such check."""
    kind = channel_kind(endpoint_kind)
    if not kind.shows_history_to_sender or not kind.identity_kind:
        return None
    value = identities.get(kind.identity_kind)
    return (kind.identity_kind, value) if value else None


def conversations_written_by(
    *, kind: str, values: Iterable[str], conversation_ids: Iterable[int]
) -> dict[str, set[int]]:
    """For each identity value, the conversations among `conversation_ids` it sent a
    message in (from the sender recorded on each message)."""
    written: dict[str, set[int]] = {}
    rows = (
        Message.objects.filter(
            conversation_id__in=list(conversation_ids),
            direction=Message.Direction.INBOUND,
            **{f"metadata__from__{kind}__in": list(values)},
        )
        .values_list(f"metadata__from__{kind}", "conversation_id")
        .distinct()
    )
    for value, conversation_id in rows:
        written.setdefault(value, set()).add(conversation_id)
    return written
