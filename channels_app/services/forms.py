"""Web form side effects: the confirmation email to the person who wrote in."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.cache import cache
from django.core.mail import EmailMessage

from channels_app.models import ChannelEndpoint
from conversations.models import Message
from conversations.services import subject_token

logger = logging.getLogger(__name__)

DEFAULT_CONFIRMATION = (
    "Hello {name},\n\n"
    "Thanks for getting in touch. We received your message and will answer soon.\n"
    "Reply to this email to add anything.\n\n"
    "Your message:\n{text}\n"
)


def send_form_confirmation(*, endpoint_id: int, message_id: int) -> bool:
    """Email the sender of a form message that we received it. Sent at most once."""
    message = (
        Message.objects.select_related("conversation")
        .filter(pk=message_id, direction=Message.Direction.INBOUND)
        .first()
    )
    endpoint = ChannelEndpoint.objects.filter(pk=endpoint_id).first()
    recipient = ((message.metadata if message else {}).get("from") or {}).get("email")
    if message is None or endpoint is None or not recipient:
        return False
    if message.metadata.get("no_auto_reply"):
        return False
    # A task retried after the SMTP server accepted the mail must not send it twice.
    if not cache.add(f"channels:form-confirmation:{message_id}", 1, 7 * 24 * 3600):
        return False
    config = endpoint.config
    subject = config.get("confirmation_subject") or "We received your message"
    email = EmailMessage(
        subject=f"{subject} {subject_token(message.conversation_id)}",
        body=(config.get("confirmation_text") or DEFAULT_CONFIRMATION).format(
            name=message.sender_name or "there", text=message.text
        ),
        from_email=config.get("confirmation_from") or settings.DEFAULT_FROM_EMAIL,
        to=[recipient],
        # RFC 3834: an automatic answer; well-behaved auto-responders will not reply.
        headers={"Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "All"},
    )
    try:
        email.send(fail_silently=False)
    except OSError:
        cache.delete(f"channels:form-confirmation:{message_id}")
        raise
    logger.info("form confirmation sent", extra={"message_id": message_id})
    return True
