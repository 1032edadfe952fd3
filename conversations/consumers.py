"""The agent inbox's websocket: authenticated, in groups per agent, team and supervisors,
plus the group of the one conversation the agent has open (checked with
`access_conversation`, so a forged id is refused)."""

from __future__ import annotations

import logging
import time
from typing import Any

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from agents import services as agent_services
from agents.selectors import (
    access_group,
    active_user,
    session_group,
)
from conversations import events
from conversations.selectors import (
    access_conversation,
    agent_scope,
    collision_groups,
    conversation_group,
    inbox_groups,
)
from conversations.services import mark_read
from omnidesk import metrics
from omnidesk.errors import NotFoundError
from omnidesk.realtime import apublish_rollback_unsafe, current_sequences
from omnidesk.sockets import DispatchWithoutSyncHop

logger = logging.getLogger(__name__)

# Client actions that say "I am here" in a conversation; re-sent by the page as heartbeats.
COLLISION_ACTIONS = {"typing": events.TYPING, "viewing": events.VIEWING}
# The page reports the agent's activity at most once a minute; a socket that sends more
# often is heard at most this often (the idle clock counts minutes).
ACTIVITY_EVERY_SECONDS = 30.0


class InboxConsumer(DispatchWithoutSyncHop, AsyncJsonWebsocketConsumer):
    user_groups: list[str]
    watched_id: int | None = None
    activity_recorded_at: float = float("-inf")

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        self.user = user
        self.user_groups = await database_sync_to_async(inbox_groups)(user)
        # Told when what the user may see changes, or when this login session ends.
        self.control_groups = [access_group(user.pk)]
        session_key = getattr(self.scope.get("session"), "session_key", None)
        if session_key:
            self.control_groups.append(session_group(session_key))
        for group in self.control_groups:
            await self.channel_layer.group_add(group, self.channel_name)
        self.display_name = user.get_full_name() or user.get_username()
        for group in self.user_groups:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        metrics.WEBSOCKET_CONNECTIONS.inc()
        # Numbers read after joining: anything later reaches us, and anything the page
        # missed while it connected is above the numbers it was rendered with. Read
        # before this socket's own presence change, which the page then receives as the
        # next event rather than as something it missed.
        sequences = await sync_to_async(current_sequences)(self.user_groups)
        # Counted before the hello: a page that is greeted is present.
        await _set_presence(self, "online")
        await self._hello(sequences)

    async def disconnect(self, code: int) -> None:
        for group in [*getattr(self, "user_groups", []), *getattr(self, "control_groups", [])]:
            await self.channel_layer.group_discard(group, self.channel_name)
        if self.watched_id is not None:
            await self._leave_watched()
        if getattr(self, "user", None) is not None:
            metrics.WEBSOCKET_CONNECTIONS.dec()
            await _set_presence(self, "offline")

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict):
            return
        action = content.get("action")
        if action == "watch":
            await self._watch(content.get("conversation_id"))
        elif action == "unwatch":
            await self._leave_watched()
        elif action == "seen":
            await self._seen(content.get("conversation_id"))
        elif action == "active":
            await self._active()
        elif action in COLLISION_ACTIONS:
            note = action == "typing" and content.get("note") is True
            await self._collision(action, content.get("conversation_id"), note=note)

    async def _watch(self, conversation_id: Any) -> None:
        try:
            conversation = await database_sync_to_async(access_conversation)(
                user=self.user, conversation_id=conversation_id
            )
        except NotFoundError:
            logger.info(
                "refused watch of a conversation",
                extra={"user_id": self.user.pk, "conversation_id": str(conversation_id)[:32]},
            )
            await self.send_json(
                {"type": "error", "code": "not_found", "conversation_id": conversation_id}
            )
            return
        if self.watched_id == conversation.pk:
            return
        if self.watched_id is not None:
            await self._leave_watched()
        group = conversation_group(conversation.pk)
        await self.channel_layer.group_add(group, self.channel_name)
        self.watched_id = conversation.pk
        sequences = await sync_to_async(current_sequences)([group])
        await self.send_json(
            {"type": "watching", "conversation_id": conversation.pk, "seqs": sequences}
        )
        await self._collision("viewing", conversation.pk)

    async def _seen(self, conversation_id: Any) -> None:
        """The agent saw what arrived in the conversation they have open (appended live,
        with no request that would have marked it read)."""
        if self.watched_id is None or str(conversation_id) != str(self.watched_id):
            return
        await database_sync_to_async(_mark_read)(self.user, self.watched_id)

    async def _active(self) -> None:
        """The agent did something in this tab: restarts their idle clock (auto-away)."""
        now = time.monotonic()
        if now - self.activity_recorded_at < ACTIVITY_EVERY_SECONDS:
            return
        self.activity_recorded_at = now
        await database_sync_to_async(agent_services.record_activity)(user=self.user)

    async def _leave_watched(self) -> None:
        conversation_id, self.watched_id = self.watched_id, None
        if conversation_id is None:
            return
        group = conversation_group(conversation_id)
        await self.channel_layer.group_discard(group, self.channel_name)
        await apublish_rollback_unsafe(
            events.presence_event(events.LEFT, conversation_id, self.user.pk, self.display_name),
            [group],
        )

    async def _collision(self, action: str, conversation_id: Any, *, note: bool = False) -> None:
        # Only about the conversation this socket was allowed to watch.
        if self.watched_id is None or str(conversation_id) != str(self.watched_id):
            await self.send_json(
                {"type": "error", "code": "not_watching", "conversation_id": conversation_id}
            )
            return
        await apublish_rollback_unsafe(
            events.presence_event(
                COLLISION_ACTIONS[action],
                self.watched_id,
                self.user.pk,
                self.display_name,
                note=note,
            ),
            collision_groups(self.watched_id, action=action, note=note),
        )

    async def _reread_access(self) -> None:
        """What the user may see changed: leave the groups they lost, join new ones, let
        go of a watched conversation they may no longer open, and close the socket when
        they may no longer use the inbox. The page then resyncs its view."""
        user = await database_sync_to_async(active_user)(self.user.pk)
        if user is None:
            await self.close(code=4403)
            return
        self.user = user
        groups = await database_sync_to_async(inbox_groups)(user)
        for group in set(self.user_groups) - set(groups):
            await self.channel_layer.group_discard(group, self.channel_name)
        for group in set(groups) - set(self.user_groups):
            await self.channel_layer.group_add(group, self.channel_name)
        self.user_groups = groups
        if self.watched_id is not None:
            try:
                await database_sync_to_async(access_conversation)(
                    user=user, conversation_id=self.watched_id
                )
            except NotFoundError:
                await self._leave_watched()
        await self._hello()

    async def _hello(self, sequences: dict[str, int] | None = None) -> None:
        """Where the page's streams start (their sequence numbers) and what it decides
        live rows and counts with (`agent_scope`): protocol 2 of `conversations.events`."""
        if sequences is None:
            sequences = await sync_to_async(current_sequences)(self.user_groups)
        scope = await database_sync_to_async(agent_scope)(self.user)
        await self.send_json(
            {"type": "hello", "protocol": 2, "seqs": sequences, **scope.as_facts()}
        )

    async def omnidesk_event(self, message: dict[str, Any]) -> None:
        event = message["event"]
        if event["type"] == agent_services.ACCESS_CHANGED:
            await self._reread_access()
            return
        if event["type"] == agent_services.SESSION_ENDED:
            await self.close(code=4401)
            return
        if event.get("user_id") == self.user.pk and event["type"] in events.PRESENCE_TYPES:
            return  # my own typing/viewing
        payload = dict(event)
        if "seq" in message:
            payload["group"] = message["group"]
            payload["seq"] = message["seq"]
        await self.send_json(payload)


def _mark_read(user: Any, conversation_id: int) -> None:
    try:
        conversation = access_conversation(user=user, conversation_id=conversation_id, related=())
    except NotFoundError:
        return
    mark_read(conversation=conversation, user=user)


async def _set_presence(consumer: InboxConsumer, presence: str) -> None:
    """Count this socket among the agent's open ones, or stop counting it (the first
    makes the agent online; closing the last makes them offline after a grace period,
    so a reload, a second tab or a short drop does not flap: `agents.services`). While
    open, the socket says it is alive, so one left open by a dead server stops counting."""
    import asyncio  # for the heartbeat, the only task this consumer runs

    user, channel_name = consumer.user, consumer.channel_name

    async def heartbeat() -> None:
        while True:
            await asyncio.sleep(agent_services.presence_heartbeat_seconds())
            try:
                counted = await sync_to_async(agent_services.socket_alive, thread_sensitive=False)(
                    user_id=user.pk, channel_name=channel_name
                )
                if not counted:  # forgotten (a Redis restart) while still open
                    await database_sync_to_async(agent_services.socket_connected)(
                        user=user, channel_name=channel_name
                    )
            except Exception:
                logger.exception("presence heartbeat failed", extra={"user_id": user.pk})

    try:
        if presence == "online":
            await database_sync_to_async(agent_services.socket_connected)(
                user=user, channel_name=channel_name
            )
            consumer.presence_heartbeat = asyncio.ensure_future(heartbeat())
        else:
            # Cancelled before the socket is removed: a heartbeat that finds it gone
            # must not count it again.
            if (beating := getattr(consumer, "presence_heartbeat", None)) is not None:
                beating.cancel()
            await database_sync_to_async(agent_services.socket_disconnected)(
                user=user, channel_name=channel_name
            )
    except Exception:
        # Presence is advisory; a failure must not break the agent's socket.
        logger.exception("presence update failed", extra={"user_id": user.pk})
