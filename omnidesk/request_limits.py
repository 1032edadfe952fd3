"""Request bodies read no further than a limit (`OMNIDESK_MAX_WEBHOOK_BYTES` unless a door
names a smaller one): a body declared larger is refused with 413 before any of it is
read, and a body of unknown length (chunked) is read at most one byte past the limit.

Two places apply it. `CappedRequestBodies` wraps the ASGI application, because Django's
ASGI handler spools a whole body to memory or disk before any view runs; every door
(webhooks, the inbound API, widget uploads) calls `refuse_large_body` again with its own
limit, which is also what holds under a WSGI server or the test client.
"""

from __future__ import annotations

import io
import json
from collections.abc import Awaitable, Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest

from omnidesk.errors import ApplicationError, error_body

ASGIMessage = dict[str, Any]
Receive = Callable[[], Awaitable[ASGIMessage]]
Send = Callable[[ASGIMessage], Awaitable[None]]
ASGIApp = Callable[[dict[str, Any], Receive, Send], Awaitable[None]]

TOO_LARGE = "The request body is too large."


def _limit(limit: int | None) -> int:
    return settings.OMNIDESK_MAX_WEBHOOK_BYTES if limit is None else limit


def body_too_large(limit: int) -> ApplicationError:
    return ApplicationError(
        TOO_LARGE, fields={"body": [f"At most {limit} bytes."]}, status_code=413
    )


def _declared_length(value: str | bytes | None) -> int | None:
    try:
        return int(value) if value not in (None, "", b"") else None
    except ValueError:
        return None


def refuse_large_body(request: HttpRequest, *, limit: int | None = None) -> None:
    """Raise ApplicationError (413) when `request`'s body is over `limit` bytes (default
    `OMNIDESK_MAX_WEBHOOK_BYTES`), before the body is read: a declared Content-Length
    over the limit reads nothing; a body of unknown length is read at most `limit` + 1
    bytes and, when it fits, kept as the request's body (`body`, `POST` and `FILES`
    read it). Call it before anything reads the body."""
    limit = _limit(limit)
    declared = _declared_length(request.META.get("CONTENT_LENGTH"))
    if declared is not None:
        if declared > limit:
            raise body_too_large(limit)
        return
    chunks: list[bytes] = []
    size = 0
    while size <= limit:
        chunk = request.read(limit + 1 - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if size > limit:
        raise body_too_large(limit)
    body = b"".join(chunks)
    request.META["CONTENT_LENGTH"] = str(len(body))
    request._body = body
    request._stream = io.BytesIO(body)
    request._read_started = False


class CappedRequestBodies:
    """ASGI middleware answering 413 to an HTTP request whose body is over
    `OMNIDESK_MAX_WEBHOOK_BYTES`, before the application has read it: at once from its
    Content-Length, or, for a body of unknown length, as soon as what arrived passes the
    limit (the application then sees the client gone; Django's handler stops without an
    answer, and this one answers)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = _limit(None)
        headers = dict(scope.get("headers") or [])
        declared = _declared_length(headers.get(b"content-length"))
        if declared is not None and declared > limit:
            await _answer_too_large(send, limit)
            return
        received = 0
        over = False
        answered = False

        async def capped_receive() -> ASGIMessage:
            nonlocal received, over
            if over:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    over = True
                    return {"type": "http.disconnect"}
            return message

        async def watched_send(message: ASGIMessage) -> None:
            nonlocal answered
            answered = answered or message["type"] == "http.response.start"
            await send(message)

        await self.app(scope, capped_receive, watched_send)
        if over and not answered:
            await _answer_too_large(send, limit)


async def _answer_too_large(send: Send, limit: int) -> None:
    error = body_too_large(limit)
    body = json.dumps(error_body(error.message, error.fields)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
