"""The agent UI in German beyond the page chrome: an agent switches to German in the
Preferences dialog and sees the timeline's items, the customer sidebar and the strings
the scripts write (the tab title, the list row's "Unassigned" and the timeline's "Split
from here", translated in the browser from the /jsi18n/ catalogue because that markup is
rendered once for every agent) in German."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from agents.models import Team
from conversations.services import receive_message
from tests.browser.conftest import login, new_page, off_loop, screenshot
from tests.conftest import inbound
from tests.factories import EndpointFactory, make_agent

pytestmark = pytest.mark.browser


def build_desk() -> int:
    endpoint = EndpointFactory(name="Shop")
    team = Team.objects.create(name="Support", assignment_strategy=Team.Strategy.MANUAL)
    team.endpoints.add(endpoint)
    make_agent(username="greta", first_name="Greta", teams=[team])
    message = receive_message(
        endpoint=endpoint,
        inbound=inbound("m1", "Wo ist mein Paket?", email="dana@example.com"),
    )
    return message.conversation_id


def test_switch_to_german_translates_timeline_sidebar_and_script_strings(live_server_asgi, browser):
    conversation_id = off_loop(build_desk)
    page = new_page(browser)
    try:
        login(page, live_server_asgi, "greta")
        page.click("#preferences-toggle")
        page.select_option("#preferences-language", "de")
        with page.expect_navigation():
            page.click("#preferences-save")
        expect(page.locator("html")).to_have_attribute("lang", "de")

        page.goto(f"{live_server_asgi.url}/inbox/c/{conversation_id}/")
        # A timeline item (shared markup, translated by static/js/i18n.js).
        message = page.locator("#timeline li.message", has_text="Paket")
        expect(message.locator("button.split")).to_have_text("Ab hier abtrennen")
        expect(message.locator("button.split")).to_have_attribute(
            "hx-confirm",
            "Diese Nachricht und alles danach in eine neue Unterhaltung verschieben?",
        )
        expect(page.locator("#history-toggle")).to_have_text("Gesamten Kundenverlauf anzeigen")
        # The customer sidebar (rendered per request, in the agent's language).
        expect(page.locator("#sidebar")).to_contain_text("Identitäten")
        expect(page.locator("#sidebar summary", has_text="Kunde bearbeiten")).to_be_visible()
        # Strings the scripts write.
        expect(page.locator(f"#row-{conversation_id} .assignee")).to_have_text("Nicht zugewiesen")
        expect(page).to_have_title("Posteingang · Omnidesk")
        screenshot(page, "inbox-in-german")
    finally:
        page.context.close()
