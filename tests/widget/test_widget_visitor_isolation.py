"""A visitor token only ever opens its own visitor's conversation, on its own widget."""

from __future__ import annotations

import pytest

from channels_app.models import ChannelEndpoint
from channels_app.webchat_identity import identified_visitor_id, issue_visitor_token
from conversations.models import Conversation
from tests.factories import EndpointFactory
from tests.widget.conftest import SHOP_ORIGIN, db_call, open_widget

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_visitor_never_reads_another_visitors_conversation(widget_endpoint, widget_agent):
    alice, _ = await open_widget(widget_endpoint)
    await alice.hello()
    await alice.say("a1", "Alice's secret order 777")
    alice_conversation = await db_call(Conversation.objects.get)()

    mallory, _ = await open_widget(widget_endpoint)
    welcome = await mallory.hello(after=0)
    assert welcome["messages"] == []
    assert welcome["conversation"]["id"] is None
    await mallory.send({"type": "sync", "after": 0})
    assert (await mallory.wait_for(lambda f: f["type"] == "messages"))["messages"] == []
    await mallory.send(
        {"type": "csat", "conversation_id": alice_conversation.pk, "score": 1, "comment": "x"}
    )
    error = await mallory.wait_for(lambda f: f["type"] == "error")
    assert error["message"] == "Conversation not found."
    await mallory.say("m1", "Mallory here")
    assert await db_call(Conversation.objects.count)() == 2
    assert not any("777" in str(frame) for frame in mallory.received)
    await alice.close()
    await mallory.close()


async def test_a_forged_or_foreign_token_starts_a_new_visitor(widget_endpoint, widget_agent):
    alice, _ = await open_widget(widget_endpoint)
    token = (await alice.hello())["token"]
    await alice.say("a1", "Alice's words")
    await alice.close()

    other = await db_call(EndpointFactory)(
        kind=ChannelEndpoint.Kind.WEBCHAT, config={"allowed_origins": [SHOP_ORIGIN]}
    )
    on_other, _ = await open_widget(other)
    welcome = await on_other.hello(token=token)  # valid on widget_endpoint only
    assert welcome["token"] != token
    assert welcome["messages"] == []
    await on_other.close()

    payload, signature = token.rsplit(":", 1)
    forged = f"{payload}:{'A' * len(signature)}"
    tampered, _ = await open_widget(widget_endpoint)
    welcome = await tampered.hello(token=forged)
    assert welcome["token"] not in (token, forged)
    assert welcome["messages"] == []
    await tampered.close()

    # A token for an identified user's id cannot be minted by a visitor either.
    crafted = issue_visitor_token(
        endpoint_key=widget_endpoint.key,
        visitor_id=identified_visitor_id(widget_endpoint.key, "user-42"),
    )
    crafty, _ = await open_widget(widget_endpoint)
    welcome = await crafty.hello(token=crafted)
    assert welcome["token"] != crafted
    assert welcome["identified"] is False
    await crafty.close()
