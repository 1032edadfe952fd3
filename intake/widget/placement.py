"""Telling a visitor's open widgets which conversation their message went to.

The widget acknowledges a message once it is stored, before the drain places it; the
drain then says where it went (`widget.placed` to the visitor's group, after its
transaction commits), and every socket of the visitor follows that conversation (typing,
their other tabs' messages). Without it each socket asked the database again on every
message for the conversation it should follow.
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
        }
        items.append((placement, [visitor_group(visitor_id)]))
    if items:
        transaction.on_commit(lambda: publish_many_now(items), robust=True)
