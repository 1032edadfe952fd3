"""What an uploaded file really is, from its first bytes. Pure functions, no database."""

from __future__ import annotations

import codecs
import os

from django.utils.text import get_valid_filename

# Magic numbers of the types a visitor may send; the file name is never trusted.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
)
EXTENSIONS = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "application/pdf": ".pdf",
    "text/plain": ".txt",
}
DEFAULT_ALLOWED_TYPES = tuple(EXTENSIONS)
DEFAULT_MAX_UPLOAD_BYTES = 5 * 1024 * 1024


def sniff_content_type(head: bytes) -> str | None:
    """The type the bytes say they are, or None when unknown. `head`: the first 8 KB."""
    for magic, content_type in _SIGNATURES:
        if head.startswith(magic):
            return content_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head and b"\x00" not in head:
        try:
            # final=False: a multi-byte character cut at the end of the sample is fine.
            codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        except UnicodeDecodeError:
            return None
        return "text/plain"
    return None


def safe_filename(name: str, content_type: str) -> str:
    """A storable name whose extension matches the detected type (never `.html`, `.svg`)."""
    stem = os.path.splitext(os.path.basename(name or ""))[0]
    try:
        stem = get_valid_filename(stem)[:100]
    except Exception:
        stem = ""
    return f"{stem or 'upload'}{EXTENSIONS.get(content_type, '.bin')}"
