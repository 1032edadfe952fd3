"""Lossless delivery: acks after storage, de-duplication by client id, catch-up after a
reconnect."""

from __future__ import annotations

import pytest

from channels_app.models import InboundEvent
from conversations import services as conversation_services
from conversations.models import Conversation, Message
from tests.widget.conftest import db_call, open_widget

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_resent_message_is_acked_again_and_stored_once(widget_endpoint, widget_agent):
    widget, _ = await open_widget(widget_endpoint)
    token = (await widget.hello())["token"]
    assert (await widget.say("m-1", "Only once"))["duplicate"] is False
    await widget.close()

    # The ack was lost with the connection: the client resends after reconnecting.
    again, _ = await open_widget(widget_endpoint)
    await again.hello(token=token)
    assert await again.say("m-1", "Only once") == {
        "type": "ack",
        "client_id": "m-1",
        "duplicate": True,
    }
    assert await db_call(Message.objects.filter(text="Only once").count)() == 1
    assert await db_call(InboundEvent.objects.count)() == 1
    await again.close()


async def test_the_same_client_id_from_another_visitor_is_a_different_message(
    widget_endpoint, widget_agent
):
    first, _ = await open_widget(widget_endpoint)
    await first.hello()
    second, _ = await open_widget(widget_endpoint)
    await second.hello()
    assert (await first.say("same", "From the first"))["duplicate"] is False
    assert (await second.say("same", "From the second"))["duplicate"] is False
    assert await db_call(Message.objects.count)() == 2
    await first.close()
    await second.close()


async def test_after_a_reconnect_the_client_gets_everything_after_its_last_message(
    widget_endpoint, widget_agent
):
    widget, _ = await open_widget(widget_endpoint)
    token = (await widget.hello())["token"]
    await widget.say("c1", "Question")
    conversation = await db_call(Conversation.objects.get)()
    await db_call(conversation_services.send_reply)(
        conversation=conversation, author=widget_agent, text="First answer"
    )
    seen = await widget.wait_for(
        lambda f: f["type"] == "message" and f["message"]["from"] == "agent"
    )
    await widget.close()

    # Replies while the visitor is away are stored and waiting.
    for text in ("While away 1", "While away 2"):
        await db_call(conversation_services.send_reply)(
            conversation=conversation, author=widget_agent, text=text
        )

    again, _ = await open_widget(widget_endpoint)
    welcome = await again.hello(token=token, after=seen["message"]["id"])
    texts = [m["text"] for m in welcome["messages"] if m["id"] > seen["message"]["id"]]
    assert texts == ["While away 1", "While away 2"]

    await again.send({"type": "sync", "after": welcome["messages"][-1]["id"]})
    catch_up = await again.wait_for(lambda f: f["type"] == "messages")
    assert [m for m in catch_up["messages"] if m["id"] > welcome["messages"][-1]["id"]] == []
    await again.close()


async def test_a_frame_before_hello_is_refused(widget_endpoint):
    widget, _ = await open_widget(widget_endpoint)
    await widget.send({"type": "message", "client_id": "x", "text": "sneaky"})
    error = await widget.next_frame()
    assert error["code"] == "hello_first"
    assert await db_call(Message.objects.count)() == 0
    await widget.close()
