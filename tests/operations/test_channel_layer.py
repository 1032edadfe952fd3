"""The websocket channel layer (omnidesk/channel_layer.py): a consumer that joined a
group hears everything published after `group_add` returned, even when its own link to
Redis is slow; a socket that stops reading loses its oldest-but-capacity messages, not
the process's memory."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import pytest
import redis.asyncio as aioredis

from omnidesk.channel_layer import PubSubChannelLayer

DELAY_SECONDS = 0.3


class SlowLink:
    """A TCP proxy to Redis that holds every chunk the client sends for a moment: a layer
    behind it has its commands reach Redis late, as over a congested network."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.server: asyncio.AbstractServer | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self.server.sockets[0].getsockname()[1]

    async def _serve(self, client_reader, client_writer) -> None:
        redis_reader, redis_writer = await asyncio.open_connection("127.0.0.1", self.target_port)

        async def pipe(reader, writer, delay: float) -> None:
            with contextlib.suppress(ConnectionError, asyncio.CancelledError):
                while chunk := await reader.read(65536):
                    if delay:
                        await asyncio.sleep(delay)
                    writer.write(chunk)
                    await writer.drain()
            writer.close()

        await asyncio.gather(
            pipe(client_reader, redis_writer, DELAY_SECONDS),
            pipe(redis_reader, client_writer, 0),
        )

    async def stop(self) -> None:
        self.server.close()


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1].split("/")[0])


@pytest.mark.asyncio
async def test_a_group_joined_hears_what_is_published_right_after(throwaway_redis):
    link = SlowLink(_port(throwaway_redis.url))
    port = await link.start()
    layer = PubSubChannelLayer(hosts=[f"redis://127.0.0.1:{port}/0"], prefix="t")
    publisher = aioredis.Redis.from_url(throwaway_redis.url)
    try:
        channel = await layer.new_channel()
        await layer.group_add("conversation.7", channel)
        # Another process publishes the moment the consumer has joined (over a fast link).
        await publisher.publish("t__group__conversation.7", layer.serialize({"type": "x.y"}))

        received = await asyncio.wait_for(layer.receive(channel), timeout=5)

        assert received == {"type": "x.y"}
    finally:
        await layer.flush()
        await publisher.aclose()
        await link.stop()


@pytest.mark.asyncio
async def test_a_socket_that_stops_reading_keeps_only_its_capacity(throwaway_redis, caplog):
    layer = PubSubChannelLayer(hosts=[throwaway_redis.url], prefix="t", capacity=5)
    try:
        stalled = await layer.new_channel()
        reading = await layer.new_channel()
        await layer.group_add("team.1", stalled)
        await layer.group_add("team.1", reading)
        with caplog.at_level(logging.WARNING, logger="omnidesk.channel_layer"):
            for n in range(8):
                await layer.group_send("team.1", {"type": "x.y", "n": n})
                # The socket that reads gets each one: the stalled one's queue saw it too.
                assert (await layer.receive(reading))["n"] == n

        kept = [(await layer.receive(stalled))["n"] for _ in range(5)]
        assert kept == [0, 1, 2, 3, 4]
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(layer.receive(stalled), timeout=0.3)
        assert [r.message for r in caplog.records].count("channel full, message dropped") == 3
    finally:
        await layer.flush()
