"""An attachment never runs as a page of the desk (issue 14, finding L5): an SVG (or any
non-raster type) is downloaded even when asked inline, and every served file is
sandboxed."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile

from conversations.models import Attachment
from tests.inbox.conftest import client_for

pytestmark = pytest.mark.django_db

SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><a href="https://evil.test"><text>Login</text></a></svg>'


def attach(desk, filename: str, content_type: str, content: bytes) -> Attachment:
    message = desk.receive(desk.email, filename, "see attached", email="dana@example.com")
    attachment = Attachment.objects.create(
        message=message, filename=filename, content_type=content_type
    )
    attachment.file.save(filename, ContentFile(content), save=True)
    return attachment


def test_an_svg_asked_inline_is_downloaded_in_a_sandbox(desk):
    svg = attach(desk, "logo.svg", "image/svg+xml", SVG)
    response = client_for(desk.alice).get(f"/inbox/attachments/{svg.pk}/?inline=1")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment")
    assert "sandbox" in response["Content-Security-Policy"]


def test_a_photo_is_shown_inline_and_sandboxed(desk):
    photo = attach(desk, "photo.png", "image/png", b"\x89PNG\r\n")
    response = client_for(desk.alice).get(f"/inbox/attachments/{photo.pk}/?inline=1")
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("inline")
    assert "sandbox" in response["Content-Security-Policy"]
