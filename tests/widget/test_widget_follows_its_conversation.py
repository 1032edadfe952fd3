"""A widget follows the conversation its visitor's messages go to as soon as the drain
places them (agents' typing reaches it), a new conversation after a resolved one
included, and every tab of the visitor follows along."""

from __future__ import annotations

import pytest

from conversations import events
from conversations import services as conversation_services
from conversations.models import Conversation
from conversations.selectors import collision_groups
from omnidesk.realtime import apublish_rollback_unsafe
from tests.widget.conftest import db_call, open_widget

pytestmark = pytest.mark.django_db(transaction=True)


async def agent_types(conversation: Conversation, agent) -> None:
    await apublish_rollback_unsafe(
        events.presence_event(events.TYPING, conversation.pk, agent.pk, "Carol"),
        collision_groups(conversation.pk, action="typing"),  # as the inbox socket does
    )


async def typing_reaches(tab, conversation: Conversation, agent) -> dict:
    """The socket joins the conversation moments after the ack (the drain's placement
    arrives through the channel layer): the agent keeps typing until it shows."""
    for _ in range(50):
        await agent_types(conversation, agent)
        # (A receive that times out would end the consumer: wait without receiving.)
        while not await tab.communicator.receive_nothing(timeout=0.2):
            frame = await tab.next_frame()
            if frame["type"] == "typing":
                return frame
    raise AssertionError("the agent's typing never reached the widget")


async def test_the_widget_follows_a_new_conversation_after_a_resolved_one(
    widget_endpoint, widget_agent
):
    widget, _ = await open_widget(widget_endpoint)
    token = (await widget.hello())["token"]
    other_tab, _ = await open_widget(widget_endpoint)
    await other_tab.hello(token=token)

    await widget.say("c1", "Where is my parcel?")
    first = await db_call(Conversation.objects.get)()
    await db_call(conversation_services.change_status)(
        conversation=first, status=Conversation.Status.RESOLVED, actor=widget_agent
    )
    await widget.say("c2", "One more thing: can I change the address?")
    second = await db_call(Conversation.objects.exclude(pk=first.pk).get)()

    for tab in (widget, other_tab):
        frame = await typing_reaches(tab, second, widget_agent)
        assert frame == {"type": "typing", "active": True, "name": "Carol"}
    # The resolved one is no longer followed: its typing reaches nobody.
    widget.received.clear()
    await agent_types(first, widget_agent)
    await agent_types(second, widget_agent)
    await widget.wait_for(lambda f: f["type"] == "typing")
    assert not [f for f in widget.received if f["type"] == "typing"]
    await widget.close()
    await other_tab.close()
