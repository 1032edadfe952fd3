"""Small helpers shared by the conversation services."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.conf import settings

from omnidesk.errors import ApplicationError

if TYPE_CHECKING:
    pass

logger = logging.getLogger(__name__)

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
