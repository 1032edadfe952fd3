"""The `webchat` adapter: an agent's reply goes to the visitor's open widgets over the
realtime layer, and by email when no widget of theirs is connected.

The widget itself (its socket, pages and visitor sessions) is a door in `intake.widget`;
what both sides need to agree on lives here: the visitor's realtime group, whether a
widget of theirs is connected, and the shape of a message as the widget shows it."""

from __future__ import annotations

import hashlib
import logging
import smtplib
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.mail import EmailMessage
from django.urls import reverse

from channels_app import webchat_identity
from channels_app.adapters import register
from channels_app.adapters.base import Adapter
from channels_app.models import ChannelEndpoint
from channels_app.types import DeliveryError, OutboundMessage, SendResult
from omnidesk.realtime import publish_rollback_unsafe

logger = logging.getLogger(__name__)

MESSAGE_EVENT = "widget.message"


def visitor_group(visitor_id: str) -> str:
    # Group names allow only a small alphabet; identified ids may hold anything.
    return "widget.visitor." + hashlib.sha256(visitor_id.encode()).hexdigest()[:40]


def online_key(visitor_id: str) -> str:
    """The cache counter of the visitor's connected widgets (`intake.widget.services`)."""
    return f"widget:online:{visitor_group(visitor_id)}"


def visitor_online(visitor_id: str) -> bool:
    return (cache.get(online_key(visitor_id)) or 0) > 0


def attachment_url(endpoint: ChannelEndpoint, attachment_id: int) -> str:
    token = webchat_identity.attachment_token(
        endpoint_key=endpoint.key, attachment_id=attachment_id
    )
    return reverse("widget:attachment", kwargs={"key": endpoint.key, "token": token})


def widget_message(
    *,
    message_id: int,
    conversation_id: int,
    from_agent: bool,
    text: str,
    at: str,
    author: str = "",
    client_id: str = "",
    attachments: Sequence[dict[str, Any]] = (),
    survey_answered: bool | None = None,
) -> dict[str, Any]:
    """One message as the widget shows it (plain text: it renders with textContent).
    `attachments`: {"name", "type", "size", "url"}; `survey_answered` is set for a
    satisfaction survey."""
    payload: dict[str, Any] = {
        "id": message_id,
        "conversation_id": conversation_id,
        "client_id": "" if from_agent else client_id,
        "from": "agent" if from_agent else "visitor",
        "text": text,
        "at": at,
        "author": author if from_agent else "",
        "attachments": list(attachments),
    }
    if survey_answered is not None:
        payload["csat"] = {"conversation_id": conversation_id, "answered": survey_answered}
    return payload


class WebchatAdapter(Adapter):
    kind = "webchat"
    # Except for a visitor who left an address: the email to an offline visitor is the
    # delivery task's (`conversations.services.outbound.sent_on_commit`).
    pushes_on_commit = True

    def send(self, message: OutboundMessage, endpoint: ChannelEndpoint) -> SendResult:
        if not message.to:
            raise DeliveryError("The visitor has no web chat identity.", permanent=True)
        payload = widget_message(
            message_id=message.message_id,
            conversation_id=message.metadata.get("conversation_id", 0),
            from_agent=True,
            text=message.text,
            at=message.metadata.get("created_at", ""),
            author=message.metadata.get("author_name") or message.sender_name,
            attachments=[
                {
                    "name": item["filename"],
                    "type": item["content_type"],
                    "size": item.get("size", 0),
                    "url": attachment_url(endpoint, item["id"]),
                }
                for item in message.attachments
                if item.get("path") and item.get("id")
            ],
            # A survey is unanswered when it goes out.
            survey_answered=False if message.metadata.get("csat_survey") else None,
        )
        # Always pushed: an open widget shows it now, a closed one fetches it on return.
        publish_rollback_unsafe(
            {"type": MESSAGE_EVENT, "message": payload}, [visitor_group(message.to)]
        )
        email = message.metadata.get("offline_email", "")
        if email and not visitor_online(message.to):
            try:
                _email_offline_visitor(message, endpoint, to=email, author=payload["author"])
            except (smtplib.SMTPException, OSError) as exc:
                raise DeliveryError(f"email to offline visitor failed: {exc}")
        return SendResult(provider_message_id=message.idempotency_key)


def _email_offline_visitor(
    message: OutboundMessage, endpoint: ChannelEndpoint, *, to: str, author: str
) -> None:
    """The reply, by email, to a visitor who left the page: it also waits in the widget."""
    title = (endpoint.config or {}).get("title") or endpoint.name
    body = (
        f"{author or title} replied to your chat with {title}:\n\n{message.text}\n\n"
        "You can also read it in the chat window next time you visit."
    )
    EmailMessage(
        subject=f"New reply from {title}",
        body=body,
        from_email=(endpoint.config or {}).get("from_email") or settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers={"X-Omnidesk-Message": str(message.message_id)},
    ).send()


register(WebchatAdapter())
