"""An agent runs a macro from the composer in Chromium: the preview shows the reply with
the customer's and her own names filled in, and running it sends that reply, tags and
resolves the conversation, which the reloaded pane shows. A canned response picked in
the composer comes with the same variables filled in."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from channels_app.types import InboundMessage
from conversations.models import CannedResponse, Conversation, Message
from conversations.services import receive_message
from macros.models import Macro
from tests.browser.conftest import login, new_page, off_loop, screenshot
from tests.factories import EndpointFactory, TeamFactory, make_agent

pytestmark = pytest.mark.browser


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} within {timeout} s")
        time.sleep(0.05)


def build_desk():
    shop = EndpointFactory(kind="api", name="Shop")
    team = TeamFactory(name="Support", endpoints=[shop])
    alice = make_agent(username="alice", first_name="Alice", last_name="Liddell", teams=[team])
    Macro.objects.create(
        name="Refund sent",
        owner=alice,
        visibility=Macro.Visibility.TEAM,
        team=team,
        actions=[
            {
                "type": "reply",
                "text": "Hi {{customer.first_name}}, your refund is on its way. "
                "{{agent.first_name}}",
            },
            {"type": "add_tags", "tags": ["refund"]},
            {"type": "status", "status": "resolved"},
        ],
    )
    return receive_message(
        endpoint=shop,
        inbound=InboundMessage(
            provider_id="shop-1",
            identities={"email": "dana@example.com"},
            text="Where is my refund?",
            sender_name="Dana Scully",
        ),
    ).conversation


def test_an_agent_previews_and_runs_a_macro_from_the_composer(live_server_asgi, browser):
    conversation = off_loop(build_desk)
    page = new_page(browser)
    try:
        login(page, live_server_asgi, "alice")
        page.goto(f"{live_server_asgi.url}/inbox/c/{conversation.pk}/")
        page.locator("#macro-picker summary").click()
        page.select_option("#macro-select", label="Refund sent")

        preview = page.locator("#macro-preview")
        expect(preview).to_contain_text("Hi Dana, your refund is on its way. Alice")
        expect(preview).to_contain_text("Add tags: refund")
        expect(preview).to_contain_text("Set status: Resolved")
        expect(page.locator("#run-macro")).to_be_enabled()
        screenshot(page, "macro-preview")
        page.click("#run-macro")

        expect(
            page.locator("#timeline .item.message", has_text="Hi Dana, your refund is on its way.")
        ).to_be_visible()
        screenshot(page, "macro-ran")
    finally:
        page.context.close()

    def ran() -> bool:
        current = Conversation.objects.get(pk=conversation.pk)
        return (
            current.status == Conversation.Status.RESOLVED
            and current.tags.filter(name="refund").exists()
        )

    wait_for(ran, "the conversation tagged and resolved")
    # (Resolving also sends the satisfaction survey, a bot message.)
    reply = Message.objects.get(direction=Message.Direction.OUTBOUND, kind=Message.Kind.AGENT)
    assert reply.text == "Hi Dana, your refund is on its way. Alice"
    assert reply.delivery_status == Message.DeliveryStatus.SENT


def test_a_canned_response_is_inserted_with_its_variables_filled(live_server_asgi, browser):
    conversation = off_loop(build_desk)
    CannedResponse.objects.create(
        shortcut="thanks",
        title="Thanks",
        text="Thanks {{customer.first_name}}, I'm on it. {{agent.first_name}} {{oops}}",
    )
    page = new_page(browser)
    try:
        login(page, live_server_asgi, "alice")
        page.goto(f"{live_server_asgi.url}/inbox/c/{conversation.pk}/")
        page.click("#composer-text")
        page.keyboard.type("/than")
        page.locator("#canned-menu li", has_text="/thanks").click()

        # An unknown variable stays visible for the agent to fix before sending.
        expect(page.locator("#composer-text")).to_have_value(
            "Thanks Dana, I'm on it. Alice {{oops}}"
        )
    finally:
        page.context.close()
