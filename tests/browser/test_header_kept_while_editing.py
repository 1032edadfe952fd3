"""A colleague's change to the open conversation does not wipe what the agent is typing
in its header: the live refresh of the header waits until they are done, then comes."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from conversations.models import Conversation
from conversations.services import changes
from tests.browser.conftest import login, new_page, off_loop
from tests.browser.test_custom_attributes import build_desk, wait_for
from tests.factories import make_agent

pytestmark = pytest.mark.browser


def _colleague_raises_the_priority(conversation_id: int) -> None:
    colleague = make_agent(username="cole", first_name="Cole")
    changes.change_conversation(
        conversation=Conversation.objects.get(pk=conversation_id),
        actor=colleague,
        priority=Conversation.Priority.URGENT,
    )


def test_a_live_change_waits_while_the_agent_types_in_the_header(live_server_asgi, browser):
    conversation = off_loop(build_desk)
    page = new_page(browser)
    try:
        login(page, live_server_asgi, "ann")
        page.goto(f"{live_server_asgi.url}/inbox/c/{conversation.pk}/")
        page.wait_for_function("() => window.omnideskInbox && window.omnideskInbox.greeted")
        order = page.locator("#conversation-attributes [name=attr-order_id]")
        order.fill("A-10")

        off_loop(_colleague_raises_the_priority, conversation.pk)
        page.wait_for_timeout(1500)  # the refresh the change asks for is due within a second
        expect(order).to_have_value("A-10")  # not replaced under the agent's hands
        order.fill("A-1042")
        page.locator("#conversation-attributes").get_by_role(
            "button", name="Save attributes"
        ).click()
        wait_for(
            lambda: (
                Conversation.objects.get(pk=conversation.pk).attributes == {"order_id": "A-1042"}
            ),
            "the conversation's attribute stored",
        )
        # Done typing: the colleague's change reaches the header after all.
        page.locator("#timeline").click()
        expect(page.locator("#conversation-header select[name=priority]")).to_have_value(
            str(Conversation.Priority.URGENT)
        )
    finally:
        page.context.close()
