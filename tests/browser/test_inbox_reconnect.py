"""The inbox page survives a dropped socket: it reconnects by itself and catches up on
what arrived meanwhile; the tab title counts the agent's unread conversations."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from conversations.services import assign_conversation
from tests.browser.conftest import login, new_page, off_loop
from tests.inbox.conftest import build_desk

pytestmark = pytest.mark.browser

CLOSE_SOCKET = (
    "() => document.getElementById('inbox')['htmx-internal-data'].webSocket.socket.close()"
)


def test_dropped_socket_reconnects_and_catches_up(live_server_asgi, browser):
    desk = off_loop(build_desk)
    page = new_page(browser)
    login(page, live_server_asgi, "bob")
    page.click("label.tab:has(input[value=unassigned])")
    status = page.locator("#live-status")
    expect(status).to_have_attribute("data-state", "live")

    page.evaluate(CLOSE_SOCKET)
    expect(status).to_have_attribute("data-state", "offline")
    off_loop(desk.receive, desk.whatsapp, "1", "Sent while you were away", phone="+14155552671")

    expect(status).to_have_attribute("data-state", "live", timeout=15_000)
    page.click("label.tab:has(input[value=unassigned])")
    expect(page.locator("#conversation-list")).to_contain_text("Sent while you were away")
    page.context.close()


def test_tab_title_counts_unread_conversations_assigned_to_me(live_server_asgi, browser):
    desk = off_loop(build_desk)
    page = new_page(browser)
    login(page, live_server_asgi, "bob")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    expect(page).to_have_title("Inbox · Omnidesk")

    def arrive_and_assign() -> None:
        message = desk.receive(desk.whatsapp, "1", "Hello?", phone="+14155552671")
        assign_conversation(conversation=message.conversation, agent=desk.bob, actor=desk.sam)

    off_loop(arrive_and_assign)
    expect(page).to_have_title("(1) Inbox · Omnidesk")
    expect(page.locator("#conversation-list")).to_contain_text("Hello?")
    page.click("#conversation-list .row a")
    expect(page.locator("#timeline")).to_contain_text("Hello?")
    expect(page).to_have_title("Inbox · Omnidesk")
    page.context.close()
