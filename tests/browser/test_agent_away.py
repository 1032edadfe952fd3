"""An agent switches to Away in the inbox header (Chromium): a new customer message
waits in the team queue instead of going to her; back Online, it is assigned to her and
shows up in her list live. Her other tab follows each change; the "s" shortcut changes
the status too."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from agents.models import AgentProfile, Team
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


def build_desk():
    endpoint = EndpointFactory(name="Shop")
    team = Team.objects.create(name="Support", assignment_strategy=Team.Strategy.LEAST_BUSY)
    team.endpoints.add(endpoint)
    ann = make_agent(username="ann", first_name="Ann", teams=[team])
    return endpoint, ann


def profile_of(user) -> AgentProfile:
    return AgentProfile.objects.get(user=user)


def test_an_away_agent_gets_no_new_conversation_until_she_is_online_again(
    live_server_asgi, browser
):
    endpoint, ann = off_loop(build_desk)
    page, other_tab = new_page(browser), new_page(browser)
    try:
        work_while_away_and_back(live_server_asgi, endpoint, ann, page, other_tab)
    finally:
        page.context.close()
        other_tab.context.close()


def work_while_away_and_back(server, endpoint, ann, page, other_tab) -> None:
    for tab in (page, other_tab):
        login(tab, server, "ann")
        expect(tab.locator("#live-status")).to_have_attribute("data-state", "live")
    wait_for(lambda: profile_of(ann).presence == "online", "Ann's inbox counted as open")

    page.select_option("#my-status", "away")
    expect(page.locator(".my-status")).to_have_attribute("data-status", "away")
    wait_for(lambda: profile_of(ann).status == "away", "Ann's Away saved")
    expect(other_tab.locator(".my-status")).to_have_attribute("data-status", "away")
    screenshot(page, "inbox-status-away")

    waiting = off_loop(receive, endpoint, "m1", "Is anyone there?")
    assert waiting.assignee is None  # she is connected, but Away
    assert waiting.team is not None

    page.select_option("#my-status", "online")
    wait_for(
        lambda: Conversation.objects.get(pk=waiting.pk).assignee_id == ann.pk,
        "the waiting conversation assigned to Ann once she is Online",
    )
    expect(page.locator("#conversation-list")).to_contain_text("Is anyone there?")
    expect(other_tab.locator(".my-status")).to_have_attribute("data-status", "online")

    # The shortcut: Online -> Away.
    page.locator("body").press("s")
    expect(page.locator(".my-status")).to_have_attribute("data-status", "away")
    wait_for(lambda: profile_of(ann).status == "away", "the shortcut's Away saved")
    assert off_loop(receive, endpoint, "m2", "Hello again?").assignee is None
