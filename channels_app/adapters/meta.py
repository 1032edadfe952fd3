"""Meta Graph webhooks: WhatsApp Cloud API, Messenger and Instagram (one URL each endpoint).

GET /hooks/meta/<key>/ answers the subscription handshake with the verify token;
POST bodies are verified by X-Hub-Signature-256 (HMAC-SHA256 of the raw body with the
app secret). WhatsApp free-form replies are allowed only inside the 24-hour customer
service window; outside it only an approved template may be sent.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django.core.files.storage import default_storage
from django.http import HttpRequest, HttpResponse

from channels_app.adapters import register
from channels_app.adapters.base import Adapter, UnparseablePayload
from channels_app.adapters.http import call, download, provider_url
from channels_app.types import (
    DeliveryError,
    DeliveryStatus,
    InboundAttachment,
    InboundMessage,
    OutboundMessage,
    SendResult,
)
from omnidesk.errors import ApplicationError

if TYPE_CHECKING:
    from channels_app.models import ChannelEndpoint

logger = logging.getLogger(__name__)

CUSTOMER_SERVICE_WINDOW = timedelta(hours=24)
META_CDN_HOSTS = (".fbcdn.net", ".cdninstagram.com", ".fbsbx.com")
MEDIA_TYPES = ("image", "audio", "video", "document", "sticker")
# Graph error codes that retrying cannot fix.
PERMANENT_GRAPH_CODES = {
    100,  # invalid parameter
    131026,  # message undeliverable
    131047,  # re-engagement message (outside the 24-hour window)
    131051,  # unsupported message type
    132000,  # template parameter count mismatch
    132001,  # template does not exist
    551,  # person unavailable (Messenger)
    10,  # permission denied (Messenger 24h policy)
}
TEMPORARY_GRAPH_CODES = {4, 80007, 130429, 131048, 131056, 2}


def _timestamp(value: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(value), tz=UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def _files(message: OutboundMessage) -> list[tuple[str, bytes, str]]:
    """(filename, content, content type) of each stored attachment of a reply."""
    files = []
    for attachment in message.attachments:
        if not attachment.get("path"):
            continue
        with default_storage.open(attachment["path"], "rb") as handle:
            content = handle.read()
        filename = attachment.get("filename") or attachment["path"].rsplit("/", 1)[-1]
        content_type = attachment.get("content_type") or "application/octet-stream"
        files.append((filename, content, content_type))
    return files


def _media_kind(content_type: str) -> str:
    """WhatsApp's message type for a file: image, video, audio or document."""
    major = content_type.split("/", 1)[0]
    if content_type in ("image/jpeg", "image/png"):
        return "image"
    if major in ("video", "audio"):
        return major
    return "document"


class MetaAdapter(Adapter):
    """What WhatsApp, Messenger and Instagram share: the handshake and the signature."""

    provider = "meta"

    def handshake(self, request: HttpRequest, endpoint: ChannelEndpoint) -> HttpResponse:
        expected = endpoint.credentials.get("verify_token", "")
        given = request.GET.get("hub.verify_token", "")
        if (
            request.GET.get("hub.mode") == "subscribe"
            and expected
            and hmac.compare_digest(given.encode(), expected.encode())
        ):
            return HttpResponse(request.GET.get("hub.challenge", ""), content_type="text/plain")
        return HttpResponse("Verification failed.", status=403, content_type="text/plain")

    def verify(self, request: HttpRequest, endpoint: ChannelEndpoint) -> bool:
        secret = endpoint.credentials.get("app_secret", "")
        header = request.headers.get("X-Hub-Signature-256", "")
        if not secret or not header.startswith("sha256="):
            return False
        expected = hmac.new(secret.encode(), request.body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(header.removeprefix("sha256=").encode(), expected.encode())

    def respond(
        self, request: HttpRequest, endpoint: ChannelEndpoint, messages: list[InboundMessage]
    ) -> HttpResponse:
        return HttpResponse("EVENT_RECEIVED", content_type="text/plain")

    def fetch_media(self, url: str, endpoint: ChannelEndpoint) -> tuple[bytes, str] | None:
        """Messenger and Instagram send CDN links that expire; keep a copy."""
        host = urlsplit(url).hostname or ""
        if not (
            (url.startswith("https://") and host.endswith(META_CDN_HOSTS))
            or url.startswith(provider_url("meta", "/"))
        ):
            return None
        return download(url)

    @staticmethod
    def _payload(request: HttpRequest) -> dict[str, Any]:
        payload = json.loads(request.body)
        if not isinstance(payload, dict) or not isinstance(payload.get("entry"), list):
            raise UnparseablePayload("not a Graph webhook: no 'entry' list")
        return payload

    def _post(self, path: str, endpoint: ChannelEndpoint, body: dict[str, Any]) -> Any:
        token = endpoint.credentials.get("access_token", "")
        if not token:
            raise DeliveryError("The endpoint has no access_token.", permanent=True)
        try:
            return call(
                "POST",
                provider_url("meta", path),
                json=body,
                headers={"Authorization": f"Bearer {token}"},
            ).json()
        except DeliveryError as exc:
            raise _graph_error(exc) from exc


def _graph_error(exc: DeliveryError) -> DeliveryError:
    # The Graph error code decides, more precisely than the HTTP status.
    text = str(exc)
    for code in PERMANENT_GRAPH_CODES | TEMPORARY_GRAPH_CODES:
        if f"(code {code})" in text:
            return DeliveryError(text, permanent=code in PERMANENT_GRAPH_CODES)
    return exc


class WhatsAppAdapter(MetaAdapter):
    kind = "whatsapp"
    # WhatsApp's customer service window: free-form messages only this long after the
    # customer's last message; an approved template after that.
    free_form_window = CUSTOMER_SERVICE_WINDOW

    def parse(self, request: HttpRequest, endpoint: ChannelEndpoint) -> list[InboundMessage]:
        messages: list[InboundMessage] = []
        for value in self._values_for(request, endpoint):
            names = {
                contact.get("wa_id"): contact.get("profile", {}).get("name", "")
                for contact in value.get("contacts", [])
            }
            for item in value.get("messages", []):
                messages.append(self._message(item, names.get(item["from"], "")))
        return messages

    def status(self, request: HttpRequest, endpoint: ChannelEndpoint) -> list[DeliveryStatus]:
        statuses = []
        for value in self._values_for(request, endpoint):
            for item in value.get("statuses", []):
                errors = item.get("errors") or []
                error = ""
                if errors:
                    first = errors[0]
                    detail = first.get("error_data", {}).get("details") or first.get("message")
                    error = f"WhatsApp error {first.get('code')}: {first.get('title')}"
                    if detail:
                        error += f" ({detail})"
                statuses.append(
                    DeliveryStatus(
                        provider_message_id=item["id"], status=item["status"], error=error
                    )
                )
        return statuses

    def _values(self, request: HttpRequest) -> list[dict[str, Any]]:
        payload = self._payload(request)
        if payload.get("object") != "whatsapp_business_account":
            raise UnparseablePayload(f"unexpected object '{payload.get('object')}'")
        return [
            change["value"]
            for entry in payload["entry"]
            for change in entry.get("changes", [])
            if change.get("field") == "messages"
        ]

    def _values_for(self, request: HttpRequest, endpoint: ChannelEndpoint) -> list[dict[str, Any]]:
        """The changes for this endpoint's number only. One Meta app (one app secret) may
        serve several numbers, each its own endpoint, possibly another team's: a change
        for another number is skipped, never put in this inbox."""
        number = endpoint.credentials.get("phone_number_id") or endpoint.config.get(
            "phone_number_id"
        )
        values = self._values(request)
        if not number:
            return values
        ours = [v for v in values if str(v.get("metadata", {}).get("phone_number_id")) == number]
        if len(ours) < len(values):
            logger.warning(
                "whatsapp changes for another number skipped",
                extra={"endpoint": endpoint.key, "skipped": len(values) - len(ours)},
            )
        return ours

    def _message(self, item: dict[str, Any], name: str) -> InboundMessage:
        kind = item["type"]
        text = ""
        attachments: list[InboundAttachment] = []
        metadata: dict[str, Any] = {"whatsapp_type": kind}
        if kind == "text":
            text = item["text"]["body"]
        elif kind in MEDIA_TYPES:
            media = item[kind]
            text = media.get("caption", "")
            extension = (media.get("mime_type") or "application/octet-stream").split(";")[0]
            attachments.append(
                InboundAttachment(
                    filename=media.get("filename") or f"{media['id']}.{extension.split('/')[-1]}",
                    content_type=extension,
                    # Media are fetched by id with the access token; the id is kept here.
                    url=provider_url("meta", f"/{media['id']}"),
                )
            )
            metadata["media_id"] = media["id"]
        elif kind == "location":
            location = item["location"]
            label = " ".join(filter(None, [location.get("name"), location.get("address")]))
            text = f"Location: {label} ({location['latitude']}, {location['longitude']})".replace(
                ":  (", ": ("
            )
            metadata["location"] = location
        elif kind == "interactive":
            interactive = item["interactive"]
            reply = interactive.get(interactive.get("type", ""), {})
            text = reply.get("title", "")
            metadata["interactive"] = {"type": interactive.get("type"), **reply}
        elif kind == "button":
            text = item["button"].get("text", "")
            metadata["button"] = item["button"]
        elif kind == "reaction":
            text = item["reaction"].get("emoji", "")
            metadata["reaction"] = item["reaction"]
        else:
            text = f"[unsupported WhatsApp message type: {kind}]"
        if item.get("context"):
            metadata["reply_to"] = item["context"].get("id", "")
        return InboundMessage(
            provider_id=item["id"],
            identities={"phone": item["from"]},
            text=text,
            sender_name=name,
            attachments=tuple(attachments),
            metadata=metadata,
            sent_at=_timestamp(item.get("timestamp")),
        )

    def fetch_media(self, url: str, endpoint: ChannelEndpoint) -> tuple[bytes, str] | None:
        """GET /{media-id} gives a short-lived URL; both requests need the access token."""
        if not url.startswith(provider_url("meta", "/")):
            return None
        headers = {"Authorization": f"Bearer {endpoint.credentials.get('access_token', '')}"}
        info = call("GET", url, headers=headers).json()
        content, content_type = download(info["url"], headers=headers)
        return content, info.get("mime_type") or content_type

    def validate_template(self, template: dict[str, Any]) -> None:
        if not template.get("name") or not template.get("language"):
            raise ApplicationError(
                "A WhatsApp template needs a name and a language.",
                fields={"template": ["Give the approved template's name and language."]},
            )

    def send(self, message: OutboundMessage, endpoint: ChannelEndpoint) -> SendResult:
        """POST /{phone_number_id}/messages (Cloud API), text or template."""
        phone_number_id = endpoint.credentials.get("phone_number_id") or endpoint.config.get(
            "phone_number_id"
        )
        if not phone_number_id:
            raise DeliveryError("The endpoint has no phone_number_id.", permanent=True)
        body: dict[str, Any] = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": message.to.lstrip("+"),
            # Echoed back on status webhooks; lets a status be traced to our message.
            "biz_opaque_callback_data": message.idempotency_key,
        }
        template = message.metadata.get("template")
        if template:
            body["type"] = "template"
            body["template"] = {
                "name": template["name"],
                "language": {"code": template["language"]},
                **({"components": template["components"]} if template.get("components") else {}),
            }
            answer = self._post(f"/{phone_number_id}/messages", endpoint, body)
            return SendResult(provider_message_id=answer["messages"][0]["id"])
        first_id = ""
        if message.text:
            text = {**body, "type": "text", "text": {"preview_url": False, "body": message.text}}
            answer = self._post(f"/{phone_number_id}/messages", endpoint, text)
            first_id = answer["messages"][0]["id"]
        for filename, content, content_type in _files(message):
            media_id = self._upload(phone_number_id, endpoint, filename, content, content_type)
            kind = _media_kind(content_type)
            media: dict[str, Any] = {"id": media_id}
            if kind == "document":
                media["filename"] = filename
            answer = self._post(
                f"/{phone_number_id}/messages", endpoint, {**body, "type": kind, kind: media}
            )
            first_id = first_id or answer["messages"][0]["id"]
        if not first_id:
            raise DeliveryError("Nothing to send.", permanent=True)
        return SendResult(provider_message_id=first_id)

    def _upload(
        self,
        phone_number_id: str,
        endpoint: ChannelEndpoint,
        filename: str,
        content: bytes,
        content_type: str,
    ) -> str:
        """POST /{phone_number_id}/media (multipart) -> the media id to send."""
        token = endpoint.credentials.get("access_token", "")
        try:
            answer = call(
                "POST",
                provider_url("meta", f"/{phone_number_id}/media"),
                headers={"Authorization": f"Bearer {token}"},
                data={"messaging_product": "whatsapp", "type": content_type},
                files={"file": (filename, content, content_type)},
            ).json()
        except DeliveryError as exc:
            raise _graph_error(exc) from exc
        return answer["id"]


class _PageMessagingAdapter(MetaAdapter):
    """Messenger and Instagram share the Send API and the `messaging` webhook shape."""

    graph_object: str
    identity_kind: str
    # Files go by link (Instagram takes no upload) rather than uploaded in the send.
    media_by_link: bool = False

    def _media_links(self, message: OutboundMessage) -> list[tuple[str, str]]:
        """(URL, content type) of each file, when this channel takes files by link."""
        if not self.media_by_link:
            return []
        return [
            (link, item.get("content_type") or "application/octet-stream")
            for item in message.attachments
            if (link := item.get("public_url") or item.get("url"))
        ]

    def _events(self, request: HttpRequest) -> list[dict[str, Any]]:
        payload = self._payload(request)
        if payload.get("object") != self.graph_object:
            raise UnparseablePayload(f"unexpected object '{payload.get('object')}'")
        return [event for entry in payload["entry"] for event in entry.get("messaging", [])]

    def parse(self, request: HttpRequest, endpoint: ChannelEndpoint) -> list[InboundMessage]:
        messages = []
        for event in self._events(request):
            sender = event["sender"]["id"]
            if "message" in event:
                message = event["message"]
                if message.get("is_echo") or message.get("is_deleted"):
                    continue
                messages.append(self._message(sender, message, event.get("timestamp")))
            elif "postback" in event:
                postback = event["postback"]
                messages.append(
                    InboundMessage(
                        provider_id=postback.get("mid")
                        or f"postback:{sender}:{event.get('timestamp')}",
                        identities={self.identity_kind: sender},
                        text=postback.get("title", ""),
                        metadata={"postback": postback},
                    )
                )
        return messages

    def _message(self, sender: str, message: dict[str, Any], timestamp: Any) -> InboundMessage:
        attachments = []
        metadata: dict[str, Any] = {}
        text = message.get("text", "")
        for item in message.get("attachments", []):
            kind, payload = item.get("type"), item.get("payload") or {}
            if kind == "location" or "coordinates" in payload:
                coordinates = payload.get("coordinates", {})
                metadata["location"] = coordinates
                text = text or f"Location: ({coordinates.get('lat')}, {coordinates.get('long')})"
            elif payload.get("url"):
                content_type = {
                    "image": "image/jpeg",
                    "video": "video/mp4",
                    "audio": "audio/mpeg",
                }.get(kind, "application/octet-stream")
                attachments.append(
                    InboundAttachment(
                        filename=payload["url"].split("?")[0].rsplit("/", 1)[-1] or kind,
                        content_type=content_type,
                        url=payload["url"],
                    )
                )
        if message.get("quick_reply"):
            metadata["quick_reply"] = message["quick_reply"]
        if message.get("reply_to"):
            metadata["reply_to"] = message["reply_to"].get("mid", "")
        return InboundMessage(
            provider_id=message["mid"],
            identities={self.identity_kind: sender},
            text=text,
            attachments=tuple(attachments),
            metadata=metadata,
            sent_at=_timestamp((timestamp or 0) // 1000 if timestamp else None),
        )

    def status(self, request: HttpRequest, endpoint: ChannelEndpoint) -> list[DeliveryStatus]:
        statuses = []
        for event in self._events(request):
            if "delivery" in event:
                for mid in event["delivery"].get("mids", []):
                    statuses.append(DeliveryStatus(provider_message_id=mid, status="delivered"))
            if "read" in event and event["read"].get("mid"):
                statuses.append(
                    DeliveryStatus(provider_message_id=event["read"]["mid"], status="read")
                )
        return statuses

    def send(self, message: OutboundMessage, endpoint: ChannelEndpoint) -> SendResult:
        """POST /{page_id}/messages (Send API), access token as documented in the query."""
        page_id = endpoint.credentials.get("page_id") or endpoint.config.get("page_id")
        token = endpoint.credentials.get("access_token", "")
        if not page_id or not token:
            raise DeliveryError("The endpoint needs page_id and access_token.", permanent=True)
        url = provider_url("meta", f"/{page_id}/messages")
        recipient = {"id": message.to}
        first_id = ""
        try:
            if message.text:
                body = {
                    "recipient": recipient,
                    "messaging_type": "RESPONSE",
                    "message": {"text": message.text},
                }
                answer = call("POST", url, params={"access_token": token}, json=body).json()
                first_id = answer["message_id"]
            for link, content_type in self._media_links(message):
                # Media by link: the provider fetches the desk's signed URL.
                major = content_type.split("/", 1)[0]
                kind = major if major in ("image", "video", "audio") else "file"
                body = {
                    "recipient": recipient,
                    "messaging_type": "RESPONSE",
                    "message": {"attachment": {"type": kind, "payload": {"url": link}}},
                }
                answer = call("POST", url, params={"access_token": token}, json=body).json()
                first_id = first_id or answer["message_id"]
            for filename, content, content_type in [] if self.media_by_link else _files(message):
                # An attachment upload in the send itself (multipart `filedata`).
                kind = {"image": "image", "video": "video", "audio": "audio"}.get(
                    _media_kind(content_type), "file"
                )
                attachment = {"attachment": {"type": kind, "payload": {"is_reusable": False}}}
                answer = call(
                    "POST",
                    url,
                    params={"access_token": token},
                    data={
                        "recipient": json.dumps(recipient),
                        "messaging_type": "RESPONSE",
                        "message": json.dumps(attachment),
                    },
                    files={"filedata": (filename, content, content_type)},
                ).json()
                first_id = first_id or answer["message_id"]
        except DeliveryError as exc:
            raise _graph_error(exc) from exc
        if not first_id:
            raise DeliveryError("Nothing to send.", permanent=True)
        return SendResult(provider_message_id=first_id)


class MessengerAdapter(_PageMessagingAdapter):
    kind = "messenger"
    graph_object = "page"
    identity_kind = "messenger"


class InstagramAdapter(_PageMessagingAdapter):
    kind = "instagram"
    graph_object = "instagram"
    identity_kind = "instagram"
    media_by_link = True


register(WhatsAppAdapter())
register(MessengerAdapter())
register(InstagramAdapter())
