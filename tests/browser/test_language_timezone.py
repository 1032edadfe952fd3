"""Language and time zone in Chromium: an agent switches to Spanish and Madrid time in
the Preferences dialog and the inbox comes back in Spanish; a message's time reads in
her zone, a colleague in New York reads the same message at his local time, and a
message arriving live (rendered once for everyone) is shown in each one's own zone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from agents.models import AgentProfile, Team
from conversations.services import receive_message
from tests.browser.conftest import login, new_page, off_loop, screenshot
from tests.conftest import inbound
from tests.factories import EndpointFactory, make_agent

pytestmark = pytest.mark.browser

FIRST = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
LATER = datetime(2026, 1, 15, 15, 30, tzinfo=UTC)


def build_desk():
    endpoint = EndpointFactory(name="Shop")
    team = Team.objects.create(name="Support", assignment_strategy=Team.Strategy.MANUAL)
    team.endpoints.add(endpoint)
    make_agent(username="ana", first_name="Ana", teams=[team])
    ben = make_agent(username="ben", first_name="Ben", teams=[team])
    AgentProfile.objects.filter(user=ben).update(time_zone="America/New_York")
    message = receive_message(
        endpoint=endpoint,
        inbound=inbound("m1", "¿Dónde está mi pedido?", email="dana@example.com"),
        received_at=FIRST,
    )
    return endpoint, message.conversation_id


def message_time(page, text: str):
    return page.locator("#timeline li.message", has_text=text).locator("time")


def test_switch_to_spanish_and_see_times_in_each_agents_zone(live_server_asgi, browser):
    endpoint, conversation_id = off_loop(build_desk)
    ana, ben = new_page(browser), new_page(browser)
    try:
        login(ana, live_server_asgi, "ana")
        expect(ana.locator("#preferences-toggle")).to_have_text("Preferences")
        ana.click("#preferences-toggle")
        ana.select_option("#preferences-language", "es")
        ana.fill("#preferences-time-zone", "Europe/Madrid")
        with ana.expect_navigation():
            ana.click("#preferences-save")
        expect(ana.locator("html")).to_have_attribute("lang", "es")
        expect(ana.locator("#preferences-toggle")).to_have_text("Preferencias")
        expect(ana.locator(".view-tabs")).to_contain_text("Mis equipos")
        expect(ana.locator("button", has_text="Cerrar sesión")).to_be_visible()
        expect(ana.locator("#search")).to_have_attribute(
            "placeholder", "Buscar mensajes, nombres, correos, teléfonos"
        )
        profile = AgentProfile.objects.get(user__username="ana")
        assert (profile.language, profile.time_zone) == ("es", "Europe/Madrid")

        url = f"{live_server_asgi.url}/inbox/c/{conversation_id}/"
        ana.goto(url)
        login(ben, live_server_asgi, "ben")
        ben.goto(url)
        expect(message_time(ana, "pedido")).to_have_text("15 ene, 13:00")
        expect(message_time(ben, "pedido")).to_have_text("Jan 15, 07:00")
        for page in (ana, ben):
            expect(page.locator("#live-status")).to_have_attribute("data-state", "live")

        # Rendered once for both (in the desk's zone), shown in each one's own.
        off_loop(
            receive_message,
            endpoint=endpoint,
            inbound=inbound("m2", "Sigo esperando", email="dana@example.com"),
            received_at=LATER,
        )
        expect(message_time(ana, "Sigo esperando")).to_have_text("15 ene, 16:30")
        expect(message_time(ben, "Sigo esperando")).to_have_text("Jan 15, 10:30")
        screenshot(ana, "inbox-in-spanish-madrid-time")
    finally:
        ana.context.close()
        ben.context.close()
