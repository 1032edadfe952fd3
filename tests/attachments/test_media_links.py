"""The signed links providers fetch a reply's file from: no session needed, a forged,
altered or expired link is a 404, only outbound files are served, always as a download,
and an SVG never as an image."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.core import signing
from django.core.files.base import ContentFile
from django.test import Client

from conversations.media_links import SALT, media_link
from conversations.models import Attachment
from tests.factories import MessageFactory

pytestmark = pytest.mark.django_db

SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def _attachment(name: str, content: bytes, content_type: str, direction: str = "out"):
    message = MessageFactory(
        direction=direction, kind="agent" if direction == "out" else "customer"
    )
    attachment = Attachment(message=message, filename=name, content_type=content_type)
    attachment.file.save(name, ContentFile(content), save=True)
    return attachment


def _get(link: str):
    return Client().get(urlsplit(link).path)


def test_a_link_serves_the_file_as_a_download_without_a_session(settings):
    settings.OMNIDESK_PUBLIC_URL = "https://desk.example.com"
    attachment = _attachment("refund.pdf", b"%PDF-1.4 x", "application/pdf")

    link = media_link(attachment.pk, attachment.filename)
    response = _get(link)

    assert link.startswith("https://desk.example.com/files/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="refund.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == b"%PDF-1.4 x"


def test_an_svg_is_served_as_bytes_never_as_an_image():
    attachment = _attachment("logo.svg", SVG, "image/svg+xml")

    response = _get(media_link(attachment.pk, attachment.filename))

    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "sandbox" in response["Content-Security-Policy"]


def test_a_forged_altered_or_expired_link_is_not_found(settings):
    attachment = _attachment("refund.pdf", b"%PDF-1.4 x", "application/pdf")
    other = _attachment("other.pdf", b"%PDF-1.4 y", "application/pdf")
    link = media_link(attachment.pk, attachment.filename)
    token = urlsplit(link).path.split("/")[2]
    forged = signing.dumps({"a": other.pk}, salt="another purpose", compress=False)

    assert _get(link.replace(token, token[:-2] + "xx")).status_code == 404
    assert Client().get(f"/files/{forged}/other.pdf").status_code == 404
    settings.OMNIDESK_MEDIA_LINK_MAX_AGE_SECONDS = -1
    assert _get(link).status_code == 404


def test_a_customers_own_file_has_no_public_link():
    inbound = _attachment("passport.jpg", b"\xff\xd8\xff", "image/jpeg", direction="in")
    token = signing.dumps({"a": inbound.pk}, salt=SALT, compress=False)

    assert Client().get(f"/files/{token}/passport.jpg").status_code == 404
