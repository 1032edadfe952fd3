"""Real-time event types and their builders. Payloads carry ids and small facts only;
clients fetch the fragment they need, so an event never leaks more than its recipients
may see."""

from __future__ import annotations

from typing import Any

from conversations.models import Conversation, Message

MESSAGE_CREATED = "message.created"
MESSAGE_UPDATED = "message.updated"
CONVERSATION_CREATED = "conversation.created"
CONVERSATION_UPDATED = "conversation.updated"
TYPING = "conversation.typing"


def message_created_event(message: Message) -> dict[str, Any]:
    return {
        "type": MESSAGE_CREATED,
        "conversation_id": message.conversation_id,
        "message_id": message.pk,
        "kind": message.kind,
        "channel": message.channel,
    }


def message_updated_event(message: Message) -> dict[str, Any]:
    return {
        "type": MESSAGE_UPDATED,
        "conversation_id": message.conversation_id,
        "message_id": message.pk,
        "delivery_status": message.delivery_status,
    }


def conversation_created_event(conversation: Conversation) -> dict[str, Any]:
    return {"type": CONVERSATION_CREATED, **_conversation_facts(conversation)}


def conversation_updated_event(conversation: Conversation) -> dict[str, Any]:
    return {"type": CONVERSATION_UPDATED, **_conversation_facts(conversation)}


def _conversation_facts(conversation: Conversation) -> dict[str, Any]:
    return {
        "conversation_id": conversation.pk,
        "status": conversation.status,
        "assignee_id": conversation.assignee_id,
        "team_id": conversation.team_id,
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
