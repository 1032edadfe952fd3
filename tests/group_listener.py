"""A channel-layer listener for sync tests: it joins groups and receives from an event
loop of its own, in a thread, as a web process's socket does, while the test's thread
writes and publishes. (The layer keeps its subscriptions per event loop, so joining with
one `async_to_sync` call and receiving with another would listen on two.)"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from channels.layers import get_channel_layer


class GroupListener:
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.layer = get_channel_layer()
        self.channel = ""

    def _run(self, coroutine: Any, timeout: float = 15) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def join(self, *groups: str) -> None:
        async def join() -> None:
            if not self.channel:
                self.channel = await self.layer.new_channel()
            for group in groups:
                await self.layer.group_add(group, self.channel)

        self._run(join())

    def receive(self, timeout: float = 10) -> dict[str, Any]:
        return self._run(asyncio.wait_for(self.layer.receive(self.channel), timeout), timeout + 5)


@contextmanager
def listening(*groups: str) -> Iterator[GroupListener]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="group-listener", daemon=True)
    thread.start()
    listener = GroupListener(loop)
    try:
        listener.join(*groups)
        yield listener
    finally:
        listener._run(listener.layer.flush())
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
