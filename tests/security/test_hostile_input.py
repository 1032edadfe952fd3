"""Hostile input costs nothing (issue 14, finding H3): an email of a megabyte of `>`
lines is parsed, folded and rendered in linear time, and no channel stores more text
than `OMNIDESK_MAX_TEXT_BYTES` as the message (the rest is kept as an attachment)."""

from __future__ import annotations

import pytest

from channels_app.email_parsing import parse_email, split_reply, to_inbound
from conversations.display import fold_quotes
from conversations.models import Attachment, Message
from conversations.services import receive_message
from tests.conftest import inbound

# Quadratic folding took about 3 s for 23 KiB of these and 1.5 h for 1 MiB.
QUOTED_MEGABYTE = ">\n" * (512 * 1024) + "the last line"


@pytest.mark.timeout(30)
def test_a_megabyte_of_quoted_lines_is_parsed_and_folded_at_once():
    raw = (
        "From: Mallory <mallory@example.com>\r\n"
        "To: support@desk.test\r\n"
        "Subject: quotes\r\n"
        "Message-ID: <q@example.com>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n" + QUOTED_MEGABYTE
    ).encode()
    message = to_inbound(parse_email(raw), raw=raw, source="test")
    assert message.text.rstrip().endswith("the last line")
    reply, quoted = split_reply("New answer\n" + ">\n" * 100_000)
    assert (reply, quoted.count(">")) == ("New answer", 100_000)


@pytest.mark.timeout(30)
def test_a_megabyte_of_quoted_lines_renders_at_once():
    assert "the last line" in fold_quotes(QUOTED_MEGABYTE)
    folded = fold_quotes("Thanks!\n" + "> earlier\n" * 100_000)
    assert folded.startswith("<p>Thanks!</p><details")


@pytest.mark.django_db
def test_text_over_the_cap_is_cut_and_kept_whole_as_an_attachment(api_endpoint, settings):
    settings.OMNIDESK_MAX_TEXT_BYTES = 1024
    text = "é" * 1000  # 2,000 bytes
    message = receive_message(endpoint=api_endpoint, inbound=inbound("big-1", text, email="a@x.io"))
    message = Message.objects.get(pk=message.pk)
    assert len(message.text.encode()) <= 1024
    assert text.startswith(message.text) and len(message.text) == 512
    kept = Attachment.objects.get(message=message)
    assert kept.filename == "message.txt"
    with kept.file.open("rb") as stored:
        assert stored.read().decode() == text
