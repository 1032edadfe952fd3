"""Inbound media a provider only linked to: downloaded and kept as our own files."""

from __future__ import annotations

import logging

from django.core.files.base import ContentFile
from django.db import transaction

from channels_app.adapters import get_adapter
from channels_app.types import DeliveryError
from conversations.models import Attachment, Message

logger = logging.getLogger(__name__)


def fetch_inbound_media(*, message_id: int) -> int:
    """Keep our own copy of media the provider only linked to (links expire or need the
    provider's credentials). Returns how many were stored; temporary provider errors
    raise DeliveryError for the task to retry, permanent ones leave the link."""
    message = Message.objects.select_related("endpoint").filter(pk=message_id).first()
    if message is None or message.endpoint is None:
        return 0
    adapter = get_adapter(message.endpoint.kind)
    stored = 0
    for attachment in message.attachments.filter(file="").exclude(remote_url=""):
        try:
            fetched = adapter.fetch_media(attachment.remote_url, message.endpoint)
        except DeliveryError as exc:
            if not exc.permanent:
                raise
            logger.warning(
                "inbound media not fetched",
                extra={"message_id": message_id, "attachment_id": attachment.pk, "error": str(exc)},
            )
            continue
        if fetched is None:
            continue
        content, content_type = fetched
        with transaction.atomic():
            locked = Attachment.objects.select_for_update().get(pk=attachment.pk)
            if locked.file:
                continue
            locked.file.save(locked.filename, ContentFile(content), save=False)
            locked.size = len(content)
            if locked.content_type in ("", "application/octet-stream"):
                locked.content_type = content_type
            locked.save(update_fields=["file", "size", "content_type"])
        stored += 1
    return stored
