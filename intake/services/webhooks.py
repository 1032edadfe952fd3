"""Webhook requests as stored events: envelopes (a request kept to parse again),
status callbacks as events, and authentic requests no adapter could read."""

from __future__ import annotations

import base64
import hashlib
import io
import logging
from typing import Any

from django.http import HttpRequest, QueryDict
from django.utils import timezone

from channels_app.models import ChannelEndpoint, InboundEvent
from channels_app.types import DeliveryStatus, InboundMessage
from intake.services.accept import Accepted, accept_inbound

logger = logging.getLogger(__name__)

STATUS_KIND = "status"
CALL_UPDATE_KIND = "call_update"
BOUNCE_KIND = "bounce"
FORM_KIND = "form"
# A stored request an adapter could not read; re-processing parses it again.
WEBHOOK_KIND = "webhook"


def request_envelope(request: HttpRequest) -> dict[str, Any]:
    """The parts of a webhook request needed to parse it again later, JSON-safe."""
    body = request.body
    envelope: dict[str, Any] = {
        "path": request.path,
        "query": request.META.get("QUERY_STRING", ""),
        "content_type": request.META.get("CONTENT_TYPE", ""),
    }
    try:
        envelope["body"] = body.decode("utf-8")
    except UnicodeDecodeError:
        envelope["body_b64"] = base64.b64encode(body).decode("ascii")
    return envelope


def rebuild_request(envelope: dict[str, Any]) -> HttpRequest:
    """An HttpRequest equivalent to the stored one, for adapters' `parse`."""
    if "body_b64" in envelope:
        body = base64.b64decode(envelope["body_b64"])
    else:
        body = envelope.get("body", "").encode("utf-8")
    request = HttpRequest()
    request.method = "POST"
    request.path = request.path_info = envelope.get("path", "/")
    request.META = {
        "CONTENT_TYPE": envelope.get("content_type", ""),
        "CONTENT_LENGTH": str(len(body)),
        "QUERY_STRING": envelope.get("query", ""),
        "SERVER_NAME": "replay.invalid",
        "SERVER_PORT": "443",
        "REQUEST_METHOD": "POST",
    }
    request._set_content_type_params(request.META)
    request.GET = QueryDict(envelope.get("query", ""))
    request._body = body
    request._stream = io.BytesIO(body)
    request._read_started = False
    request._load_post_and_files()
    request.POST, request.FILES = request._post, request._files
    return request


def status_messages(statuses: list[DeliveryStatus]) -> list[InboundMessage]:
    """Status callbacks as storable events: one per (message, status), so a replay is a
    no-op while each real transition is kept."""
    return [
        InboundMessage(
            provider_id=f"status:{item.provider_message_id}:{item.status}"[:255],
            identities={},
            kind=STATUS_KIND,
            metadata={
                "provider_message_id": item.provider_message_id,
                "status": item.status,
                "error": item.error,
            },
        )
        for item in statuses
    ]


def accept_webhook(
    *,
    endpoint: ChannelEndpoint,
    messages: list[InboundMessage],
    statuses: list[DeliveryStatus],
    envelope: dict[str, Any],
) -> list[Accepted]:
    return accept_inbound(
        endpoint=endpoint, messages=[*messages, *status_messages(statuses)], raw=envelope
    )


def record_unparseable_webhook(
    *, endpoint: ChannelEndpoint, envelope: dict[str, Any], error: Exception
) -> InboundEvent:
    """Keep an authentic request the adapter could not read, as a failed event.

    Unique on a hash of the body, so the provider's retries add nothing.
    """
    body = envelope.get("body") or envelope.get("body_b64", "")
    digest = hashlib.sha256(f"{envelope.get('path')}\n{body}".encode()).hexdigest()
    description = f"Unparseable payload: {type(error).__name__}: {error}"[:2000]
    event, _ = InboundEvent.objects.get_or_create(
        endpoint=endpoint,
        provider_id=f"unparseable:{digest}",
        defaults={
            "kind": WEBHOOK_KIND,
            "raw": envelope,
            "status": InboundEvent.Status.FAILED,
            "error": description,
            "processed_at": timezone.now(),
        },
    )
    logger.warning(
        "webhook payload could not be parsed",
        extra={"endpoint": endpoint.key, "event_id": event.pk, "error": description},
    )
    return event
