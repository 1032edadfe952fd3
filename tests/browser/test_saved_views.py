"""Saved views (Chromium): an agent narrows the list, saves it as a view, sees it as a
tab with its count; the count goes up when a matching conversation arrives, and the tab
opens the list with the view's filters."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from agents.models import Team
from channels_app.models import ChannelEndpoint
from tests.browser.conftest import login, new_page, off_loop, screenshot
from tests.factories import EndpointFactory, make_agent
from tests.routing.conftest import receive
from workspace.models import SavedView

pytestmark = pytest.mark.browser


def build_desk() -> tuple[ChannelEndpoint, ChannelEndpoint]:
    email = EndpointFactory(kind=ChannelEndpoint.Kind.EMAIL, name="Mailbox")
    api = EndpointFactory(kind=ChannelEndpoint.Kind.API, name="Shop")
    team = Team.objects.create(name="Support")
    team.endpoints.add(email, api)
    make_agent(username="ann", first_name="Ann", teams=[team])
    receive(email, "e1", "Invoice question")
    receive(api, "a1", "Where is my parcel?")
    return email, api


def test_save_a_view_see_its_tab_and_count_follow_new_conversations(
    live_server_asgi, browser, settings
):
    settings.OMNIDESK_SAVED_VIEW_COUNT_SECONDS = 1
    email, _api = off_loop(build_desk)
    page = new_page(browser)
    try:
        login(page, live_server_asgi, "ann")
        page.goto(f"{live_server_asgi.url}/inbox/?view=teams")
        page.select_option("#filters select[name=channel]", "email")
        expect(page.locator("#conversation-list")).not_to_contain_text("Where is my parcel?")
        page.goto(f"{live_server_asgi.url}/inbox/?view=teams&channel=email")

        page.locator(".save-view summary").click()
        page.fill("#save-view-name", "Email")
        page.locator("#save-view-form").get_by_role("button", name="Save").click()
        tab = page.locator(".saved-view-tab", has_text="Email")
        expect(tab.locator(".saved-view-count")).to_have_text("1")
        view = SavedView.objects.get(name="Email")
        assert view.filters == {"status": "open", "channel": "email"}

        off_loop(receive, email, "e2", "Another invoice", identities={"email": "b@example.com"})
        expect(tab.locator(".saved-view-count")).to_have_text("2", timeout=20_000)
        screenshot(page, "saved-view-tab")

        tab.click()
        page.wait_for_url("**saved=*")
        expect(page.locator("#conversation-list")).to_contain_text("Another invoice")
        expect(page.locator("#conversation-list")).not_to_contain_text("Where is my parcel?")
        expect(page.locator(".saved-view-tab.active")).to_contain_text("Email")
    finally:
        page.context.close()
