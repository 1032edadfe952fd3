"""The inbox composer: each channel's limits are in the page before sending; a reply
posted with files carries them; a file the channel cannot carry is shown as an error in
the pane (nothing stored)."""

from __future__ import annotations

import html
import json
import re

import pytest
from django.test import Client

from conversations.models import Attachment, Message
from tests.attachments.conftest import PDF, PNG, upload

pytestmark = pytest.mark.django_db


def _browser(desk) -> Client:
    client = Client()
    client.force_login(desk.agent)
    return client


def test_the_composer_shows_the_chosen_channels_limits(desk):
    conversation = desk.conversation(desk.uk_sms, phone="+447911123456")
    desk.conversation(desk.whatsapp, phone="+447911123456")

    page = _browser(desk).get(f"/inbox/c/{conversation.pk}/").content.decode()

    limits = {
        json.loads(html.unescape(raw))["channel"]: json.loads(html.unescape(raw))
        for raw in re.findall(r'data-attachment-limits="([^"]*)"', page)
    }
    assert limits["SMS"]["carries_files"] is False
    assert "cannot send MMS" in limits["SMS"]["reason"]
    assert limits["WhatsApp"]["summary"].startswith("WhatsApp: JPEG or PNG images up to 5 MB")
    assert 'id="composer-files"' in page and 'hx-encoding="multipart/form-data"' in page


def test_a_reply_from_the_composer_carries_its_files(
    desk, provider, django_capture_on_commit_callbacks
):
    conversation = desk.conversation(desk.telegram, telegram="523456789")
    with django_capture_on_commit_callbacks(execute=True):
        response = _browser(desk).post(
            f"/inbox/c/{conversation.pk}/reply/",
            {
                "text": "",
                "mode": "reply",
                "force": "1",
                "files": [upload("receipt.png", PNG, "image/png"), upload("a.pdf", PDF, "")],
            },
            HTTP_HX_REQUEST="true",
        )

    assert response.status_code == 200
    reply = Message.objects.get(direction="out")
    stored = {a.filename: a.content_type for a in Attachment.objects.filter(message=reply)}
    assert stored == {"receipt.png": "image/png", "a.pdf": "application/pdf"}
    assert "receipt.png" in response.content.decode()
    assert [r.path.rsplit("/", 1)[-1] for r in provider.requests] == ["sendPhoto", "sendDocument"]


def test_a_file_the_channel_cannot_carry_is_an_error_in_the_pane(desk, provider):
    conversation = desk.conversation(desk.uk_sms, phone="+447911123456")

    response = _browser(desk).post(
        f"/inbox/c/{conversation.pk}/reply/",
        {
            "text": "See attached",
            "mode": "reply",
            "force": "1",
            "files": [upload("a.pdf", PDF, "")],
        },
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 422
    assert "cannot send MMS" in response.content.decode()
    assert 'id="composer-text"' in response.content.decode()
    assert not Message.objects.filter(direction="out").exists()
    assert not provider.requests
