"""A visitor on a customer's website chats through the widget; an agent answers from the
inbox in another browser; the conversation survives a reload."""

from __future__ import annotations

import pytest

from conversations.models import Message
from conversations.services import send_reply
from customers.models import Identity
from tests.browser.conftest import login, screenshot
from tests.widget.browser_support import (
    agent_user,
    allow_origin,
    csp_violations,
    make_widget_endpoint,
    off_loop,
    open_pages,  # noqa: F401 (fixture)
    wait_until,
)
from tests.widget.host_page import HostSite, serve_host_site

pytestmark = pytest.mark.browser


def test_visitor_chats_with_an_agent_and_keeps_history_after_reload(
    live_server_asgi,
    open_pages,  # noqa: F811
):
    endpoint = make_widget_endpoint(pre_chat_form={"enabled": True, "require_email": True})
    site = HostSite(desk_url=live_server_asgi.url, endpoint_key=endpoint.key)
    with serve_host_site(site):
        allow_origin(endpoint, site.origin)

        agent_page = open_pages()
        login(agent_page, live_server_asgi, "carol")

        visitor = open_pages(width=1280, height=800)
        violations = csp_violations(visitor)
        visitor.goto(site.url)
        launcher = visitor.get_by_role("button", name="Open chat")
        launcher.click()
        visitor.get_by_role("textbox", name="Name").fill("Dana Scully")
        visitor.get_by_role("textbox", name="Email").fill("dana@example.com")
        visitor.get_by_role("textbox", name="How can we help?").fill(
            "My parcel <b>never</b> arrived"
        )
        visitor.get_by_role("button", name="Start chat").click()
        log = visitor.get_by_role("log")
        log.get_by_text("My parcel <b>never</b> arrived").wait_for()

        message = wait_until(
            lambda: Message.objects.filter(text="My parcel <b>never</b> arrived").first()
        )
        customer = message.conversation.customer
        assert customer.name == "Dana Scully"
        # The typed email is a hint for the agent, and only a claimed identity (nobody
        # else had it): it joins no one, and a proven owner would take it over.
        assert customer.attributes["unverified_email"] == "dana@example.com"
        typed = Identity.objects.get(kind="email", value="dana@example.com")
        assert (typed.customer_id, typed.proof) == (customer.pk, "claimed")

        # The agent has the conversation open and sees the visitor's next words live.
        agent_page.goto(f"{live_server_asgi.url}/inbox/c/{message.conversation_id}/")
        agent_page.get_by_text("My parcel <b>never</b> arrived").first.wait_for()
        visitor.get_by_role("textbox", name="Write a message…").fill("Order 1234")
        visitor.keyboard.press("Enter")
        agent_page.get_by_text("Order 1234").first.wait_for()
        agent_page.locator("#composer-text").fill("Sorry! I am on it <script>x</script>")
        agent_page.locator("#send-button").click()

        # The inbox holds a reply written before the visitor's latest words until the
        # agent confirms it.
        sent_or_held = agent_page.locator(".message.dir-out, #send-anyway").first
        sent_or_held.wait_for()
        if agent_page.locator("#send-anyway").is_visible():
            agent_page.locator("#send-anyway").click()
        reply = log.get_by_text("Sorry! I am on it <script>x</script>")
        reply.wait_for()
        assert log.get_by_text("Carol", exact=False).count() >= 1
        screenshot(visitor, "widget-chat")

        # Closed window: a new reply shows the unread badge on the launcher.
        visitor.keyboard.press("Escape")
        off_loop(
            send_reply,
            conversation=message.conversation,
            author=agent_user(),
            text="Found it",
        )
        visitor.get_by_role("button", name="Open chat, 1 unread messages").wait_for()

        visitor.reload()
        visitor.get_by_role("button", name="Open chat").click()
        log = visitor.get_by_role("log")
        log.get_by_text("My parcel <b>never</b> arrived").wait_for()
        log.get_by_text("Sorry! I am on it <script>x</script>").wait_for()
        log.get_by_text("Found it").wait_for()
        assert visitor.get_by_role("button", name="Start chat").is_hidden()
        visitor.get_by_role("textbox", name="Write a message…").fill("Thanks!")
        visitor.keyboard.press("Enter")
        wait_until(lambda: Message.objects.filter(text="Thanks!").exists())
        assert Message.objects.filter(conversation=message.conversation).count() == 5
        assert violations == []
