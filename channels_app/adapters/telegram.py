"""Telegram bot webhooks (/hooks/telegram/<key>/) and the Bot API for replies.

Telegram sends the secret given to setWebhook in X-Telegram-Bot-Api-Secret-Token.
"""

from __future__ import annotations

import hmac
import json
import mimetypes
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.core.files.storage import default_storage
from django.http import HttpRequest

from channels_app.adapters import register
from channels_app.adapters.base import Adapter, UnparseablePayload
from channels_app.adapters.http import call, download, provider_url
from channels_app.attachment_limits import TELEGRAM_PHOTO_MAX_BYTES, TELEGRAM_PHOTO_TYPES
from channels_app.types import (
    DeliveryError,
    InboundAttachment,
    InboundMessage,
    OutboundMessage,
    SendResult,
)

if TYPE_CHECKING:
    from channels_app.models import ChannelEndpoint

# Bot API answers that retrying cannot fix (blocked by the user, chat gone, bad request).
PERMANENT_ERROR_CODES = {400, 403}


class TelegramAdapter(Adapter):
    kind = "telegram"
    provider = "telegram"

    def verify(self, request: HttpRequest, endpoint: ChannelEndpoint) -> bool:
        expected = endpoint.credentials.get("secret_token", "")
        given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())

    def parse(self, request: HttpRequest, endpoint: ChannelEndpoint) -> list[InboundMessage]:
        update = json.loads(request.body)
        if not isinstance(update, dict) or "update_id" not in update:
            raise UnparseablePayload("not a Telegram update: no update_id")
        message = update.get("message") or update.get("edited_message")
        if message is None:
            # Other update kinds (my_chat_member, callback_query...) carry no customer text.
            return []
        chat, sender = message["chat"], message.get("from") or {}
        if chat.get("type", "private") != "private":
            return []
        name = " ".join(filter(None, [sender.get("first_name"), sender.get("last_name")]))
        attachments = []
        if message.get("photo"):
            largest = max(message["photo"], key=lambda size: size.get("file_size", 0))
            attachments.append(self._file(endpoint, largest["file_id"], "photo.jpg", "image/jpeg"))
        if message.get("document"):
            document = message["document"]
            attachments.append(
                self._file(
                    endpoint,
                    document["file_id"],
                    document.get("file_name", "document"),
                    document.get("mime_type", "application/octet-stream"),
                )
            )
        edited = "edited_message" in update
        metadata: dict[str, Any] = {"username": sender.get("username", "")}
        if edited:
            metadata["edited"] = True
        return [
            InboundMessage(
                provider_id=f"{chat['id']}:{message['message_id']}"
                + (f":edit:{message.get('edit_date')}" if edited else ""),
                identities={"telegram": str(chat["id"])},
                text=message.get("text") or message.get("caption", ""),
                sender_name=name,
                attachments=tuple(attachments),
                metadata=metadata,
                sent_at=datetime.fromtimestamp(message["date"], tz=UTC)
                if message.get("date")
                else None,
            )
        ]

    @staticmethod
    def _file(
        endpoint: ChannelEndpoint, file_id: str, filename: str, content_type: str
    ) -> InboundAttachment:
        # The download URL needs getFile (a provider call) and embeds the bot token, so
        # only the file id is kept; it is resolved when an agent opens the attachment.
        return InboundAttachment(
            filename=filename, content_type=content_type, url=f"tg://file/{file_id}"
        )

    def fetch_media(self, url: str, endpoint: ChannelEndpoint) -> tuple[bytes, str] | None:
        """getFile gives the file's path; the download URL embeds the bot token."""
        if not url.startswith("tg://file/"):
            return None
        token = endpoint.credentials.get("bot_token", "")
        file_id = url.removeprefix("tg://file/")
        answer = self._call(token, "getFile", json={"file_id": file_id})
        path = answer["result"]["file_path"]
        try:
            return download(provider_url("telegram", f"/file/bot{token}/{path}"))
        except DeliveryError as exc:
            raise DeliveryError(str(exc).replace(token, "<bot_token>"), permanent=exc.permanent)

    def send(self, message: OutboundMessage, endpoint: ChannelEndpoint) -> SendResult:
        """sendMessage for text; sendPhoto or sendDocument (multipart) for each file."""
        token = endpoint.credentials.get("bot_token", "")
        if not token:
            raise DeliveryError("The endpoint has no bot_token.", permanent=True)
        last_id = ""
        if message.text:
            answer = self._call(
                token, "sendMessage", json={"chat_id": message.to, "text": message.text}
            )
            last_id = str(answer["result"]["message_id"])
        for attachment in message.attachments:
            if not attachment.get("path"):
                continue
            with default_storage.open(attachment["path"], "rb") as handle:
                filename = attachment.get("filename") or Path(attachment["path"]).name
                content_type = (
                    attachment.get("content_type")
                    or mimetypes.guess_type(filename)[0]
                    or "application/octet-stream"
                )
                # A photo shows inline (sendPhoto, up to 10 MB); anything else is a file.
                photo = (
                    content_type in TELEGRAM_PHOTO_TYPES
                    and int(attachment.get("size") or 0) <= TELEGRAM_PHOTO_MAX_BYTES
                )
                field = "photo" if photo else "document"
                answer = self._call(
                    token,
                    "sendPhoto" if photo else "sendDocument",
                    data={"chat_id": message.to},
                    files={field: (filename, handle, content_type)},
                )
            last_id = last_id or str(answer["result"]["message_id"])
        if not last_id:
            raise DeliveryError("Nothing to send.", permanent=True)
        return SendResult(provider_message_id=f"{message.to}:{last_id}")

    @staticmethod
    def _call(token: str, method: str, **kwargs: Any) -> dict[str, Any]:
        try:
            answer = call("POST", provider_url("telegram", f"/bot{token}/{method}"), **kwargs)
        except DeliveryError as exc:
            permanent = any(f"answered {code}" in str(exc) for code in PERMANENT_ERROR_CODES)
            raise DeliveryError(str(exc).replace(token, "<bot_token>"), permanent=permanent)
        body = answer.json()
        if not body.get("ok"):
            raise DeliveryError(body.get("description") or "Telegram refused the message.")
        return body


register(TelegramAdapter())
