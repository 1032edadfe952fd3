"""An agent's inbox page over a real socket, for the presence and availability tests."""

from __future__ import annotations

import asyncio
from typing import Any

from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from omnidesk.asgi import application


async def open_tab(user) -> WebsocketCommunicator:
    """An inbox page of `user`: signed in, socket open, greeted (so counted present)."""
    client = Client()
    await sync_to_async(client.force_login)(user)
    headers = [
        (b"origin", b"http://testserver"),
        (b"host", b"testserver"),
        (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()),
    ]
    tab = WebsocketCommunicator(application, "/ws/inbox/", headers=headers)
    connected, _ = await tab.connect(timeout=5)
    assert connected
    await next_of(tab, "hello")
    return tab


async def next_of(tab: WebsocketCommunicator, *types: str, timeout: float = 10) -> dict[str, Any]:
    """The next frame of one of `types`, skipping others; fails after `timeout`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        message = await tab.receive_json_from(timeout=max(deadline - loop.time(), 0.01))
        if message["type"] in types:
            return message
