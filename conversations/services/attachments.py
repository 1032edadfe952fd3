"""Files an agent attaches to a reply: checked against the channel's limits before
anything is written, then stored as the message's `Attachment`s."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from pathlib import PurePath

from django.core.files import File

from channels_app.attachment_limits import (
    FileFacts,
    check_files,
    content_type_of,
    limits_for_endpoint,
)
from channels_app.models import ChannelEndpoint
from conversations.models import Attachment, Message
from omnidesk.errors import ApplicationError

FILENAME_LENGTH = Attachment._meta.get_field("filename").max_length


def display_filename(name: str) -> str:
    """The file's own name, without a path or control characters, and short enough."""
    base = PurePath((name or "").replace("\\", "/")).name
    cleaned = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip()
    cleaned = cleaned.lstrip(".") or "file"
    if len(cleaned) > FILENAME_LENGTH:
        stem, dot, extension = cleaned.rpartition(".")
        keep = FILENAME_LENGTH - len(extension) - 1
        cleaned = f"{stem[:keep]}.{extension}" if dot and keep > 0 else cleaned[:FILENAME_LENGTH]
    return cleaned


def file_facts(files: Sequence[File]) -> list[FileFacts]:
    facts = []
    for item in files:
        filename = display_filename(item.name or "")
        facts.append(
            FileFacts(
                filename=filename,
                content_type=content_type_of(filename, getattr(item, "content_type", "")),
                size=int(item.size or 0),
            )
        )
    return facts


def check_outbound_files(*, endpoint: ChannelEndpoint, files: Sequence[File]) -> None:
    """Raise ApplicationError (400, `files`) when the channel cannot carry `files`."""
    problems = check_files(limits_for_endpoint(endpoint), file_facts(files))
    if problems:
        raise ApplicationError(problems[0], fields={"files": problems})


def store_message_files(*, message: Message, files: Sequence[File]) -> list[Attachment]:
    """Store `files` as `message`'s attachments (inside the writing transaction; a file
    written for a transaction that then rolls back is left unreferenced in storage)."""
    stored = []
    for item, facts in zip(files, file_facts(files), strict=True):
        attachment = Attachment(
            message=message,
            filename=facts.filename,
            content_type=facts.content_type,
            size=facts.size,
        )
        item.seek(0)
        attachment.file.save(facts.filename, item, save=True)
        stored.append(attachment)
    return stored
