"""The websocket channel layer: Redis publish/subscribe, with bounded queues and
subscriptions confirmed before `group_add` returns.

channels-redis's list-based layer (`channels_redis.core`) costs every message it
delivers four Redis round trips in the receiving process (a cleanup script, BZPOPMIN,
a backup ZADD and its removal) and every group send a script over the group's members;
under 500 chatting visitors that was a fifth of the web process and most of Redis
(bench/widget.py: 40 exchanges/s on it, 53 on this one, same machine and run). Its
pub/sub layer delivers each message with one PUBLISH, pushed to the processes
subscribed to the group, and fans out to the process's sockets in memory.

What the pub/sub layer does not do by itself, this one adds:

- A socket's queue holds `capacity` messages, as the list layer's did; past that the
  socket's messages are dropped (and logged), never the process's memory. Events carry
  sequence numbers (`omnidesk.realtime`), so a socket that lost one resyncs.
- `group_add` returns once Redis confirmed the subscription. A consumer that joins a
  group and then reads the group's sequence number (the inbox's `hello`, `watch`) hears
  every event numbered after it; with the subscription merely sent, an event published
  in between could be missed without a gap to show it.
- Sync code (tasks, services after commit) publishes with `publish_many`: every group's
  message in one pipelined round trip on the process's shared Redis pool, with no event
  loop to hop to. An announcement reaches five or six groups; one awaited PUBLISH each
  through an asyncio client was a tenth of a worker's and an agent's reply's CPU.

A message sent while no process subscribes to its group or channel is lost, as with the
list layer once its expiry passed: realtime events are hints, the database is the record.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import Any

from channels_redis.pubsub import (
    RedisPubSubChannelLayer,
    RedisPubSubLoopLayer,
    RedisSingleShardConnection,
)
from channels_redis.utils import _consistent_hash, _wrap_close, decode_hosts

from omnidesk.redis_pool import shared_client

logger = logging.getLogger(__name__)

DEFAULT_CAPACITY = 1000
SUBSCRIBE_TIMEOUT_SECONDS = 10


class PubSubChannelLayer(RedisPubSubChannelLayer):
    """`CHANNEL_LAYERS` backend: one `_LoopLayer` per event loop, as its parent."""

    def publish_many(self, messages: list[tuple[str, dict[str, Any]]]) -> None:
        """Send each `(group, message)` from sync code, in order, one round trip per Redis
        server. Raises when Redis does not answer."""
        clients = self._sync_clients
        prefix = self._kwargs.get("prefix", "asgi")
        pipelines: dict[int, Any] = {}
        for group, message in messages:
            # Named and sharded as `RedisPubSubLoopLayer.group_send` does.
            channel = f"{prefix}__group__{group}"
            shard = _consistent_hash(channel, len(clients))
            if shard not in pipelines:
                pipelines[shard] = clients[shard].pipeline(transaction=False)
            pipelines[shard].publish(channel, self.serialize(message))
        for pipeline in pipelines.values():
            pipeline.execute()

    @functools.cached_property
    def _sync_clients(self) -> list[Any]:
        """One client per Redis server, on the process's shared pools (a forked worker
        child opens its own connections from them)."""
        clients = []
        for host in decode_hosts(self._kwargs.get("hosts")):
            options = {key: value for key, value in host.items() if key != "address"}
            clients.append(shared_client(host["address"], **options))
        return clients

    def _get_layer(self) -> RedisPubSubLoopLayer:
        loop = asyncio.get_running_loop()
        layer = self._layers.get(loop)
        if layer is None:
            layer = self._layers[loop] = _LoopLayer(*self._args, **self._kwargs, channel_layer=self)
            _wrap_close(self, loop)
        return layer


class _LoopLayer(RedisPubSubLoopLayer):
    def __init__(self, *args: Any, capacity: int = DEFAULT_CAPACITY, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.capacity = capacity
        self._shards = [_Shard(shard.host, self) for shard in self._shards]

    async def _subscribe_to_channel(self, channel: str) -> None:
        self.channels[channel] = asyncio.Queue(maxsize=self.capacity)
        await self._get_shard(channel).subscribe(channel)


class _Shard(RedisSingleShardConnection):
    def __init__(self, host: dict[str, Any], channel_layer: _LoopLayer) -> None:
        super().__init__(host, channel_layer)
        # Channels whose SUBSCRIBE was sent and not yet confirmed by Redis.
        self._confirming: dict[str, asyncio.Future[None]] = {}

    async def subscribe(self, channel: str) -> None:
        async with self._lock:
            if channel not in self._subscribed_to:
                self._ensure_redis()
                self._ensure_receiver()
                self._confirming[channel] = asyncio.get_running_loop().create_future()
                await self._pubsub.subscribe(channel)
                self._subscribed_to.add(channel)
            confirmed = self._confirming.get(channel)
        if confirmed is not None:
            await asyncio.wait_for(asyncio.shield(confirmed), SUBSCRIBE_TIMEOUT_SECONDS)

    async def flush(self) -> None:
        await super().flush()
        for confirmed in self._confirming.values():
            confirmed.cancel()
        self._confirming.clear()

    async def _do_receiving(self) -> None:
        # The parent's loop, with subscription confirmations kept instead of ignored.
        while True:
            try:
                if self._pubsub and self._pubsub.subscribed:
                    message = await self._pubsub.get_message(timeout=0.1)
                    self._receive_message(message)
                else:
                    await asyncio.sleep(0.1)
            except (TimeoutError, asyncio.CancelledError, GeneratorExit):
                raise
            except BaseException:
                logger.exception("channel layer receive failed")
                await asyncio.sleep(1)

    def _receive_message(self, message: dict[str, Any] | None) -> None:
        if message is None:
            return
        name = message["channel"]
        if isinstance(name, bytes):
            name = name.decode()
        if message["type"] == "subscribe":
            confirmed = self._confirming.pop(name, None)
            if confirmed is not None and not confirmed.done():
                confirmed.set_result(None)
            return
        if message["type"] != "message":
            return
        layer = self.channel_layer
        if name in layer.channels:
            targets = [name]
        else:
            targets = [
                channel for channel in layer.groups.get(name, ()) if channel in layer.channels
            ]
        for channel in targets:
            try:
                layer.channels[channel].put_nowait(message["data"])
            except asyncio.QueueFull:
                logger.warning("channel full, message dropped", extra={"channel": channel})
