"""A new desk's first hour, in Chromium: the demo is loaded, the supervisor and an agent
each land on a tab with work in it, a message posted through the API appears on both
screens without a click, and every chart of the reports has data."""

from __future__ import annotations

import io
import json
import urllib.request

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from playwright.sync_api import expect
from rest_framework.authtoken.models import Token

from channels_app.models import ChannelEndpoint
from omnidesk.demo import DEMO_PASSWORD
from tests.browser.conftest import login, new_page, off_loop, screenshot

pytestmark = pytest.mark.browser

NEW_MESSAGE = "Hello! Does the Trailhead 2 tent fit two people and their backpacks inside?"
EMPTY_CHART_NOTICES = (
    "Nothing in this period.",
    "No answers in this period.",
    "No conversation changed channels in this period.",
)


def post_inbound(server_url: str, token: str, payload: dict) -> int:
    request = urllib.request.Request(
        f"{server_url}/api/v1/inbound/",
        data=json.dumps(payload).encode(),
        method="POST",
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status


def test_a_new_message_shows_on_each_opening_tab_and_every_report_has_data(
    live_server_asgi, browser
):
    output = io.StringIO()
    off_loop(call_command, "seed_demo", stdout=output)
    assert f"(password {DEMO_PASSWORD})" in output.getvalue()
    supervisor = get_user_model().objects.get(username="supervisor")
    # The shop's order system posts with a token of a user allowed to (the supervisor's
    # here); its endpoint belongs to Support, Alice's team.
    token = Token.objects.get_or_create(user=supervisor)[0].key
    shop = ChannelEndpoint.objects.get(kind=ChannelEndpoint.Kind.API)
    assert shop.teams.filter(members__username="alice").exists()

    desk = new_page(browser)
    agent = new_page(browser)
    try:
        login(desk, live_server_asgi, "supervisor", DEMO_PASSWORD)
        login(agent, live_server_asgi, "alice", DEMO_PASSWORD)
        for page in (desk, agent):
            expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
            # Neither has open work of their own: both open on the queue, which has some.
            expect(page.locator('input[name=view][value="unassigned"]')).to_be_checked()
            expect(page.locator("#conversation-list .row").first).to_be_visible()
            expect(page.locator("#conversation-list")).not_to_contain_text(NEW_MESSAGE)

        status = post_inbound(
            live_server_asgi.url,
            token,
            {
                "endpoint": shop.key,
                "id": "first-hour-1",
                "from": {"name": "Robin Ellis", "email": "robin.ellis@example.com"},
                "text": NEW_MESSAGE,
            },
        )
        assert status == 202

        for page, name in ((desk, "supervisor"), (agent, "agent")):
            row = page.locator("#conversation-list .row", has_text="Robin Ellis")
            expect(row).to_contain_text(NEW_MESSAGE[:40])
            expect(page.locator('input[name=view][value="unassigned"]')).to_be_checked()
            screenshot(page, f"first-hour-{name}")

        desk.goto(f"{live_server_asgi.url}/reports/")
        expect(desk.locator('.headline[data-metric="conversations"] .value')).not_to_have_text("0")
        # Seven charts; the channel handoff matrix is drawn only when it has data.
        expect(desk.locator("svg.chart")).to_have_count(7)
        for notice in EMPTY_CHART_NOTICES:
            expect(desk.locator("main.reports")).not_to_contain_text(notice)
        assert desk.locator("svg.chart rect.series").count() > 0  # bars and histograms
        assert desk.locator("svg.chart circle.point").count() > 0  # the CSAT trend
        screenshot(desk, "first-hour-reports")
    finally:
        desk.context.close()
        agent.context.close()
