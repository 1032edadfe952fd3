"""Keyset cursors: the sort key of the last row shown, packed into a URL-safe token.

One encoding for every paged read (the inbox list, the timeline); each read chooses the
fields of its key and how to read them back.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from datetime import datetime
from typing import Any


def encode_cursor(*fields: datetime | str | int) -> str:
    """A token for `fields` (datetimes in ISO format), read back by `decode_cursor`."""
    raw = "|".join(
        field.isoformat() if isinstance(field, datetime) else str(field) for field in fields
    )
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, *readers: Callable[[str], Any]) -> tuple[Any, ...] | None:
    """The fields of `cursor`, each passed through its reader (`datetime.fromisoformat`,
    `int`, ...), or None when the cursor is malformed: a wrong number of fields, or a
    reader that raises ValueError. A bad cursor comes from a hand-edited URL: the caller
    starts from the first page rather than fail."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        fields = base64.urlsafe_b64decode(padded.encode()).decode().split("|")
        if len(fields) != len(readers):
            return None
        return tuple(read(field) for read, field in zip(readers, fields, strict=True))
    except (ValueError, UnicodeDecodeError, binascii.Error):
        return None
