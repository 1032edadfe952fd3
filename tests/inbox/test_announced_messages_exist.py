"""A new message reaches open panes rendered as it was written, and only once its
transaction committed: a reply rolled back is never announced, not even with the next
commit of the same worker."""

from __future__ import annotations

import pytest
from django.db import transaction

from conversations import services
from conversations.models import Message
from tests.inbox.conftest import build_desk

pytestmark = pytest.mark.django_db(transaction=True)


class Refused(Exception):
    pass


def test_a_rolled_back_reply_is_never_announced(capture_events):
    desk = build_desk()
    conversation = desk.receive(
        desk.whatsapp, "wa-1", "Where is my parcel?", phone="+14155552671"
    ).conversation
    capture_events.sent.clear()

    with pytest.raises(Refused), transaction.atomic():
        services.send_reply(conversation=conversation, author=desk.bob, text="Draft, never sent")
        raise Refused
    sent = services.send_reply(conversation=conversation, author=desk.bob, text="It ships today")

    created = capture_events.of_type("message.created")
    assert [event["message_id"] for event, _ in created] == [sent.pk]
    assert "It ships today" in created[0][0]["html"]
    assert not Message.objects.filter(text="Draft, never sent").exists()
