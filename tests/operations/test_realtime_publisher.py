"""Publishing from sync code (a worker's task, a service after commit) reuses the
process's Redis connections: one publish no longer costs a new thread, event loop and
Redis connection, and every event still arrives, in order."""

from __future__ import annotations

import redis
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from omnidesk import realtime

PUBLISHES = 30


def _connections_received(url: str) -> int:
    return int(redis.Redis.from_url(url).info("stats")["total_connections_received"])


def test_publishes_from_sync_code_share_connections_and_all_arrive(throwaway_redis, settings):
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [throwaway_redis.url]},
        }
    }
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)("publisher-test", channel)

    before = _connections_received(throwaway_redis.url)
    for n in range(PUBLISHES):
        realtime.publish_many_now([({"type": "test.event", "n": n}, ["publisher-test"])])
    opened = _connections_received(throwaway_redis.url) - before - 1  # our INFO's own

    async def receive_all() -> list[dict]:
        return [await layer.receive(channel) for _ in range(PUBLISHES)]

    received = async_to_sync(receive_all)()
    assert [message["event"]["n"] for message in received] == list(range(PUBLISHES))
    assert [message["seq"] for message in received] == sorted(m["seq"] for m in received)
    assert opened <= 2, f"{opened} Redis connections opened for {PUBLISHES} publishes"
