"""The inbox websocket against the real Redis channel layer: authenticated, origin
checked, numbered events only to the agents who may see them, a forged conversation id
refused, typing/viewing relayed between agents working on the same conversation."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from conversations import services
from omnidesk.asgi import application
from tests.inbox.conftest import build_desk

pytestmark = pytest.mark.django_db(transaction=True)


async def connect(user=None, origin: bytes = b"http://testserver"):
    headers = [(b"origin", origin), (b"host", b"testserver")]
    if user is not None:
        client = Client()
        await sync_to_async(client.force_login)(user)
        headers.append((b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()))
    communicator = WebsocketCommunicator(application, "/ws/inbox/", headers=headers)
    connected, code = await communicator.connect(timeout=5)
    if not connected:
        # End the refused consumer now, not in the event loop's teardown.
        await communicator.disconnect()
    return communicator, connected, code


async def next_of(communicator, *types: str, timeout: float = 5) -> dict[str, Any]:
    """The next message of one of `types`, skipping others (presence, duplicates)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        message = await communicator.receive_json_from(timeout=max(deadline - loop.time(), 0.01))
        if message["type"] in types:
            return message


async def nothing_of(communicator, *types: str, timeout: float = 0.5) -> bool:
    """No message of `types` within `timeout` (receive_nothing does not cancel the app)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if await communicator.receive_nothing(timeout=max(deadline - loop.time(), 0.01)):
            return True
        message = await communicator.receive_json_from()
        if message["type"] in types:
            return False
    return True


@pytest.fixture
def desk():
    return build_desk()


async def test_anonymous_socket_is_refused(desk):
    _communicator, connected, code = await connect(None)
    assert not connected
    assert code == 4401


async def test_socket_from_a_foreign_origin_is_refused(desk):
    _communicator, connected, _ = await connect(desk.bob, origin=b"https://evil.example")
    assert not connected


async def test_events_carry_per_group_sequence_numbers_without_gaps(desk):
    bob, connected, _ = await connect(desk.bob)
    assert connected
    hello = await next_of(bob, "hello")
    profile = await sync_to_async(
        lambda: type(desk.bob).objects.get(pk=desk.bob.pk).agent_profile
    )()
    assert profile.presence == "online"  # routing hears the agent connected
    team = f"inbox.team.{desk.messaging.pk}"
    assert set(hello["seqs"]) >= {f"inbox.agent.{desk.bob.pk}", team}
    start = hello["seqs"][team]

    await sync_to_async(desk.receive)(desk.whatsapp, "1", "Hi", phone="+14155552671")
    await sync_to_async(desk.receive)(desk.whatsapp, "2", "Again", phone="+14155552671")
    received = []
    while len(received) < 3:
        event = await next_of(bob, "conversation.row", "message.created", "notification")
        if event["group"] == team:
            received.append(event)
    assert [e["seq"] for e in received] == [start + 1, start + 2, start + 3]
    # One event per change, carrying the row; messages go to pages that have them open.
    # The new conversation in the team's queue is also announced to it (a notification).
    assert [e["type"] for e in received] == ["conversation.row", "notification", "conversation.row"]
    received = [e for e in received if e["type"] == "conversation.row"]
    assert [e["version"] for e in received] == [1, 2]
    assert received[0]["before"] is None
    assert received[1]["before"] == received[1]["after"]
    assert "Again" in received[1]["row"]["html"]
    await bob.disconnect()


async def test_events_reach_only_agents_who_may_see_the_conversation(desk):
    alice, _, _ = await connect(desk.alice)  # Support: email only
    sam, _, _ = await connect(desk.sam)  # supervisor
    carol, _, _ = await connect(desk.carol)
    for communicator in (alice, sam, carol):
        await next_of(communicator, "hello")
    message = await sync_to_async(desk.receive)(desk.whatsapp, "1", "Hi", phone="+14155552671")
    assert (await next_of(sam, "conversation.row"))["conversation_id"] == message.conversation_id
    assert (await next_of(carol, "conversation.row"))["conversation_id"] == message.conversation_id
    assert await nothing_of(alice, "conversation.row", "message.created")

    # Assigned to Alice, she now hears about it through her own group.
    await sync_to_async(services.assign_conversation)(
        conversation=message.conversation, agent=desk.alice, actor=desk.sam
    )
    update = await next_of(alice, "conversation.row")
    assert update["group"] == f"inbox.agent.{desk.alice.pk}"
    assert update["after"]["assignee_id"] == desk.alice.pk
    assert "Hi" in update["row"]["html"]
    for communicator in (alice, sam, carol):
        await communicator.disconnect()


async def test_forged_conversation_id_is_refused_and_hears_nothing(desk):
    message = await sync_to_async(desk.receive)(desk.whatsapp, "1", "Secret", phone="+14155552671")
    conversation_id = message.conversation_id
    alice, _, _ = await connect(desk.alice)
    bob, _, _ = await connect(desk.bob)
    await next_of(alice, "hello")
    await next_of(bob, "hello")

    await alice.send_json_to({"action": "watch", "conversation_id": conversation_id})
    refused = await next_of(alice, "error", "watching")
    assert refused == {"type": "error", "code": "not_found", "conversation_id": conversation_id}
    await alice.send_json_to({"action": "typing", "conversation_id": conversation_id})
    assert (await next_of(alice, "error"))["code"] == "not_watching"

    await bob.send_json_to({"action": "watch", "conversation_id": conversation_id})
    assert (await next_of(bob, "watching"))["conversation_id"] == conversation_id
    await sync_to_async(services.add_note)(
        conversation=message.conversation, author=desk.bob, text="internal"
    )
    note_event = await next_of(bob, "message.created")
    assert note_event["kind"] == "note"
    assert await nothing_of(alice, "message.created", "conversation.typing")
    await alice.disconnect()
    await bob.disconnect()


async def test_colleagues_on_one_conversation_see_viewing_and_typing(desk):
    message = await sync_to_async(desk.receive)(desk.whatsapp, "1", "Hi", phone="+14155552671")
    conversation_id = message.conversation_id
    bob, _, _ = await connect(desk.bob)
    carol, _, _ = await connect(desk.carol)
    for communicator in (bob, carol):
        await next_of(communicator, "hello")
        await communicator.send_json_to({"action": "watch", "conversation_id": conversation_id})
        await next_of(communicator, "watching")

    viewing = await next_of(bob, "conversation.viewing")
    assert viewing == {
        "type": "conversation.viewing",
        "conversation_id": conversation_id,
        "user_id": desk.carol.pk,
        "name": "Carol",
    }
    await carol.send_json_to({"action": "typing", "conversation_id": conversation_id})
    typing = await next_of(bob, "conversation.typing")
    assert typing["name"] == "Carol" and "seq" not in typing  # ephemeral: not numbered
    assert await nothing_of(carol, "conversation.typing")  # never your own

    await carol.disconnect()
    left = await next_of(bob, "conversation.left")
    assert left["user_id"] == desk.carol.pk
    await bob.disconnect()
