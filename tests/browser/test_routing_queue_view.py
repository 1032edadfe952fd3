"""A supervisor watches the queue view in Chromium; it updates live when a conversation
starts waiting and when an agent comes online, without a reload."""

from __future__ import annotations

import pytest

from agents.models import AgentProfile, Team
from agents.services import set_presence
from tests.browser.conftest import login, new_page
from tests.factories import EndpointFactory, make_agent
from tests.routing.conftest import receive


@pytest.mark.browser
def test_the_queue_view_refreshes_live(live_server_asgi, browser):
    endpoint = EndpointFactory(name="Shop")
    team = Team.objects.create(name="Support", assignment_strategy=Team.Strategy.LEAST_BUSY)
    team.endpoints.add(endpoint)
    make_agent(role=AgentProfile.Role.SUPERVISOR, username="sue")
    ann = make_agent(username="ann", teams=[team])
    page = new_page(browser)
    login(page, live_server_asgi, "sue")
    page.goto(f"{live_server_asgi.url}/inbox/queues/")
    page.wait_for_selector("#queues-live[data-state=live]")
    section = page.locator(f".queue-team[data-team-id='{team.pk}']")
    assert section.locator(".queue-waiting").inner_text() == "0"

    waiting = receive(endpoint, "m1", "Is anyone there?")
    assert waiting.assignee is None  # ann is offline
    page.wait_for_function(
        "id => document.querySelector(`.queue-team[data-team-id='${id}'] .queue-waiting`)"
        ".textContent === '1'",
        arg=team.pk,
        timeout=30_000,  # a loaded CI machine; the refresh itself is immediate
    )
    assert f"#{waiting.pk}" in section.inner_text()

    set_presence(user=ann, presence=AgentProfile.Presence.ONLINE)
    page.wait_for_function(
        "id => document.querySelector(`.queue-team[data-team-id='${id}'] .queue-waiting`)"
        ".textContent === '0'",
        arg=team.pk,
        timeout=30_000,  # a loaded CI machine; the refresh itself is immediate
    )
    assert "online · 1/10" in section.inner_text()
