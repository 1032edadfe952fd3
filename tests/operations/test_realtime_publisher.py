"""Publishing from sync code (a worker's task, a service after commit) sends every group's
event in one pipelined round trip on the process's shared Redis connections: a publish
opens no connection of its own, and every event arrives, in order."""

from __future__ import annotations

import asyncio

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
            "BACKEND": "omnidesk.channel_layer.PubSubChannelLayer",
            "CONFIG": {"hosts": [throwaway_redis.url]},
        }
    }
    layer = get_channel_layer()

    def publish_all() -> int:
        before = _connections_received(throwaway_redis.url)
        for n in range(PUBLISHES):
            realtime.publish_many_now([({"type": "test.event", "n": n}, ["publisher-test"])])
        return _connections_received(throwaway_redis.url) - before - 1  # our INFO's own

    async def listen_while_publishing() -> tuple[int, list[dict]]:
        channel = await layer.new_channel()
        await layer.group_add("publisher-test", channel)
        opened = await asyncio.to_thread(publish_all)
        received = [await layer.receive(channel) for _ in range(PUBLISHES)]
        return opened, received

    opened, received = async_to_sync(listen_while_publishing)()
    assert [message["event"]["n"] for message in received] == list(range(PUBLISHES))
    assert [message["seq"] for message in received] == sorted(m["seq"] for m in received)
    assert opened <= 2, f"{opened} Redis connections opened for {PUBLISHES} publishes"
