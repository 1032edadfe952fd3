"""Bulk work in the list (Chromium): the agent ticks one row and shift-clicks a third,
resolves the three at once, sees "3 resolved" and the rows leave the Open list live;
Undo puts each back as it was. "Select all matching" acts on the filter, not the page."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from agents.models import Team
from conversations.models import Conversation
from tests.browser.conftest import login, new_page, off_loop, screenshot
from tests.factories import EndpointFactory, make_agent
from tests.routing.conftest import receive

pytestmark = pytest.mark.browser


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} within {timeout} s")
        time.sleep(0.05)


def build_desk() -> list[Conversation]:
    endpoint = EndpointFactory(name="Shop")
    team = Team.objects.create(name="Support", assignment_strategy=Team.Strategy.MANUAL)
    team.endpoints.add(endpoint)
    make_agent(username="ann", first_name="Ann", teams=[team])
    return [receive(endpoint, f"m{n}", f"Question number {n}") for n in range(4)]


def statuses(conversations: list[Conversation]) -> list[str]:
    found = dict(Conversation.objects.values_list("pk", "status"))
    return [found[c.pk] for c in conversations]


def test_bulk_resolve_three_from_the_list_and_undo(live_server_asgi, browser):
    conversations = off_loop(build_desk)
    page = new_page(browser)
    try:
        login(page, live_server_asgi, "ann")
        page.goto(f"{live_server_asgi.url}/inbox/?view=teams&status=open")
        expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
        rows = page.locator("#conversation-list li.row")
        expect(rows).to_have_count(4)
        expect(page.locator("#bulk-bar")).to_be_hidden()

        # Newest first: rows 0..2 are conversations 3, 2, 1.
        rows.nth(0).locator(".bulk-check").click()
        rows.nth(2).locator(".bulk-check").click(modifiers=["Shift"])
        expect(page.locator("#bulk-count")).to_have_text("3 selected")
        expect(page.locator("#conversation-list li.row.selected")).to_have_count(3)
        chosen = [conversations[3], conversations[2], conversations[1]]
        screenshot(page, "bulk-three-selected")

        page.click("#bulk-resolve")
        expect(page.locator("#bulk-summary")).to_have_text("3 resolved")
        wait_for(lambda: statuses(chosen) == ["resolved"] * 3, "three resolved")
        assert statuses([conversations[0]]) == ["open"]
        expect(rows).to_have_count(1)  # they left the Open list, live
        screenshot(page, "bulk-resolved-with-undo")

        page.click("#bulk-undo")
        expect(page.locator("#bulk-summary")).to_have_text("3 undone")
        wait_for(lambda: statuses(chosen) == ["open"] * 3, "three open again")
        expect(rows).to_have_count(4)

        # All matching: the page's four rows, then the filter (here the same four).
        page.locator("#bulk-page").click()
        expect(page.locator("#bulk-count")).to_have_text("4 selected")
        page.click("#bulk-matching")
        expect(page.locator("#bulk-count")).to_have_text("Every conversation matching this filter")
        page.select_option("#bulk-priority", "3")
        expect(page.locator("#bulk-summary")).to_have_text("4 re-prioritised")
        wait_for(
            lambda: set(Conversation.objects.values_list("priority", flat=True)) == {3},
            "all four urgent",
        )
    finally:
        page.context.close()
