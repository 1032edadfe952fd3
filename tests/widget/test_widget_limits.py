"""Rate limits per visitor and per IP, and the message size limit."""

from __future__ import annotations

import pytest

from conversations.models import Message
from tests.widget.conftest import db_call, open_widget

pytestmark = pytest.mark.django_db(transaction=True)

LIMIT = 3


async def send_until_refused(widget, prefix: str, attempts: int) -> tuple[int, dict | None]:
    """Accepted count before the first refusal (the fixed window may roll over once)."""
    accepted = 0
    for n in range(attempts):
        reply = await widget.say(f"{prefix}{n}", f"{prefix} message {n}")
        if reply["type"] == "error":
            return accepted, reply
        accepted += 1
    return accepted, None


async def configure(endpoint, **config) -> None:
    endpoint.config = {**endpoint.config, **config}
    await db_call(endpoint.save)()


async def test_a_visitor_sending_too_fast_is_refused_without_ack(widget_endpoint, widget_agent):
    await configure(widget_endpoint, messages_per_minute=LIMIT)
    widget, _ = await open_widget(widget_endpoint)
    await widget.hello()
    accepted, refusal = await send_until_refused(widget, "v", 2 * LIMIT + 1)
    assert refusal is not None and refusal["code"] == "rate_limited"
    assert LIMIT <= accepted <= 2 * LIMIT
    assert await db_call(Message.objects.count)() == accepted
    await widget.close()


async def test_a_resend_over_the_limit_is_acknowledged_as_a_duplicate(
    widget_endpoint, widget_agent
):
    await configure(widget_endpoint, messages_per_minute=LIMIT)
    widget, _ = await open_widget(widget_endpoint)
    await widget.hello()
    accepted, refusal = await send_until_refused(widget, "v", 2 * LIMIT + 1)
    assert refusal is not None

    # The client never saw the first ack (a reconnect) and sends it again.
    again = await widget.say("v0", "v message 0")

    assert again["type"] == "ack" and again["duplicate"] is True
    assert await db_call(Message.objects.count)() == accepted
    await widget.close()


async def test_many_visitors_from_one_ip_share_a_limit(widget_endpoint, widget_agent):
    await configure(widget_endpoint, messages_per_minute_per_ip=LIMIT)
    accepted, refusal = 0, None
    for n in range(2 * LIMIT + 1):
        widget, _ = await open_widget(widget_endpoint, client=("203.0.113.9", 4000 + n))
        await widget.hello()
        reply = await widget.say("only", f"visitor {n}")
        await widget.close()
        if reply["type"] == "error":
            refusal = reply
            break
        accepted += 1
    assert refusal is not None and refusal["code"] == "rate_limited"
    assert LIMIT <= accepted <= 2 * LIMIT

    elsewhere, _ = await open_widget(widget_endpoint, client=("198.51.100.1", 4000))
    await elsewhere.hello()
    assert (await elsewhere.say("x", "from another network"))["type"] == "ack"
    await elsewhere.close()


async def test_a_message_over_the_size_limit_is_refused(widget_endpoint, widget_agent):
    await configure(widget_endpoint, max_message_chars=20)
    widget, _ = await open_widget(widget_endpoint)
    await widget.hello()
    refusal = await widget.say("long", "x" * 21)
    assert refusal["type"] == "error" and refusal["code"] == "too_long"
    assert (await widget.say("short", "x" * 20))["type"] == "ack"
    assert await db_call(Message.objects.count)() == 1
    await widget.send({"type": "message", "client_id": "big", "text": "y" * 70_000})
    assert (await widget.wait_for(lambda f: f["type"] == "error"))["code"] == "too_long"
    await widget.close()


async def test_a_flood_of_frames_closes_the_connection(widget_endpoint, widget_agent):
    widget, _ = await open_widget(widget_endpoint)
    await widget.hello()
    for _ in range(150):
        await widget.send({"type": "ping"})
    frames = []
    while True:
        output = await widget.communicator.receive_output(timeout=5)
        if output["type"] == "websocket.close":
            assert output["code"] == 4429
            break
        frames.append(output)
    assert len(frames) <= 100
