"""Publishing real-time events to websocket groups, after the transaction commits.

Channels drops a group message silently when a client's queue is full, so every
message carries the group's sequence number (one counter per group: an agent's own
group, each team, each open conversation). A client remembers the last number per
group it listens to; a gap means it missed something and must resync.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import Counter
from collections.abc import Iterable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.cache import cache
from django.db import transaction

from omnidesk.channel_layer import PubSubChannelLayer
from omnidesk.redis_pool import cache_client

logger = logging.getLogger(__name__)


def publish_on_commit(event: dict[str, Any], groups: Iterable[str]) -> None:
    """Send `event` to every group once the current transaction commits.

    Nothing is sent if the transaction rolls back, so a client never sees a
    message that does not exist.
    """
    group_list = sorted(set(groups))
    transaction.on_commit(lambda: _send_many([(event, group_list)]))


def publish_many_now(items: Iterable[tuple[dict[str, Any], Iterable[str]]]) -> None:
    """Send events now: for callers that run after their transaction committed."""
    batch = [(event, sorted(set(groups))) for event, groups in items]
    if batch:
        _send_many(batch)


def publish_rollback_unsafe(event: dict[str, Any], groups: Iterable[str]) -> None:
    """Send now, even inside a transaction. Only for ephemeral events (typing).

    Ephemeral events carry no sequence number: losing one needs no resync.
    """
    layer = get_channel_layer()
    if layer is None:
        return
    messages = [
        (group, {"type": "omnidesk.event", "event": event}) for group in sorted(set(groups))
    ]
    if isinstance(layer, PubSubChannelLayer):
        try:
            layer.publish_many(messages)
        except Exception:
            logger.exception("realtime publish failed", extra={"groups": len(messages)})
        return
    for group, message in messages:
        try:
            async_to_sync(layer.group_send)(group, message)
        except Exception:
            logger.exception("realtime publish failed", extra={"group": group})


async def apublish_rollback_unsafe(event: dict[str, Any], groups: Iterable[str]) -> None:
    """`publish_rollback_unsafe` for async callers (consumers)."""
    layer = get_channel_layer()
    if layer is None:
        return
    for group in sorted(set(groups)):
        try:
            await layer.group_send(group, {"type": "omnidesk.event", "event": event})
        except Exception:
            logger.exception("realtime publish failed", extra={"group": group})


def _sequence_key(group: str) -> str:
    return f"realtime:seq:{group}"


def reserve_sequences(group: str, count: int) -> int:
    """Reserve the next `count` numbers of `group`'s stream (atomic in Redis; per process
    in memory); returns the last of them."""
    key = _sequence_key(group)
    try:
        return cache.incr(key, count)
    except ValueError:  # the first message of the group (or the counter was evicted)
        cache.add(key, 0, timeout=None)
        return cache.incr(key, count)


def _reserve_all(counts: Counter[str]) -> dict[str, int]:
    """`reserve_sequences` for many groups at once: with Redis, one pipelined round trip
    (INCRBY starts a missing counter at 0) instead of one per group."""
    client = cache_client()
    if client is None:
        return {group: reserve_sequences(group, count) for group, count in counts.items()}
    groups = sorted(counts)
    keys = [cache.make_and_validate_key(_sequence_key(group)) for group in groups]
    pipeline = client.pipeline(transaction=False)
    for key, group in zip(keys, groups, strict=True):
        pipeline.incrby(key, counts[group])
    return dict(zip(groups, pipeline.execute(), strict=True))


def current_sequences(groups: Iterable[str]) -> dict[str, int]:
    """The last number sent to each group (0 if none yet): a new listener starts there."""
    group_list = list(groups)
    found = cache.get_many([_sequence_key(group) for group in group_list])
    return {group: int(found.get(_sequence_key(group), 0)) for group in group_list}


def _send_many(items: list[tuple[dict[str, Any], list[str]]]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    counts = Counter(group for _, groups in items for group in groups)
    # One counter update per group for the whole batch, not one per event.
    try:
        next_seq = {group: last - counts[group] + 1 for group, last in _reserve_all(counts).items()}
    except Exception:
        # Without numbers nothing is sent: clients resync when they notice the silence.
        logger.exception("realtime sequence failed", extra={"groups": len(counts)})
        return
    messages = []
    for event, groups in items:
        for group in groups:
            if group not in next_seq:
                continue
            seq, next_seq[group] = next_seq[group], next_seq[group] + 1
            message = {"type": "omnidesk.event", "event": event, "group": group, "seq": seq}
            messages.append((group, message))
    try:
        if isinstance(layer, PubSubChannelLayer):
            layer.publish_many(messages)
        elif _thread_runs_an_event_loop():
            # async_to_sync refuses in a thread that runs a loop (sync code called from
            # async code, or a sync test driving a browser): hand the sends to a thread.
            sender = threading.Thread(
                target=async_to_sync(_group_send_all), args=(layer, messages), daemon=True
            )
            sender.start()
            sender.join(timeout=10)
        else:
            async_to_sync(_group_send_all)(layer, messages)
    except Exception:
        # Never let a realtime failure fail the write that was just committed.
        logger.exception("realtime publish failed", extra={"events": len(items)})


def _thread_runs_an_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


async def _group_send_all(layer: Any, messages: list[tuple[str, dict[str, Any]]]) -> None:
    for group, message in messages:
        try:
            await layer.group_send(group, message)
        except Exception:
            # A realtime hiccup must never undo or fail a stored write; clients resync.
            logger.exception("realtime publish failed", extra={"group": group})
