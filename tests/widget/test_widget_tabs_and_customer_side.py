"""What a visitor's widget hears: their own messages from their other tabs (once, and
not echoed back to the tab that sent them), agents typing a reply, and nothing of the
agents' side of the conversation (notes, a note being typed, who is looking)."""

from __future__ import annotations

import pytest

from conversations import events
from conversations import services as conversation_services
from conversations.models import Conversation
from conversations.selectors import collision_groups
from omnidesk.realtime import apublish_rollback_unsafe
from tests.widget.conftest import db_call, open_widget

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_message_from_one_tab_shows_in_the_others_once(widget_endpoint, widget_agent):
    first, _ = await open_widget(widget_endpoint)
    token = (await first.hello())["token"]
    second, _ = await open_widget(widget_endpoint)
    await second.hello(token=token)

    await first.say("t1", "Typed in the first tab")
    shown = await second.wait_for(lambda f: f["type"] == "message")
    assert (shown["message"]["text"], shown["message"]["from"]) == (
        "Typed in the first tab",
        "visitor",
    )
    # The sending tab shows its own message itself: no copy comes back to it.
    await db_call(conversation_services.send_reply)(
        conversation=await db_call(Conversation.objects.get)(), author=widget_agent, text="Hi!"
    )
    await first.wait_for(lambda f: f["type"] == "message" and f["message"]["text"] == "Hi!")
    assert not [f for f in first.received if f["type"] == "message"]
    await first.close()
    await second.close()


async def test_the_widget_hears_a_reply_being_typed_and_nothing_of_the_agents_side(
    widget_endpoint, widget_agent
):
    widget, _ = await open_widget(widget_endpoint)
    await widget.hello()
    await widget.say("c1", "Hello?")
    conversation = await db_call(Conversation.objects.get)()
    await widget.communicator.receive_nothing(timeout=0.5)  # the placement arrives

    async def signal(kind: str, *, note: bool = False, action: str) -> None:
        await apublish_rollback_unsafe(
            events.presence_event(kind, conversation.pk, widget_agent.pk, "Carol", note=note),
            collision_groups(conversation.pk, action=action, note=note),
        )

    await signal(events.VIEWING, action="viewing")
    await signal(events.TYPING, note=True, action="typing")
    await db_call(conversation_services.add_note)(
        conversation=conversation, author=widget_agent, text="VIP, be nice"
    )
    await signal(events.TYPING, action="typing")
    frame = await widget.wait_for(lambda f: f["type"] == "typing")
    assert frame == {"type": "typing", "active": True, "name": "Carol"}
    # Only that typing: nothing the agents sent each other came before it.
    assert [f["type"] for f in widget.received] == []
    await widget.close()
