"""The visitor's network drops mid-conversation: what they write meanwhile is sent once
when it comes back, and the agent's reply sent meanwhile appears."""

from __future__ import annotations

import pytest

from conversations.models import Message
from conversations.services import send_reply
from tests.widget.browser_support import (
    agent_user,
    allow_origin,
    make_widget_endpoint,
    off_loop,
    open_pages,  # noqa: F401 (fixture)
    wait_until,
)
from tests.widget.host_page import HostSite, serve_host_site

pytestmark = pytest.mark.browser


def write(page, text: str) -> None:
    page.get_by_role("textbox", name="Write a message…").fill(text)
    page.keyboard.press("Enter")


def test_messages_written_offline_arrive_exactly_once_after_reconnect(
    live_server_asgi,
    open_pages,  # noqa: F811
):
    endpoint = make_widget_endpoint()
    site = HostSite(desk_url=live_server_asgi.url, endpoint_key=endpoint.key)
    with serve_host_site(site):
        allow_origin(endpoint, site.origin)
        visitor = open_pages()
        visitor.goto(site.url)
        visitor.get_by_role("button", name="Open chat").click()
        log = visitor.get_by_role("log")
        write(visitor, "Hello, is my order shipped?")
        first = wait_until(lambda: Message.objects.filter(text__startswith="Hello, is").first())
        log.locator(".msg.visitor:not(.pending)").first.wait_for()

        visitor.context.set_offline(True)
        visitor.get_by_text("Reconnecting…").wait_for()
        write(visitor, "Offline one")
        write(visitor, "Offline two")
        log.locator(".msg.pending").nth(1).wait_for()
        off_loop(
            send_reply,
            conversation=first.conversation,
            author=agent_user(),
            text="Yes, it left today",
        )
        assert not Message.objects.filter(text__startswith="Offline").exists()

        visitor.context.set_offline(False)
        log.get_by_text("Yes, it left today").wait_for()
        wait_until(lambda: Message.objects.filter(text__startswith="Offline").count() == 2)
        visitor.locator(".msg.pending").first.wait_for(state="detached")
        texts = list(
            Message.objects.filter(conversation=first.conversation)
            .order_by("created_at", "id")
            .values_list("text", flat=True)
        )
        assert texts == [
            "Hello, is my order shipped?",
            "Yes, it left today",
            "Offline one",
            "Offline two",
        ]

        # A reload resends nothing twice and shows each message once.
        visitor.reload()
        visitor.get_by_role("button", name="Open chat").click()
        visitor.get_by_role("log").get_by_text("Offline two").wait_for()
        assert visitor.get_by_role("log").get_by_text("Offline one").count() == 1
        assert Message.objects.filter(text="Offline one").count() == 1
