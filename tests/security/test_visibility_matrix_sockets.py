"""Who hears what over the websockets (issue 14, point 7), with the two teams of
`test_visibility_matrix` and the real Redis channel layer: an agent's inbox socket joins
only their own groups, cannot watch another team's conversation, and never receives an
event about one; the reports socket is for supervisors. Every socket route is classified,
so a new one cannot skip this."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from agents.selectors import SUPERVISORS_GROUP, agent_group, team_group
from conversations.models import ReadMarker
from conversations.selectors import conversation_group
from conversations.services import add_note, receive_message
from omnidesk import ws_urls
from omnidesk.asgi import application
from omnidesk.realtime import apublish_rollback_unsafe
from tests.conftest import inbound
from tests.inbox.conftest import _end_consumer_db_sessions  # noqa: F401 (fixture)
from tests.inbox.test_inbox_socket import next_of
from tests.security.test_visibility_matrix import B_WORD, World, build_world

# Every websocket route, and who may open it.
SOCKET_ROUTES = {
    "ws/inbox/": "agents: the groups of their own teams, inboxes and self (tested here)",
    "ws/reports/": "supervisors and admins: the live counts (tested here)",
    "ws/widget/<slug:key>/": "public: a visitor's signed token, one conversation (tests/widget)",
}


def test_every_socket_route_is_classified():
    routes = {
        str(pattern.pattern)
        for pattern in [*ws_urls.websocket_urlpatterns, *ws_urls.widget_websocket_urlpatterns]
    }
    assert routes - set(SOCKET_ROUTES) == set(), (
        "Websocket routes missing from SOCKET_ROUTES in "
        f"tests/security/test_visibility_matrix_sockets.py: {sorted(routes - set(SOCKET_ROUTES))}"
    )


async def _open(path: str, user) -> tuple[WebsocketCommunicator, bool, int | None]:
    client = Client()
    await sync_to_async(client.force_login)(user)
    headers = [
        (b"origin", b"http://testserver"),
        (b"host", b"testserver"),
        (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()),
    ]
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, code = await communicator.connect(timeout=5)
    if not connected:
        await communicator.disconnect()
    return communicator, connected, code


async def _inbox(user) -> tuple[WebsocketCommunicator, dict[str, Any]]:
    socket, connected, _ = await _open("/ws/inbox/", user)
    assert connected
    return socket, await next_of(socket, "hello")


async def _until(socket: WebsocketCommunicator, done, timeout: float = 5) -> list[dict[str, Any]]:
    """Every message up to and including the first for which `done(message)` holds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    received = []
    while True:
        remaining = deadline - loop.time()
        if remaining <= 0:
            pytest.fail(f"the expected event never came; got {received}")
        message = await socket.receive_json_from(timeout=remaining)
        received.append(message)
        if done(message):
            return received


def _about(conversation_ids: frozenset[int], messages: list[dict[str, Any]]) -> list[dict]:
    return [m for m in messages if m.get("conversation_id") in conversation_ids]


@pytest.fixture
def world(transactional_db) -> World:
    return build_world()


@pytest.mark.django_db(transaction=True)
async def test_an_agents_socket_joins_only_their_own_groups(world):
    socket, hello = await _inbox(world.a.agent)
    assert set(hello["seqs"]) == {agent_group(world.a.agent.pk), team_group(world.a.team.pk)}
    assert hello["teams"] == [world.a.team.pk]
    assert hello["endpoints"] == [world.a.endpoint.pk]
    assert hello["sees_everything"] is False
    await socket.disconnect()

    supervisor, hello = await _inbox(world.supervisor)
    assert SUPERVISORS_GROUP in hello["seqs"]
    await supervisor.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_another_teams_conversation_cannot_be_watched_typed_in_or_marked_seen(world):
    socket, _ = await _inbox(world.a.agent)
    theirs = world.b.conversation.pk

    await socket.send_json_to({"action": "watch", "conversation_id": theirs})
    refused = await next_of(socket, "error", "watching")
    assert refused == {"type": "error", "code": "not_found", "conversation_id": theirs}
    for action in ("typing", "viewing"):
        await socket.send_json_to({"action": action, "conversation_id": theirs})
        refused = await next_of(socket, "error")
        assert refused["code"] == "not_watching"
    await socket.send_json_to({"action": "seen", "conversation_id": theirs})

    # Whatever B's conversation's own group carries does not reach A: the probe sent to
    # A's own group afterwards arrives first.
    await apublish_rollback_unsafe(
        {"type": "conversation.typing", "conversation_id": theirs, "user_id": 0, "name": "x"},
        [conversation_group(theirs)],
    )
    probe = {"type": "probe", "conversation_id": 0}
    await apublish_rollback_unsafe(probe, [agent_group(world.a.agent.pk)])
    received = await _until(socket, lambda message: message["type"] == "probe")
    assert _about(world.b.conversation_ids, received) == []
    assert not await sync_to_async(
        ReadMarker.objects.filter(user=world.a.agent, conversation_id=theirs).exists
    )()
    await socket.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_live_events_about_another_teams_conversation_never_reach_the_agent(world):
    a_socket, _ = await _inbox(world.a.agent)
    b_socket, _ = await _inbox(world.b.agent)
    supervisor, _ = await _inbox(world.supervisor)
    for socket, side in ((a_socket, world.a), (b_socket, world.b)):
        await socket.send_json_to({"action": "watch", "conversation_id": side.conversation.pk})
        await next_of(socket, "watching")

    def write() -> int:
        # B's customer writes and B's agent notes, then A's customer writes: A hears the
        # last, and nothing before it.
        receive_message(
            endpoint=world.b.endpoint,
            inbound=inbound("b-live", f"{B_WORD} live", email=world.b.identity.value),
        )
        add_note(conversation=world.b.conversation, author=world.b.agent, text=f"{B_WORD} note")
        a_message = receive_message(
            endpoint=world.a.endpoint,
            inbound=inbound("a-live", "a live", email=world.a.identity.value),
        )
        return a_message.conversation_id

    a_conversation_id = await sync_to_async(write)()
    assert a_conversation_id in world.a.conversation_ids

    heard_by_a = await _until(
        a_socket,
        lambda m: m["type"] == "conversation.row" and m["conversation_id"] == a_conversation_id,
    )
    assert _about(world.b.conversation_ids, heard_by_a) == []
    assert B_WORD not in json.dumps(heard_by_a)

    # The control: B's events were sent, to B's socket and the supervisor's.
    heard_by_b = await _until(
        b_socket,
        lambda m: (
            m["type"] == "message.created" and m["conversation_id"] == world.b.conversation.pk
        ),
    )
    assert B_WORD in json.dumps(heard_by_b)
    heard_by_supervisor = await _until(
        supervisor,
        lambda m: m["type"] == "conversation.row" and m["conversation_id"] == a_conversation_id,
    )
    assert _about(world.b.conversation_ids, heard_by_supervisor)
    for socket in (a_socket, b_socket, supervisor):
        await socket.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_the_reports_socket_refuses_agents(world):
    _socket, connected, code = await _open("/ws/reports/", world.a.agent)
    assert not connected
    assert code == 4403
    socket, connected, _ = await _open("/ws/reports/", world.supervisor)
    assert connected
    await socket.disconnect()
