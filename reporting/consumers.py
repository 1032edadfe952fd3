"""/ws/reports/: the dashboard's "Live now" counts, pushed when conversations change.

Joins the supervisors' inbox group (every conversation event reaches it) and answers each
burst of events with one fresh rendering of the counts, as an htmx out-of-band swap.
"""

from __future__ import annotations

import asyncio
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.template.loader import render_to_string

from agents.roles import sees_everything
from agents.selectors import SUPERVISORS_GROUP
from reporting.selectors.live_now import live_counts

# Events closer together than this are answered with one rendering.
COALESCE_SECONDS = 0.5


class LiveNowConsumer(AsyncWebsocketConsumer):
    pending: asyncio.Task | None = None

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        if not await database_sync_to_async(sees_everything)(user):
            await self.close(code=4403)
            return
        await self.channel_layer.group_add(SUPERVISORS_GROUP, self.channel_name)
        await self.accept()
        await self._push()

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(SUPERVISORS_GROUP, self.channel_name)
        if self.pending is not None:
            self.pending.cancel()

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """The page sends nothing we act on (htmx's ws extension may send form values)."""

    async def omnidesk_event(self, message: dict[str, Any]) -> None:
        event_type = str(message.get("event", {}).get("type", ""))
        if not event_type.startswith(("conversation.", "message.")):
            return
        if self.pending is None or self.pending.done():
            self.pending = asyncio.ensure_future(self._push_soon())

    async def _push_soon(self) -> None:
        await asyncio.sleep(COALESCE_SECONDS)
        await self._push()

    async def _push(self) -> None:
        html = await database_sync_to_async(_render_live_now)()
        await self.send(text_data=html)


def _render_live_now() -> str:
    return render_to_string("reporting/_live_now.html", {"live": live_counts(), "oob": True})
