"""What every Omnidesk websocket consumer shares."""

from __future__ import annotations

from typing import Any

from channels.consumer import get_handler_name


class DispatchWithoutSyncHop:
    """Channels closes stale database connections before handling every frame and every
    channel-layer message, with a hop to its one shared sync thread and back: for a
    widget, a few hops per exchange, all queued behind that thread. Our consumers touch
    the database only through `DatabaseSyncToAsync`, which closes stale connections
    itself, in the thread that owns them; so the hop is dropped here."""

    async def dispatch(self, message: dict[str, Any]) -> None:
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)
