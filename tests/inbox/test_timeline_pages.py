"""A long conversation opens on its latest items; "Show earlier messages" pages back
(keyset on time, kind and id) until the beginning, in the pane and in the customer's
whole history. Re-opening without new activity does not rewrite the read marker."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from conversations import selectors
from conversations.models import ConversationEvent, Message, ReadMarker
from tests.factories import MessageFactory
from tests.inbox.conftest import client_for, htmx

pytestmark = pytest.mark.django_db

PAGE = selectors.TIMELINE_PAGE_ITEMS


def item_ids(html: str) -> list[str]:
    return re.findall(r'id="((?:message|event)-\d+)"', html)


def earlier_url(html: str) -> str | None:
    match = re.search(r'id="show-earlier" hx-get="([^"]+)"', html)
    return match.group(1).replace("&amp;", "&") if match else None


def long_conversation(desk, extra: int):
    """A conversation with PAGE + `extra` messages a minute apart, oldest first."""
    first = desk.receive(desk.whatsapp, "0", "message 0", phone="+14155552671")
    conversation = first.conversation
    start = timezone.now() - timedelta(days=1)
    Message.objects.filter(pk=first.pk).update(created_at=start)
    ConversationEvent.objects.filter(conversation=conversation).update(created_at=start)
    for index in range(1, PAGE + extra):
        MessageFactory(
            conversation=conversation,
            endpoint=desk.whatsapp,
            text=f"message {index}",
            created_at=start + timedelta(minutes=index),
        )
    return conversation


def expected_order(conversation) -> list[str]:
    messages = [(m.created_at, True, m.pk, f"message-{m.pk}") for m in conversation.messages.all()]
    events = [(e.created_at, False, e.pk, f"event-{e.pk}") for e in conversation.events.all()]
    items = messages + events
    return [item[-1] for item in sorted(items)]


def test_long_conversation_opens_on_its_latest_items_and_pages_back_to_the_start(desk):
    conversation = long_conversation(desk, extra=PAGE + 5)
    bob = client_for(desk.bob)
    url = f"/inbox/c/{conversation.pk}/timeline/"

    latest = htmx(bob, "get", url).content.decode()
    everything = expected_order(conversation)
    assert item_ids(latest) == everything[-PAGE:]
    assert f"message {PAGE * 2 + 4}" in latest and ">message 0<" not in latest

    shown = item_ids(latest)
    pages = 0
    next_url = earlier_url(latest)
    while next_url:
        assert next_url.startswith(f"{url}?before=")
        fragment = htmx(bob, "get", next_url).content.decode()
        assert "timeline-controls" not in fragment  # only items, inserted above
        assert "Nothing yet" not in fragment
        shown = item_ids(fragment) + shown
        next_url = earlier_url(fragment)
        pages += 1
    assert pages == 2
    assert shown == everything  # each item once, in order, back to "created"


def test_the_full_pane_has_the_same_show_earlier_control(desk):
    conversation = long_conversation(desk, extra=3)
    html = client_for(desk.bob).get(f"/inbox/c/{conversation.pk}/").content.decode()
    timeline = html[html.index('id="timeline"') :]
    assert len(item_ids(timeline)) == PAGE
    assert 'id="timeline-earlier"' in timeline
    assert 'hx-target="#timeline-earlier" hx-swap="outerHTML"' in timeline


def test_a_short_conversation_has_no_show_earlier_control(desk):
    message = desk.receive(desk.whatsapp, "1", "Only one", phone="+14155552671")
    html = htmx(client_for(desk.bob), "get", f"/inbox/c/{message.conversation_id}/timeline/")
    assert b"show-earlier" not in html.content
    assert b"Only one" in html.content


def test_pages_split_items_sharing_one_instant_without_gaps_or_repeats(desk):
    conversation = desk.receive(desk.whatsapp, "1", "first", phone="+14155552671").conversation
    for index in range(6):
        MessageFactory(conversation=conversation, endpoint=desk.whatsapp, text=f"m{index}")
        ConversationEvent.objects.create(conversation=conversation, kind="tags_changed")
    instant = timezone.now()
    conversation.messages.update(created_at=instant)
    conversation.events.update(created_at=instant)

    seen: list[str] = []
    cursor = None
    while True:
        page = selectors.conversation_timeline(conversation=conversation, limit=4, before=cursor)
        seen = [f"{item.kind}-{item.item.pk}" for item in page.items] + seen
        cursor = page.earlier_cursor
        if cursor is None:
            break
    assert seen == expected_order(conversation)


def test_customer_history_pages_back_too(desk):
    conversation = long_conversation(desk, extra=4)
    bob = client_for(desk.bob)
    url = f"/inbox/c/{conversation.pk}/timeline/?history=1"
    latest = htmx(bob, "get", url).content.decode()
    next_url = earlier_url(latest)
    assert next_url is not None and "history=1" in next_url
    earlier = htmx(bob, "get", next_url).content.decode()
    assert item_ids(earlier) + item_ids(latest) == expected_order(conversation)
    assert 'class="conv-link"' in earlier


def test_show_earlier_is_behind_the_access_check(desk):
    conversation = long_conversation(desk, extra=3)
    latest = htmx(client_for(desk.bob), "get", f"/inbox/c/{conversation.pk}/timeline/")
    next_url = earlier_url(latest.content.decode())
    assert htmx(client_for(desk.alice), "get", next_url).status_code == 404


def test_reopening_without_new_activity_keeps_the_read_marker(desk):
    message = desk.receive(desk.whatsapp, "1", "Hi", phone="+14155552671")
    bob = client_for(desk.bob)
    url = f"/inbox/c/{message.conversation_id}/timeline/"
    htmx(bob, "get", url)
    marker = ReadMarker.objects.get(user=desk.bob, conversation_id=message.conversation_id)
    first_read_at = marker.read_at

    htmx(bob, "get", url)
    marker.refresh_from_db()
    assert marker.read_at == first_read_at  # nothing new: no write

    desk.receive(desk.whatsapp, "2", "Anyone?", phone="+14155552671")
    htmx(bob, "get", url)
    marker.refresh_from_db()
    assert marker.read_at > first_read_at
    listing = htmx(bob, "get", "/inbox/list/?view=teams").content
    assert b"unread-badge" not in listing
