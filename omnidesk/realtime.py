"""Publishing real-time events to websocket groups, after the transaction commits."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)


def publish_on_commit(event: dict[str, Any], groups: Iterable[str]) -> None:
    """Send `event` to every group once the current transaction commits.

    Nothing is sent if the transaction rolls back, so a client never sees a
    message that does not exist.
    """
    group_list = sorted(set(groups))
    transaction.on_commit(lambda: _send(event, group_list))


def publish_rollback_unsafe(event: dict[str, Any], groups: Iterable[str]) -> None:
    """Send now, even inside a transaction. Only for ephemeral events (typing)."""
    _send(event, sorted(set(groups)))


def _send(event: dict[str, Any], groups: list[str]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    message = {"type": "omnidesk.event", "event": event}
    for group in groups:
        try:
            async_to_sync(layer.group_send)(group, message)
        except Exception:
            # A realtime hiccup must never undo or fail a stored write; clients resync.
            logger.exception("realtime publish failed", extra={"group": group})
