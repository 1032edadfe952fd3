"""A visitor chats over the widget websocket; the agent's reply comes back live."""

from __future__ import annotations

import pytest

from conversations import services as conversation_services
from conversations.models import Conversation, Message
from customers.models import Identity
from tests.widget.conftest import db_call, open_widget

pytestmark = pytest.mark.django_db(transaction=True)


async def test_visitor_message_is_stored_acked_and_agent_reply_arrives_live(
    widget_endpoint, widget_agent
):
    widget, _ = await open_widget(widget_endpoint)
    welcome = await widget.hello(name="Dana", email="dana@example.com")
    assert welcome["type"] == "welcome"
    assert welcome["token"]
    assert welcome["messages"] == []
    assert welcome["availability"]["online"] is True

    ack = await widget.say("c1", "Where is my order?")
    assert ack == {"type": "ack", "client_id": "c1", "duplicate": False}

    message = await db_call(Message.objects.select_related("conversation__customer").get)(
        provider_message_id__endswith=":c1"
    )
    assert message.text == "Where is my order?"
    assert message.channel == "webchat"
    assert message.metadata["client_id"] == "c1"
    customer = message.conversation.customer
    assert customer.name == "Dana"
    identities = await db_call(lambda: sorted(customer.identities.values_list("kind", "proof")))()
    # The typed email is only claimed (nobody else had it); the visitor's token is proven.
    assert identities == [("email", "claimed"), ("webchat", "provider")]

    conversation = await db_call(Conversation.objects.get)(pk=message.conversation_id)
    await db_call(conversation_services.send_reply)(
        conversation=conversation, author=widget_agent, text="It ships <b>today</b>."
    )
    frame = await widget.wait_for(
        lambda f: f["type"] == "message" and f["message"]["from"] == "agent"
    )
    assert frame["message"]["text"] == "It ships <b>today</b>."
    assert frame["message"]["author"] == "Carol"
    reply = await db_call(Message.objects.get)(pk=frame["message"]["id"])
    assert reply.delivery_status == Message.DeliveryStatus.SENT
    await widget.close()


async def test_reload_with_the_token_continues_the_conversation_with_history(
    widget_endpoint, widget_agent
):
    widget, _ = await open_widget(widget_endpoint)
    token = (await widget.hello())["token"]
    await widget.say("first", "Hello?")
    await widget.close()

    again, _ = await open_widget(widget_endpoint)
    welcome = await again.hello(token=token)
    assert welcome["token"] == token
    assert [m["text"] for m in welcome["messages"]] == ["Hello?"]
    assert welcome["messages"][0]["client_id"] == "first"
    assert welcome["conversation"]["status"] == "open"
    await again.say("second", "Anyone there?")
    assert await db_call(Conversation.objects.count)() == 1
    assert await db_call(Identity.objects.filter(kind="webchat").count)() == 1
    await again.close()


async def test_agent_typing_reaches_the_visitor_and_visitor_typing_reaches_agents(
    widget_endpoint, widget_agent
):
    from channels.layers import get_channel_layer

    from conversations import events
    from conversations.selectors import collision_groups, conversation_group
    from omnidesk.realtime import apublish_rollback_unsafe

    widget, _ = await open_widget(widget_endpoint)
    await widget.hello()
    await widget.say("c1", "Hi")
    conversation = await db_call(Conversation.objects.get)()

    layer = get_channel_layer()
    agent_channel = await layer.new_channel()
    await layer.group_add(conversation_group(conversation.pk), agent_channel)
    await widget.send({"type": "typing", "active": True})
    typed = await layer.receive(agent_channel)
    while typed["event"]["type"] != events.TYPING:
        typed = await layer.receive(agent_channel)
    assert typed["event"] == {
        "type": events.TYPING,
        "conversation_id": conversation.pk,
        "who": "customer",
        "user_id": None,
        "name": "Visitor",
        "active": True,
    }

    # As the agent's inbox socket says it (conversations/consumers.py).
    await apublish_rollback_unsafe(
        events.presence_event(events.TYPING, conversation.pk, widget_agent.pk, "Carol"),
        collision_groups(conversation.pk, action="typing"),
    )
    frame = await widget.wait_for(lambda f: f["type"] == "typing")
    assert frame == {"type": "typing", "active": True, "name": "Carol"}
    await widget.close()


async def test_private_notes_never_reach_the_widget(widget_endpoint, widget_agent):
    widget, _ = await open_widget(widget_endpoint)
    token = (await widget.hello())["token"]
    await widget.say("c1", "Hi")
    conversation = await db_call(Conversation.objects.get)()
    await db_call(conversation_services.add_note)(
        conversation=conversation, author=widget_agent, text="VIP, be nice"
    )
    await db_call(conversation_services.send_reply)(
        conversation=conversation, author=widget_agent, text="Hello!"
    )
    await widget.wait_for(lambda f: f["type"] == "message" and f["message"]["from"] == "agent")
    assert not any("VIP" in str(frame) for frame in widget.received)
    await widget.close()

    again, _ = await open_widget(widget_endpoint)
    welcome = await again.hello(token=token)
    assert [m["text"] for m in welcome["messages"]] == ["Hi", "Hello!"]
    await again.close()
