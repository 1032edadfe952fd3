"""The `webchat` adapter: an agent reply goes to the visitor's open widgets over the
realtime layer, and by email when no widget of theirs is connected."""

from __future__ import annotations

import logging
import smtplib

from channels_app.adapters import register
from channels_app.adapters.base import Adapter
from channels_app.types import DeliveryError, OutboundMessage, SendResult
from channels_app.widget import services
from conversations.models import Message

logger = logging.getLogger(__name__)


class WebchatAdapter(Adapter):
    kind = "webchat"

    def send(self, message: OutboundMessage, endpoint) -> SendResult:
        if not message.to:
            raise DeliveryError("The visitor has no web chat identity.", permanent=True)
        stored = (
            Message.objects.select_related("author", "endpoint", "conversation__customer")
            .prefetch_related("attachments")
            .get(pk=message.message_id)
        )
        # Always pushed: an open widget shows it now, a closed one fetches it on return.
        services.push_to_visitor(visitor_id=message.to, message=stored)
        if not services.visitor_online(message.to):
            email = services.offline_email_for(stored)
            if email:
                try:
                    services.email_offline_visitor(message=stored, to=email)
                except (smtplib.SMTPException, OSError) as exc:
                    raise DeliveryError(f"email to offline visitor failed: {exc}")
        return SendResult(provider_message_id=message.idempotency_key)


register(WebchatAdapter())
