"""After resolution the widget offers a rating, stored for reporting."""

from __future__ import annotations

import pytest

from conversations import services as conversation_services
from conversations.models import Conversation
from reporting.models import CsatResponse
from tests.widget.conftest import db_call, open_widget

pytestmark = pytest.mark.django_db(transaction=True)


async def test_resolving_offers_a_rating_and_the_answer_is_stored_once(
    widget_endpoint, widget_agent
):
    widget, _ = await open_widget(widget_endpoint)
    token = (await widget.hello())["token"]
    await widget.say("c1", "Help please")
    conversation = await db_call(Conversation.objects.get)()
    await db_call(conversation_services.change_status)(
        conversation=conversation, status=Conversation.Status.RESOLVED, actor=widget_agent
    )
    prompt = await widget.wait_for(lambda f: f["type"] == "message" and "csat" in f["message"])
    assert prompt["message"]["csat"] == {"conversation_id": conversation.pk, "answered": False}

    await widget.send(
        {"type": "csat", "conversation_id": conversation.pk, "score": 9, "comment": ""}
    )
    assert (await widget.wait_for(lambda f: f["type"] == "error"))["code"] == "invalid"
    await widget.send(
        {"type": "csat", "conversation_id": conversation.pk, "score": 4, "comment": "Quick!"}
    )
    saved = await widget.wait_for(lambda f: f["type"] == "csat_saved")
    assert saved["conversation_id"] == conversation.pk
    response = await db_call(CsatResponse.objects.get)()
    assert (response.score, response.comment, response.channel) == (4, "Quick!", "webchat")
    assert response.conversation_id == conversation.pk

    await widget.send(
        {"type": "csat", "conversation_id": conversation.pk, "score": 1, "comment": ""}
    )
    await widget.wait_for(lambda f: f["type"] == "error")
    assert await db_call(CsatResponse.objects.count)() == 1
    await widget.close()

    # On return the prompt shows as answered.
    again, _ = await open_widget(widget_endpoint)
    welcome = await again.hello(token=token)
    prompts = [m for m in welcome["messages"] if "csat" in m]
    assert [p["csat"]["answered"] for p in prompts] == [True]
    await again.close()
