"""Signed, expiring public links to the files of agents' replies: what a provider that
sends media by link (Twilio MMS, Instagram, an API integration's callback) fetches.

The signature is the credential: no session, no cookie. A link names one attachment of
an outbound message, expires after `OMNIDESK_MEDIA_LINK_MAX_AGE_SECONDS`, and serves the
file as a download that runs nothing (never an inline SVG or HTML page)."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.text import get_valid_filename
from django.views.decorators.http import require_safe

from conversations.models import RASTER_IMAGE_TYPES, Attachment, Message

SALT = "omnidesk.conversations.media-link"
# Served with their own type (providers read it to pick image, audio, video or document);
# anything else, SVG and HTML included, is served as bytes.
SAFE_TYPES_PREFIXES = ("audio/", "video/")
SAFE_TYPES = RASTER_IMAGE_TYPES | {
    "application/pdf",
    "text/plain",
    "text/csv",
    "text/vcard",
    "text/x-vcard",
    "text/calendar",
    "application/msword",
    "application/vnd.ms-excel",
    "application/vnd.ms-powerpoint",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}


def media_link(attachment_id: int, filename: str) -> str:
    """The absolute public URL of one stored attachment, valid for the configured time."""
    token = signing.dumps({"a": attachment_id}, salt=SALT, compress=False)
    name = get_valid_filename(filename) or "file"
    path = reverse("media-link", kwargs={"token": token, "filename": name})
    return f"{settings.OMNIDESK_PUBLIC_URL}{path}"


def read_media_token(token: str) -> int | None:
    if not token or len(token) > 300:
        return None
    try:
        data = signing.loads(token, salt=SALT, max_age=settings.OMNIDESK_MEDIA_LINK_MAX_AGE_SECONDS)
    except signing.BadSignature:  # a forged, altered or expired link
        return None
    value = data.get("a") if isinstance(data, dict) else None
    return value if isinstance(value, int) else None


def served_type(content_type: str) -> str:
    value = content_type.split(";")[0].strip().lower()
    if value in SAFE_TYPES or value.startswith(SAFE_TYPES_PREFIXES):
        return value
    return "application/octet-stream"


@require_safe
def public_attachment(request: HttpRequest, token: str, filename: str) -> HttpResponse:
    """GET a reply's file by its signed link (the name in the URL is only for the
    provider's eyes; the token decides)."""
    attachment_id = read_media_token(token)
    item = (
        Attachment.objects.filter(
            pk=attachment_id, message__direction=Message.Direction.OUTBOUND
        ).first()
        if attachment_id is not None
        else None
    )
    if item is None or not item.file:
        raise Http404
    response = FileResponse(
        item.file.open("rb"),
        as_attachment=True,
        filename=item.filename,
        content_type=served_type(item.content_type),
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, max-age=300"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
