"""The live-chat widget's websocket (`/ws/widget/<endpoint key>/`).

Thin: it checks the page origin against the endpoint's allow-list, identifies the
visitor from its first frame (`hello`), then hands every frame to a widget service.
The protocol (JSON frames, `type` first):

    client -> server: hello {token?, user?, name?, email?, after?}, message {client_id,
        text}, typing {active}, contact {name?, email}, csat {conversation_id, score,
        comment?}, sync {after}, ping
    server -> client: welcome {token, identified, messages, conversation, availability},
        ack {client_id, duplicate}, message {message}, typing {active, name},
        messages {messages}, contact_saved {email}, csat_saved {conversation_id},
        error {code, message, client_id?}, pong

A message is acknowledged only after it is committed; the client resends anything
unacknowledged after a reconnect and the server stores it once.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from channels.db import DatabaseSyncToAsync
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from conversations import events
from conversations.selectors import customer_side_group
from intake.widget import placement, ratelimit, selectors, services
from intake.widget.selectors import Visitor
from omnidesk.client_address import scope_client_address
from omnidesk.errors import ApplicationError, NotFoundError, PermissionDeniedError
from omnidesk.sockets import DispatchWithoutSyncHop

logger = logging.getLogger(__name__)

# Widget work runs on a small pool of its own rather than Channels' one shared database
# thread, so hundreds of visitors are not served one query at a time. Each thread keeps
# its own connection; frames of one socket are still handled in order.
_WIDGET_THREADS = ThreadPoolExecutor(
    max_workers=getattr(settings, "OMNIDESK_WIDGET_DB_THREADS", 8),
    thread_name_prefix="widget-db",
)


def widget_db_sync_to_async(function: Any) -> Any:
    return DatabaseSyncToAsync(function, thread_sensitive=False, executor=_WIDGET_THREADS)


MAX_FRAME_BYTES = 64 * 1024
# A browser sends a few frames a second at most; a flood is closed, not served.
MAX_FRAMES_PER_10_SECONDS = 100
TYPING_EVERY_SECONDS = 2.0
# The drain tells every socket of the visitor where each message went (`widget.placed`);
# a socket that heard nothing for this long (a lost event) asks the database again
# which conversation the visitor's messages go to.
CONVERSATION_RECHECK_SECONDS = 300.0
# The socket's own recent messages, known by client id, which it need not fetch again
# when their `message.created` comes back.
OWN_MESSAGES_REMEMBERED = 50


def _header(scope: dict[str, Any], name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return ""


class WidgetConsumer(DispatchWithoutSyncHop, AsyncJsonWebsocketConsumer):
    visitor: Visitor | None = None

    async def connect(self) -> None:
        key = self.scope["url_route"]["kwargs"]["key"]
        self.ip = scope_client_address(self.scope)
        self.joined: set[str] = set()
        self.conversation_id: int | None = None
        self.conversation_checked_at = 0.0
        self.own_client_ids: collections.deque[str] = collections.deque(
            maxlen=OWN_MESSAGES_REMEMBERED
        )
        self.last_typing = 0.0
        self.typing_active = False
        self.window_started, self.frames_in_window = time.monotonic(), 0
        try:
            self.endpoint = await widget_db_sync_to_async(selectors.widget_endpoint)(key=key)
        except NotFoundError:
            await self.close(code=4404)
            return
        origin = _header(self.scope, b"origin")
        if not selectors.origin_allowed(self.endpoint, origin):
            logger.info("widget origin refused", extra={"endpoint": key, "origin": origin})
            await self.close(code=4403)
            return
        allowed = await widget_db_sync_to_async(ratelimit.allow)(
            f"connect:ip:{self.ip}",
            limit=settings.OMNIDESK_WIDGET_CONNECTS_PER_MINUTE_PER_IP,
            window_seconds=60,
        )
        if not allowed:
            await self.close(code=4429)
            return
        await self.accept()

    async def disconnect(self, code: int) -> None:
        for group in list(getattr(self, "joined", ())):
            await self.channel_layer.group_discard(group, self.channel_name)
        if self.visitor is not None:
            await widget_db_sync_to_async(services.visitor_disconnected)(
                visitor_id=self.visitor.visitor_id
            )

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        now = time.monotonic()
        if now - self.window_started > 10:
            self.window_started, self.frames_in_window = now, 0
        self.frames_in_window += 1
        if self.frames_in_window > MAX_FRAMES_PER_10_SECONDS:
            await self.close(code=4429)
            return
        if text_data is None or len(text_data.encode()) > MAX_FRAME_BYTES:
            await self._error("too_long", "Frame too large.")
            return
        await super().receive(text_data=text_data)

    @classmethod
    async def decode_json(cls, text_data: str) -> Any:
        try:
            return await super().decode_json(text_data)
        except ValueError:
            return None

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict):
            await self._error("bad_frame", "Expected a JSON object.")
            return
        kind = content.get("type")
        if kind == "ping":
            await self.send_json({"type": "pong"})
            if self.visitor is not None:
                await widget_db_sync_to_async(services.visitor_heartbeat)(
                    visitor_id=self.visitor.visitor_id
                )
            return
        if kind == "hello":
            await self._hello(content)
            return
        if self.visitor is None:
            await self._error("hello_first", "Say hello first.")
            return
        handler = {
            "message": self._message,
            "typing": self._typing,
            "contact": self._contact,
            "csat": self._csat,
            "sync": self._resync,
        }.get(kind)
        if handler is None:
            await self._error("bad_frame", "Unknown frame type.")
            return
        try:
            await handler(content)
        except ApplicationError as exc:
            code = (exc.fields.get("code") or [None])[0] or (
                "rate_limited" if exc.status_code == 429 else "invalid"
            )
            await self._error(code, exc.message, client_id=content.get("client_id"))

    # --- frames -------------------------------------------------------------------------

    async def _hello(self, content: dict[str, Any]) -> None:
        if self.visitor is not None:
            await self._error("bad_frame", "Already said hello.")
            return
        user = content.get("user") if isinstance(content.get("user"), dict) else None
        try:
            visitor = await widget_db_sync_to_async(selectors.access_visitor)(
                endpoint=self.endpoint,
                token=content.get("token") if isinstance(content.get("token"), str) else None,
                user=user,
                name=str(content.get("name") or ""),
                email=str(content.get("email") or ""),
            )
        except PermissionDeniedError as exc:
            await self._error("identity_refused", exc.message)
            await self.close(code=4403)
            return
        self.visitor = visitor
        await self._join(visitor.group)
        welcome = await widget_db_sync_to_async(self._welcome)(_int_or_none(content.get("after")))
        self.conversation_checked_at = time.monotonic()
        await self._follow_conversation(welcome["conversation"]["id"])
        await self.send_json(welcome)

    def _welcome(self, after_id: int | None) -> dict[str, Any]:
        visitor = self.visitor
        services.visitor_connected(visitor_id=visitor.visitor_id)
        if visitor.email or visitor.name:
            # A bad email kept by the browser must not block the chat.
            with contextlib.suppress(ApplicationError):
                services.remember_contact(visitor=visitor)
        conversation = selectors.current_conversation(visitor)
        current = selectors.availability(self.endpoint)
        return {
            "type": "welcome",
            "token": visitor.token,
            "identified": visitor.identified,
            "messages": selectors.visitor_messages(visitor=visitor, after_id=after_id),
            "conversation": {
                "id": conversation.pk if conversation else None,
                "status": conversation.status if conversation else None,
            },
            "availability": {"online": current.online, "reply_time": current.reply_time},
        }

    async def _message(self, content: dict[str, Any]) -> None:
        created = await widget_db_sync_to_async(services.post_visitor_message)(
            visitor=self.visitor,
            client_id=content.get("client_id"),
            text=content.get("text"),
            ip=self.ip,
        )
        self.own_client_ids.append(content["client_id"])
        now = time.monotonic()
        if (
            self.conversation_id is None
            or now - self.conversation_checked_at > CONVERSATION_RECHECK_SECONDS
        ):
            # Before the ack: what happens in the conversation once the visitor knows
            # their message is in (an agent starts typing) reaches this socket.
            self.conversation_checked_at = now
            conversation = await widget_db_sync_to_async(selectors.current_conversation)(
                self.visitor
            )
            if conversation is not None:
                await self._follow_conversation(conversation.pk)
        await self.send_json(
            {"type": "ack", "client_id": content["client_id"], "duplicate": not created}
        )

    async def _typing(self, content: dict[str, Any]) -> None:
        active = bool(content.get("active"))
        now = time.monotonic()
        if active == self.typing_active and now - self.last_typing < TYPING_EVERY_SECONDS:
            return  # agents already know; keep the heartbeat, drop the noise
        if not active and not self.typing_active:
            return
        self.last_typing, self.typing_active = now, active
        conversation = await widget_db_sync_to_async(selectors.current_conversation)(self.visitor)
        if conversation is not None:
            await widget_db_sync_to_async(services.publish_visitor_typing)(
                conversation=conversation,
                name=conversation.customer.name or self.visitor.name,
                active=active,
            )

    async def _contact(self, content: dict[str, Any]) -> None:
        email = await widget_db_sync_to_async(services.clean_email)(str(content.get("email") or ""))
        name = str(content.get("name") or self.visitor.name)[:200]
        self.visitor = Visitor(
            endpoint=self.visitor.endpoint,
            visitor_id=self.visitor.visitor_id,
            external_id=self.visitor.external_id,
            name=name,
            email=email or self.visitor.email,
            token=self.visitor.token,
        )
        await widget_db_sync_to_async(services.remember_contact)(visitor=self.visitor)
        await self.send_json({"type": "contact_saved", "email": email})

    async def _csat(self, content: dict[str, Any]) -> None:
        await widget_db_sync_to_async(services.answer_csat)(
            visitor=self.visitor,
            conversation_id=content.get("conversation_id"),
            score=content.get("score"),
            comment=str(content.get("comment") or ""),
        )
        await self.send_json(
            {"type": "csat_saved", "conversation_id": content.get("conversation_id")}
        )

    async def _resync(self, content: dict[str, Any]) -> None:
        messages = await widget_db_sync_to_async(selectors.visitor_messages)(
            visitor=self.visitor, after_id=_int_or_none(content.get("after"))
        )
        await self.send_json({"type": "messages", "messages": messages})

    # --- events from the realtime layer ---------------------------------------------------

    async def omnidesk_event(self, message: dict[str, Any]) -> None:
        """Events for this visitor (agent replies, where their messages went) and the
        customer side of the conversation they follow (agents typing a reply)."""
        event = message.get("event") or {}
        kind = event.get("type")
        if kind == "widget.message":
            await self.send_json({"type": "message", "message": event["message"]})
        elif kind == placement.PLACED:
            # A message of this visitor (from this tab or another) went there.
            self.conversation_checked_at = time.monotonic()
            await self._follow_conversation(_int_or_none(event.get("conversation_id")))
            if event.get("client_id") not in self.own_client_ids:
                # Written in another tab of theirs (this tab shows its own).
                payload = await widget_db_sync_to_async(selectors.visible_message)(
                    visitor=self.visitor, message_id=event.get("message_id")
                )
                if payload is not None:
                    await self.send_json({"type": "message", "message": payload})
        elif (
            kind == events.TYPING
            and event.get("who") != "customer"
            # An agent typing a private note is their team's business, not the visitor's.
            and not event.get("note")
            and event.get("conversation_id") == self.conversation_id
        ):
            await self.send_json(
                {
                    "type": "typing",
                    "active": bool(event.get("active", True)),
                    "name": str(event.get("name") or ""),
                }
            )

    # --- helpers ----------------------------------------------------------------------------

    async def _join(self, group: str) -> None:
        if group not in self.joined:
            await self.channel_layer.group_add(group, self.channel_name)
            self.joined.add(group)

    async def _follow_conversation(self, conversation_id: int | None) -> None:
        if conversation_id is None or conversation_id == self.conversation_id:
            return
        if self.conversation_id is not None:
            old = customer_side_group(self.conversation_id)
            await self.channel_layer.group_discard(old, self.channel_name)
            self.joined.discard(old)
        self.conversation_id = conversation_id
        await self._join(customer_side_group(conversation_id))

    async def _error(self, code: str, message: str, *, client_id: Any = None) -> None:
        frame = {"type": "error", "code": code, "message": message}
        if isinstance(client_id, str):
            frame["client_id"] = client_id
        await self.send_json(frame)


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None
