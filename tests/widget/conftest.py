"""Fixtures for the widget: a webchat endpoint owned by a team, and a websocket client
that speaks the widget protocol through the real ASGI router and Redis channel layer."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from agents.models import AgentProfile
from channels_app.models import ChannelEndpoint
from channels_app.webchat_identity import identifier_hash
from tests.factories import EndpointFactory, TeamFactory, make_agent

SHOP_ORIGIN = "https://shop.example"
IDENTITY_SECRET = "widget-identity-secret-for-tests"


@pytest.fixture
def widget_endpoint(transactional_db) -> ChannelEndpoint:
    return EndpointFactory(
        kind=ChannelEndpoint.Kind.WEBCHAT,
        name="Shop chat",
        config={"allowed_origins": [SHOP_ORIGIN], "pre_chat_form": {"enabled": True}},
        credentials={"identity_secret": IDENTITY_SECRET},
    )


@pytest.fixture
def widget_team(widget_endpoint):
    return TeamFactory(name="Chat team", endpoints=[widget_endpoint])


@pytest.fixture
def widget_agent(widget_team):
    user = make_agent(username="carol", first_name="Carol", teams=[widget_team])
    AgentProfile.objects.filter(user=user).update(presence=AgentProfile.Presence.ONLINE)
    return user


def valid_hash(user_id: str) -> str:
    return identifier_hash(secret=IDENTITY_SECRET, user_id=user_id)


class WidgetClient:
    """One widget tab: a websocket plus what it has received."""

    def __init__(self, communicator: WebsocketCommunicator) -> None:
        self.communicator = communicator
        self.received: list[dict[str, Any]] = []

    async def send(self, frame: dict[str, Any]) -> None:
        await self.communicator.send_json_to(frame)

    async def next_frame(self, timeout: float = 5) -> dict[str, Any]:
        frame = await self.communicator.receive_json_from(timeout=timeout)
        self.received.append(frame)
        return frame

    async def wait_for(
        self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 10
    ) -> dict[str, Any]:
        """The first frame (already received or coming) matching `predicate`."""
        for frame in self.received:
            if predicate(frame):
                self.received.remove(frame)
                return frame
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no matching frame; got {self.received}")
            try:
                frame = await self.communicator.receive_json_from(timeout=remaining)
            except TimeoutError:
                raise AssertionError(f"no matching frame; got {self.received}")
            if predicate(frame):
                return frame
            self.received.append(frame)

    async def hello(self, **fields: Any) -> dict[str, Any]:
        await self.send({"type": "hello", **fields})
        return await self.wait_for(lambda f: f["type"] in ("welcome", "error"))

    async def say(self, client_id: str, text: str) -> dict[str, Any]:
        await self.send({"type": "message", "client_id": client_id, "text": text})
        return await self.wait_for(
            lambda f: f.get("client_id") == client_id and f["type"] in ("ack", "error")
        )

    async def close(self) -> None:
        await self.communicator.disconnect()


async def open_widget(
    endpoint: ChannelEndpoint, *, origin: str = SHOP_ORIGIN, client: tuple = ("10.0.0.7", 5000)
) -> tuple[WidgetClient | None, Any]:
    """Connect like a browser on `origin`; (client, None) or (None, close code)."""
    from omnidesk.asgi import application

    headers = [(b"origin", origin.encode())] if origin else []
    communicator = WebsocketCommunicator(
        application, f"/ws/widget/{endpoint.key}/", headers=headers
    )
    communicator.scope["client"] = client
    connected, code = await communicator.connect(timeout=5)
    if not connected:
        # End the refused consumer here rather than leave it to the event loop's
        # teardown, which could wait on its channel-layer receive.
        await communicator.disconnect()
        return None, code
    return WidgetClient(communicator), None


db_call = sync_to_async
