"""A line break in a subject cannot make a thread unanswerable by email (issue 14,
finding L11): every channel's subject is stored as one line."""

from __future__ import annotations

import pytest

from channels_app.types import InboundMessage
from conversations.services import receive_message, reply_subject

pytestmark = pytest.mark.django_db


def test_a_subject_with_line_breaks_is_stored_on_one_line(api_endpoint):
    message = receive_message(
        endpoint=api_endpoint,
        inbound=InboundMessage(
            provider_id="s1",
            identities={"email": "dana@example.com"},
            text="Hello",
            subject="Hi\r\nBcc: everyone@example.com\n",
        ),
    )
    assert message.subject == "Hi Bcc: everyone@example.com"
    assert message.conversation.subject == "Hi Bcc: everyone@example.com"
    assert "\n" not in reply_subject(message.conversation.subject)
