"""Real-time event types and their builders.

A conversation's change reaches agents as one `conversation.row` event: its list row,
rendered once for everyone who may see it, with the facts a page places it by (tab,
position, counts). Agents who could see it before but not after get the same event
without the row, so their page drops it and corrects its counts. A new or changed
message reaches the agents who have its conversation open with its timeline item."""

from __future__ import annotations

from typing import Any

from conversations.models import Message

MESSAGE_CREATED = "message.created"
MESSAGE_UPDATED = "message.updated"
CONVERSATION_ROW = "conversation.row"
TYPING = "conversation.typing"


def message_created_event(message: Message, *, html: str = "") -> dict[str, Any]:
    """`html`: the message's timeline item, for the pages that have it open."""
    event = {
        "type": MESSAGE_CREATED,
        "conversation_id": message.conversation_id,
        "message_id": message.pk,
        "kind": message.kind,
        "channel": message.channel,
    }
    if client_id := message.metadata.get("client_id"):
        # The widget tab that sent it already shows it.
        event["client_id"] = client_id
    return event | ({"html": html} if html else {})


def message_updated_event(message: Message, *, html: str = "") -> dict[str, Any]:
    event = {
        "type": MESSAGE_UPDATED,
        "conversation_id": message.conversation_id,
        "message_id": message.pk,
        "delivery_status": message.delivery_status,
    }
    return event | ({"html": html} if html else {})


def conversation_row_event(
    *,
    conversation_id: int,
    version: int,
    before: dict[str, Any] | None,
    after: dict[str, Any],
    row: dict[str, Any] | None,
    state_changed: bool,
) -> dict[str, Any]:
    """`before`/`after`: the buckets it was and is counted in (status, endpoint_id,
    team_id, assignee_id; `before` None for a new conversation). `row`: the rendered row
    and its facts (html, sort, last_message_at, waiting, channels, tags), None for those
    who may no longer see it. `version` orders one conversation's events (an agent in
    several groups gets one event several times). `state_changed`: more than messages
    changed (status, team, assignee, priority, tags...), so an open pane re-reads its
    header."""
    return {
        "type": CONVERSATION_ROW,
        "conversation_id": conversation_id,
        "version": version,
        "before": before,
        "after": after,
        "row": row,
        "state_changed": state_changed,
    }


# Ephemeral collision indicators (sent with publish_rollback_unsafe, no sequence number).
VIEWING = "conversation.viewing"
LEFT = "conversation.left"
PRESENCE_TYPES = frozenset({TYPING, VIEWING, LEFT})


def presence_event(
    kind: str, conversation_id: int, user_id: int, name: str, *, note: bool = False
) -> dict[str, Any]:
    """`note`: the agent is typing a private note; colleagues see it, the customer never
    does."""
    event = {"type": kind, "conversation_id": conversation_id, "user_id": user_id, "name": name}
    if note:
        event["note"] = True
    return event


# A notification for one agent (assigned to me, mentioned) or a team (new in our queue):
# facts only, the page words it in the agent's language and decides by their preferences.
NOTIFICATION = "notification"


def notification_event(
    *, kind: str, conversation_id: int, url: str, excerpt: str, **facts: Any
) -> dict[str, Any]:
    """`kind`: assigned, queue or mention. `facts`: customer_name, team_name, author_name,
    message_id as the kind has them. `excerpt`: at most a line of what the agent may read
    in the conversation anyway."""
    return {
        "type": NOTIFICATION,
        "kind": kind,
        "conversation_id": conversation_id,
        "url": url,
        "excerpt": excerpt,
        **facts,
    }
