"""Live now over /ws/reports/: supervisors only; the counts are pushed again when a
conversation changes (real Redis channel layer, real commit)."""

from __future__ import annotations

import asyncio
import re

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from agents.models import AgentProfile
from channels_app.types import InboundMessage
from conversations.models import Conversation
from conversations.services import change_status, receive_message
from omnidesk.asgi import application
from tests.factories import EndpointFactory, TeamFactory, make_agent

pytestmark = pytest.mark.django_db(transaction=True)


async def connect(user=None):
    headers = [(b"origin", b"http://testserver"), (b"host", b"testserver")]
    if user is not None:
        client = Client()
        await sync_to_async(client.force_login)(user)
        headers.append((b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()))
    communicator = WebsocketCommunicator(application, "/ws/reports/", headers=headers)
    connected, code = await communicator.connect(timeout=5)
    if not connected:
        # End the refused consumer now, not in the event loop's teardown.
        await communicator.disconnect()
    return communicator, connected, code


def counts(html: str, team_id: int) -> dict[str, int]:
    row = re.search(rf'<tr data-team="{team_id}">(.*?)</tr>', html, re.S).group(1)
    return {name: int(value) for name, value in re.findall(r'data-count="(\w+)">(\d+)<', row)}


async def next_counts(communicator, team_id: int, wanted: dict[str, int], timeout: float = 10):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        html = await communicator.receive_from(timeout=max(deadline - loop.time(), 0.01))
        assert 'id="live-now"' in html and 'hx-swap-oob="true"' in html
        if counts(html, team_id) == wanted:
            return html


@pytest.fixture
def desk():
    sms = EndpointFactory(kind="sms")
    team = TeamFactory(name="Messaging", endpoints=[sms])
    return {
        "sms": sms,
        "team": team,
        "supervisor": make_agent(username="sam", role=AgentProfile.Role.SUPERVISOR),
        "agent": make_agent(username="bob", teams=[team]),
    }


async def test_anonymous_and_agents_are_refused(desk):
    _, connected, code = await connect(None)
    assert (connected, code) == (False, 4401)
    _, connected, code = await connect(desk["agent"])
    assert (connected, code) == (False, 4403)


async def test_counts_are_pushed_when_conversations_change(desk):
    team_id = desk["team"].pk
    communicator, connected, _ = await connect(desk["supervisor"])
    assert connected
    first = await communicator.receive_from(timeout=5)
    assert counts(first, team_id) == {"open": 0, "waiting": 0, "breached": 0}

    await sync_to_async(receive_message)(
        endpoint=desk["sms"],
        inbound=InboundMessage(provider_id="s1", identities={"phone": "+14155552671"}, text="hi"),
    )
    await next_counts(communicator, team_id, {"open": 1, "waiting": 1, "breached": 0})

    conversation = await sync_to_async(Conversation.objects.get)()
    await sync_to_async(change_status)(
        conversation=conversation, status="resolved", actor=desk["agent"]
    )
    await next_counts(communicator, team_id, {"open": 0, "waiting": 0, "breached": 0})
    await communicator.disconnect()
