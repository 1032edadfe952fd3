"""A reply to a web chat visitor is pushed to their sockets when it commits, stored as
sent, with no delivery task to wait for; a visitor who left an email address still goes
through the delivery task, which emails them when they have left the page."""

from __future__ import annotations

import pytest

from conversations import services as conversation_services
from conversations.models import Conversation, Message
from tests.widget.conftest import db_call, open_widget

pytestmark = pytest.mark.django_db(transaction=True)


async def _reply_to_the_visitor(widget, agent) -> tuple[dict, Message]:
    await widget.say("q1", "Is anyone there?")
    conversation = await db_call(Conversation.objects.get)()
    await db_call(conversation_services.send_reply)(
        conversation=conversation, author=agent, text="Yes, I am."
    )
    frame = await widget.wait_for(
        lambda f: f["type"] == "message" and f["message"]["from"] == "agent"
    )
    return frame, await db_call(Message.objects.get)(pk=frame["message"]["id"])


async def test_a_reply_to_an_anonymous_visitor_is_pushed_on_commit_as_sent(
    widget_endpoint, widget_agent
):
    widget, _ = await open_widget(widget_endpoint)
    await widget.hello()

    frame, reply = await _reply_to_the_visitor(widget, widget_agent)

    assert frame["message"]["text"] == "Yes, I am."
    assert reply.delivery_status == Message.DeliveryStatus.SENT
    assert reply.sent_at == reply.created_at
    # No delivery task claimed it: the push was the whole delivery.
    assert reply.delivery_attempts == 0
    await widget.close()


async def test_a_reply_to_a_visitor_who_left_an_email_goes_through_the_delivery_task(
    widget_endpoint, widget_agent
):
    widget, _ = await open_widget(widget_endpoint)
    await widget.hello(email="dana@example.com")

    frame, reply = await _reply_to_the_visitor(widget, widget_agent)

    assert frame["message"]["text"] == "Yes, I am."
    assert reply.delivery_status == Message.DeliveryStatus.SENT
    assert reply.delivery_attempts == 1
    await widget.close()
