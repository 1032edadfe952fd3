"""Web form side effects: the confirmation email to the person who wrote in."""

from __future__ import annotations

import hashlib
import logging

from django.conf import settings
from django.core.cache import cache
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from channels_app.email_parsing import subject_token
from channels_app.models import ChannelEndpoint
from conversations.models import Message

logger = logging.getLogger(__name__)

# Nothing the form's sender typed goes into the confirmation: the address is only
# claimed, so echoing the text (or a name) would let anyone send their words from the
# company's own mail server to any address.
DEFAULT_CONFIRMATION = (
    "Hello,\n\n"
    "Thanks for getting in touch. We received your message and will answer soon.\n"
    "Reply to this email to add anything.\n"
)
# One confirmation per address per endpoint in this window, whatever is posted.
CONFIRMATION_WINDOW_SECONDS = 3600


class _NothingSubmitted(dict):
    """A configured `confirmation_text` may name `{name}` or `{text}`: they stay empty."""

    def __missing__(self, key: str) -> str:
        return ""


def _first_confirmation_in_window(endpoint: ChannelEndpoint, recipient: str) -> bool:
    digest = hashlib.sha256(recipient.lower().encode()).hexdigest()[:32]
    window = int(endpoint.config.get("confirmation_window_seconds", CONFIRMATION_WINDOW_SECONDS))
    return cache.add(f"form-confirmation:{endpoint.pk}:{digest}", 1, timeout=window)


def send_form_confirmation(*, endpoint_id: int, message_id: int) -> bool:
    """Email the sender of a form message that we received it. Sent at most once: the
    message row is locked and marked in the same transaction as the send, so a retried
    task finds it marked (a crash between the SMTP answer and the commit can repeat it)."""
    endpoint = ChannelEndpoint.objects.filter(pk=endpoint_id).first()
    with transaction.atomic():
        message = (
            Message.objects.select_for_update()
            .filter(pk=message_id, direction=Message.Direction.INBOUND)
            .first()
        )
        recipient = ((message.metadata if message else {}).get("from") or {}).get("email")
        if message is None or endpoint is None or not recipient:
            return False
        if message.metadata.get("no_auto_reply") or message.metadata.get("confirmation_sent_at"):
            return False
        if not _first_confirmation_in_window(endpoint, recipient):
            return False
        config = endpoint.config
        subject = config.get("confirmation_subject") or "We received your message"
        email = EmailMessage(
            subject=f"{subject} {subject_token(message.conversation_id)}",
            body=(config.get("confirmation_text") or DEFAULT_CONFIRMATION).format_map(
                _NothingSubmitted()
            ),
            from_email=config.get("confirmation_from") or settings.DEFAULT_FROM_EMAIL,
            to=[recipient],
            # RFC 3834: an automatic answer; well-behaved auto-responders will not reply.
            headers={"Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "All"},
        )
        email.send(fail_silently=False)
        message.metadata = {**message.metadata, "confirmation_sent_at": timezone.now().isoformat()}
        message.save(update_fields=["metadata"])
    logger.info("form confirmation sent", extra={"message_id": message_id})
    return True
