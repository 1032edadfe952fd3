"""Open inbox sockets follow what their user may see (issue 14, finding L6): removed
from a team, an agent's open tab stops hearing about that team; deactivated or logged
out, it is closed."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from agents.selectors import team_group
from omnidesk.asgi import application
from omnidesk.realtime import apublish_rollback_unsafe
from tests.inbox.conftest import build_desk
from tests.inbox.test_inbox_socket import next_of, nothing_of

pytestmark = pytest.mark.django_db(transaction=True)


async def open_inbox(client: Client) -> WebsocketCommunicator:
    headers = [
        (b"origin", b"http://testserver"),
        (b"host", b"testserver"),
        (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()),
    ]
    communicator = WebsocketCommunicator(application, "/ws/inbox/", headers=headers)
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    await next_of(communicator, "hello")
    return communicator


async def logged_in(user) -> Client:
    client = Client()
    await sync_to_async(client.force_login)(user)
    return client


async def test_an_agent_removed_from_a_team_stops_hearing_about_it():
    desk = await sync_to_async(build_desk)()
    socket = await open_inbox(await logged_in(desk.alice))
    probe = {"type": "conversation.updated", "conversation_id": 1}
    await apublish_rollback_unsafe(probe, [team_group(desk.support.pk)])
    assert (await next_of(socket, "conversation.updated"))["conversation_id"] == 1

    await sync_to_async(desk.support.members.remove)(desk.alice)
    await next_of(socket, "hello")  # it re-read what she may see; the page resyncs
    await apublish_rollback_unsafe(probe, [team_group(desk.support.pk)])
    assert await nothing_of(socket, "conversation.updated")
    await socket.disconnect()


async def test_a_deactivated_agents_socket_is_closed():
    desk = await sync_to_async(build_desk)()
    socket = await open_inbox(await logged_in(desk.alice))
    desk.alice.is_active = False
    await sync_to_async(desk.alice.save)()
    assert (await socket.receive_output(timeout=5))["type"] == "websocket.close"


async def test_logging_out_closes_that_sessions_sockets_only():
    desk = await sync_to_async(build_desk)()
    laptop, phone = await logged_in(desk.alice), await logged_in(desk.alice)
    on_laptop, on_phone = await open_inbox(laptop), await open_inbox(phone)
    await sync_to_async(laptop.logout)()
    assert (await on_laptop.receive_output(timeout=5))["type"] == "websocket.close"
    assert await nothing_of(on_phone, "hello", timeout=0.5)
    await on_phone.disconnect()
