"""The list lives without asking the server: a changed conversation's row arrives
rendered and the page places it, moves it between tabs and corrects the counts by
itself; only a lost event makes it fetch, and then only its own view."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from conversations.services import assign_conversation
from tests.browser.conftest import login, new_page, off_loop
from tests.inbox.conftest import build_desk

pytestmark = pytest.mark.browser


def watch_requests(page) -> list[str]:
    """Every list, counts and pane request the page makes from now on."""
    seen: list[str] = []
    page.on(
        "request",
        lambda request: seen.append(request.url) if "/inbox/" in request.url else None,
    )
    return seen


def open_tab(page, view: str) -> None:
    page.click(f"label.tab:has(input[value={view}])")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    # Open is not greeted: the sequence numbers the page goes by arrive with the hello.
    page.wait_for_function("() => window.omnideskInbox.greeted")
    expect(page.locator(f"#count-{view}")).not_to_have_text("")


def test_a_row_moves_between_tabs_and_counts_change_without_a_request(live_server_asgi, browser):
    desk = off_loop(build_desk)
    page = new_page(browser)
    login(page, live_server_asgi, "bob")
    open_tab(page, "unassigned")
    expect(page.locator("#count-unassigned")).to_have_text("0")
    expect(page.locator("#count-mine")).to_have_text("0")
    requests = watch_requests(page)

    message = off_loop(
        desk.receive, desk.whatsapp, "1", "Where is my parcel?", phone="+14155552671"
    )
    row = page.locator(f"#row-{message.conversation_id}")
    expect(row).to_contain_text("Where is my parcel?")
    expect(row).to_have_class("row unread")
    expect(page.locator("#count-unassigned")).to_have_text("1")
    expect(page.locator("#count-teams")).to_have_text("1")

    # Sam gives it to Bob: it leaves Unassigned and joins Mine, live.
    off_loop(
        lambda: assign_conversation(
            conversation=message.conversation, agent=desk.bob, actor=desk.sam
        )
    )
    expect(row).to_have_count(0)
    expect(page.locator("#count-unassigned")).to_have_text("0")
    expect(page.locator("#count-mine")).to_have_text("1")
    expect(page.locator("#count-teams")).to_have_text("1")
    expect(page).to_have_title("(1) Inbox · Omnidesk")
    assert requests == [], requests  # nothing fetched: the events carried it all

    open_tab(page, "mine")
    expect(page.locator(f"#row-{message.conversation_id}")).to_contain_text("Where is my parcel?")
    page.context.close()


def test_newer_activity_moves_a_row_to_the_top(live_server_asgi, browser):
    desk = off_loop(build_desk)
    first = off_loop(desk.receive, desk.whatsapp, "1", "First customer", phone="+14155550001")
    off_loop(desk.receive, desk.whatsapp, "2", "Second customer", phone="+14155550002")
    page = new_page(browser)
    login(page, live_server_asgi, "bob")
    open_tab(page, "teams")
    rows = page.locator("#conversation-list > li.row")
    expect(rows.first).to_contain_text("Second customer")
    requests = watch_requests(page)

    off_loop(desk.receive, desk.whatsapp, "3", "First again", phone="+14155550001")
    expect(rows.first).to_contain_text("First again")
    expect(rows).to_have_count(2)
    assert rows.first.get_attribute("id") == f"row-{first.conversation_id}"
    expect(page.locator("#count-teams")).to_have_text("2")
    assert requests == [], requests
    page.context.close()


def test_a_lost_event_resyncs_only_the_view_on_screen(live_server_asgi, browser):
    desk = off_loop(build_desk)
    page = new_page(browser)
    login(page, live_server_asgi, "bob")
    open_tab(page, "unassigned")
    requests = watch_requests(page)
    root = page.locator("#inbox")

    # As when Channels drops events on a full queue: the next one shows a gap.
    page.evaluate(
        "() => { const s = window.omnideskInbox.seqs;"
        " Object.keys(s).forEach((g) => { if (g.startsWith('inbox.team.')) s[g] -= 2; }); }"
    )
    off_loop(desk.receive, desk.whatsapp, "1", "After the gap", phone="+14155552671")
    expect(page.locator("#conversation-list")).to_contain_text("After the gap")
    expect(root).to_have_attribute("data-gaps", "1")
    expect(root).to_have_attribute("data-list-refreshes", "1")
    lists = [url for url in requests if "/inbox/list/" in url]
    counts = [url for url in requests if "/inbox/counts/" in url]
    assert len(lists) == 1 and "view=unassigned" in lists[0], requests
    assert len(counts) == 1, requests
    assert not [url for url in requests if "/inbox/c/" in url]  # no pane is open
    page.context.close()


def test_a_burst_of_changes_is_applied_without_a_single_request(live_server_asgi, browser):
    desk = off_loop(build_desk)
    page = new_page(browser)
    login(page, live_server_asgi, "bob")
    open_tab(page, "teams")
    requests = watch_requests(page)

    def burst() -> None:
        for number in range(12):
            desk.receive(
                desk.whatsapp, f"b{number}", f"Burst {number}", phone=f"+1415555{number:04d}"
            )

    off_loop(burst)
    expect(page.locator("#conversation-list > li.row")).to_have_count(12)
    expect(page.locator("#count-teams")).to_have_text("12")
    expect(page.locator("#conversation-list > li.row").first).to_contain_text("Burst 11")
    assert page.locator("#inbox").get_attribute("data-list-refreshes") == "0"
    assert requests == [], requests
    page.context.close()
