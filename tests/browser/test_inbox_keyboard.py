"""Working from the keyboard: next conversation, assign to me, canned responses by
/shortcut, drafts kept per conversation, resolve."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from conversations.models import CannedResponse, Conversation
from tests.browser.conftest import login, new_page, off_loop
from tests.inbox.conftest import build_desk

pytestmark = pytest.mark.browser


def test_agent_works_a_conversation_from_the_keyboard(live_server_asgi, browser):
    def setup():
        desk = build_desk()
        desk.receive(desk.whatsapp, "1", "First customer", phone="+14155550001")
        desk.receive(desk.sms, "2", "Second customer", phone="+14155550002")
        CannedResponse.objects.create(
            shortcut="thanks", title="Thanks", text="Thank you for your patience!"
        )
        return desk

    desk = off_loop(setup)
    page = new_page(browser)
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    login(page, live_server_asgi, "bob")
    page.click("label.tab:has(input[value=teams])")  # stays put when assigned
    expect(page.locator("#conversation-list .row")).to_have_count(2)
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")

    rows = page.locator("#conversation-list .row")
    first_id = rows.nth(0).get_attribute("data-conversation-id")
    second_id = rows.nth(1).get_attribute("data-conversation-id")
    page.locator("body").press("j")  # the first conversation in the list
    expect(page.locator("#conversation")).to_have_attribute("data-conversation-id", first_id)
    first = Conversation.objects.get(pk=first_id)

    page.locator("body").press("a")  # assign to me
    expect(page.locator("#assign-agent")).to_have_value(str(desk.bob.pk))

    # A draft survives switching conversations.
    page.locator("body").press("r")
    expect(page.locator("#composer-text")).to_be_focused()
    page.keyboard.type("Half-written answer")
    page.keyboard.press("Escape")
    page.locator("body").press("j")
    expect(page.locator("#conversation")).to_have_attribute("data-conversation-id", second_id)
    expect(page.locator("#composer-text")).to_have_value("")
    page.locator("body").press("k")
    expect(page.locator("#conversation")).to_have_attribute("data-conversation-id", first_id)
    expect(page.locator("#composer-text")).to_have_value("Half-written answer")

    # Canned response: "/tha" offers it, Enter inserts it.
    page.fill("#composer-text", "")
    page.locator("#composer-text").type("/tha")
    expect(page.locator("#canned-menu")).to_contain_text("/thanks")
    page.locator("#composer-text").press("Enter")
    expect(page.locator("#composer-text")).to_have_value("Thank you for your patience!")
    page.keyboard.press("Escape")

    page.locator("body").press("e")  # resolve
    expect(page.locator("#conversation-status")).to_have_text("Resolved")
    # Everything above ran under the inbox's strict CSP: no inline script or style.
    assert not [text for text in console if "Content Security Policy" in text]
    first.refresh_from_db()
    assert first.status == Conversation.Status.RESOLVED
    assert first.assignee_id == desk.bob.pk
    page.context.close()
