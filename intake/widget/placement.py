"""Telling a visitor's open widgets which conversation their message went to.

The widget acknowledges a message once it is stored, before the drain places it; the
drain then says where it went (`widget.placed` to the visitor's group, after its
transaction commits): every socket of the visitor follows that conversation (agents
typing), and the visitor's other tabs show the message. Without it each socket asked the
database again on every message for the conversation it should follow, and listened to
every agent-side event of it to find its other tabs' messages.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from channels_app.adapters.webchat import visitor_group
from channels_app.models import ChannelEndpoint, InboundEvent
from conversations.models import Message
from omnidesk.realtime import publish_many_now

PLACED = "widget.placed"


def announce_placements(placed: Iterable[tuple[InboundEvent, Message]]) -> None:
    """After commit, tell each web chat visitor where their message went."""
    items = []
    for event, message in placed:
        visitor_id = (message.metadata.get("from") or {}).get("webchat")
        if event.endpoint.kind != ChannelEndpoint.Kind.WEBCHAT or not visitor_id:
            continue
        placement = {
            "type": PLACED,
            "client_id": message.metadata.get("client_id", ""),
            "conversation_id": message.conversation_id,
            "message_id": message.pk,
        }
        items.append((placement, [visitor_group(visitor_id)]))
    if items:
        transaction.on_commit(lambda: publish_many_now(items), robust=True)
