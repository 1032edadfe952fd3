"""A long conversation opens on its latest messages; "Show earlier messages" loads the
previous ones above, without moving what the agent was reading, back to the start."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from conversations import selectors
from conversations.models import ConversationEvent, Message
from tests.browser.conftest import login, new_page, off_loop
from tests.factories import MessageFactory
from tests.inbox.conftest import build_desk

pytestmark = pytest.mark.browser

PAGE = selectors.TIMELINE_PAGE_ITEMS
TOTAL = PAGE * 2 + 5  # three pages of messages


def test_show_earlier_messages_loads_older_items_above_in_place(live_server_asgi, browser):
    def setup() -> int:
        desk = build_desk()
        first = desk.receive(desk.whatsapp, "0", "Long thread 0", phone="+14155550001")
        start = timezone.now() - timedelta(days=1)
        Message.objects.filter(pk=first.pk).update(created_at=start)
        ConversationEvent.objects.filter(conversation=first.conversation).update(created_at=start)
        for index in range(1, TOTAL):
            MessageFactory(
                conversation=first.conversation,
                endpoint=desk.whatsapp,
                text=f"Long thread {index}",
                created_at=start + timedelta(minutes=index),
            )
        return first.conversation_id

    conversation_id = off_loop(setup)
    page = new_page(browser)
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    login(page, live_server_asgi, "bob")
    page.goto(f"{live_server_asgi.url}/inbox/c/{conversation_id}/")
    messages = page.locator("#timeline .item.message")
    expect(messages).to_have_count(PAGE)
    expect(messages.last).to_contain_text(f"Long thread {TOTAL - 1}")
    expect(page.locator("#timeline")).not_to_contain_text("Long thread 0\n")

    reading = page.locator(f"#timeline .item.message:has-text('Long thread {TOTAL - PAGE}')")
    page.click("#show-earlier")
    expect(messages).to_have_count(PAGE * 2)
    # The agent still sees what they were reading: older items went in above it.
    expect(reading).to_be_in_viewport()
    page.click("#show-earlier")
    expect(messages).to_have_count(TOTAL)
    expect(messages.first).to_contain_text("Long thread 0")
    expect(page.locator("#show-earlier")).to_have_count(0)
    expect(page.locator("#timeline .item.event")).to_have_count(1)  # "created", once
    texts = messages.locator(".body").all_inner_texts()
    assert texts == [f"Long thread {index}" for index in range(TOTAL)]
    assert not [text for text in console if "Content Security Policy" in text]
    page.context.close()
