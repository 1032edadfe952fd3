"""Typing a private note never shows the visitor "agent is typing" (issue 14, finding
L7): the inbox marks note typing, colleagues still see it, the widget drops it."""

from __future__ import annotations

import pytest

from conversations import events
from conversations.models import Conversation
from conversations.selectors import collision_groups, conversation_group, customer_side_group
from omnidesk.realtime import apublish_rollback_unsafe
from tests.widget.conftest import (  # noqa: F401 (fixtures)
    db_call,
    open_widget,
    widget_endpoint,
)

pytestmark = pytest.mark.django_db(transaction=True)


async def test_note_typing_is_not_shown_to_the_visitor_but_reply_typing_is(widget_endpoint):  # noqa: F811
    widget, _ = await open_widget(widget_endpoint)
    await widget.hello()
    await widget.say("c1", "Hi")
    conversation = await db_call(Conversation.objects.get)()

    # As the inbox's socket says it (conversations/consumers.py): colleagues hear both.
    noting = events.presence_event(events.TYPING, conversation.pk, 7, "Carol", note=True)
    note_groups = collision_groups(conversation.pk, action="typing", note=True)
    assert note_groups == [conversation_group(conversation.pk)]
    await apublish_rollback_unsafe(noting, note_groups)
    # Even sent to the customer's side by mistake, the widget drops it.
    await apublish_rollback_unsafe(noting, [customer_side_group(conversation.pk)])
    replying = events.presence_event(events.TYPING, conversation.pk, 8, "Dave")
    await apublish_rollback_unsafe(
        replying, collision_groups(conversation.pk, action="typing", note=False)
    )

    # Sent in this order: the first typing frame the visitor gets is Dave's, who is
    # replying; Carol's, on a note, never came.
    frame = await widget.wait_for(lambda f: f["type"] == "typing")
    assert frame == {"type": "typing", "active": True, "name": "Dave"}
    await widget.close()


def test_the_inbox_marks_note_typing():
    event = events.presence_event(events.TYPING, 1, 2, "Carol", note=True)
    assert event["note"] is True
    assert "note" not in events.presence_event(events.TYPING, 1, 2, "Carol")
