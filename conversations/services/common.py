"""Small helpers shared by the conversation services."""

from __future__ import annotations

from django.conf import settings

from conversations.models import Conversation
from omnidesk.errors import ApplicationError

PREVIEW_LENGTH = 200


def preview_text(text: str) -> str:
    return " ".join(text.split())[:PREVIEW_LENGTH]


def validate_text(text: str, *, field: str = "text", required: bool = True) -> str:
    if required and not (text or "").strip():
        raise ApplicationError("The message is empty.", fields={field: ["This field is required."]})
    if len((text or "").encode()) > settings.OMNIDESK_MAX_TEXT_BYTES:
        raise ApplicationError(
            "The message is too long.",
            fields={field: [f"At most {settings.OMNIDESK_MAX_TEXT_BYTES} bytes."]},
            status_code=413,
        )
    return text


def outbound_idempotency_key(message_id: int) -> str:
    """The stable key of one outbound message: the provider's idempotency key, and what
    an email's signed Message-ID is computed from (`channels_app.email_ids`)."""
    return f"omnidesk-message-{message_id}"


def lock_conversation(conversation_id: int, *related: str) -> Conversation:
    """The conversation row, locked until the transaction ends. Only that row: related
    rows (its endpoint, its customer) are read, not locked, so conversations sharing an
    inbox never wait on each other."""
    return (
        Conversation.objects.select_for_update(of=("self",))
        .select_related(*related)
        .get(pk=conversation_id)
    )
