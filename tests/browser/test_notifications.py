"""Notifications in Chromium: the agent turns them on from the inbox's own banner (once:
the answer is remembered), then a conversation a colleague assigns to her shows a
browser notification with the customer and an excerpt, with her sound on a beep;
clicking it opens the conversation. A note that @mentions her notifies her too, and the
@ autocomplete offers only agents who see the conversation."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from agents.models import AgentProfile, Team
from conversations.services import assign_conversation
from tests.browser.conftest import login, new_page, off_loop, screenshot
from tests.factories import EndpointFactory, make_agent
from tests.routing.conftest import receive

pytestmark = pytest.mark.browser

# Records every `new Notification(...)` the page makes (Chromium headless shows none).
RECORD_NOTIFICATIONS = """
(() => {
  const Real = window.Notification;
  window.__shown = [];
  class Recorded extends Real {
    constructor(title, options) {
      super(title, options);
      const { body = "", tag = "" } = options || {};
      window.__shown.push({ title, body, tag });
      window.__lastNotification = this;
    }
  }
  Object.defineProperty(Recorded, "permission", { get: () => Real.permission });
  Recorded.requestPermission = (callback) => Real.requestPermission(callback);
  window.Notification = Recorded;
})();
"""


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} within {timeout} s")
        time.sleep(0.05)


def build_desk():
    endpoint = EndpointFactory(name="Shop")
    other_endpoint = EndpointFactory(name="Other shop")
    team = Team.objects.create(name="Support", assignment_strategy=Team.Strategy.MANUAL)
    team.endpoints.add(endpoint)
    others = Team.objects.create(name="Elsewhere")
    others.endpoints.add(other_endpoint)
    ann = make_agent(username="ann", first_name="Ann", teams=[team])
    ben = make_agent(username="ben", first_name="Ben", teams=[team])
    make_agent(username="eve", first_name="Eve", teams=[others])
    return endpoint, ann, ben


def test_an_assignment_and_a_mention_show_browser_notifications(live_server_asgi, browser):
    endpoint, ann, ben = off_loop(build_desk)
    page = new_page(browser)
    page.context.grant_permissions(["notifications"], origin=live_server_asgi.url)
    page.context.add_init_script(RECORD_NOTIFICATIONS)
    try:
        notified(live_server_asgi, browser, endpoint, ann, ben, page)
    finally:
        page.context.close()


def notified(server, browser, endpoint, ann, ben, page) -> None:
    # Permission not yet asked in this browser: the page offers, once.
    page.context.clear_permissions()
    login(page, server, "ann")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    offer = page.locator("#notify-offer")
    expect(offer).to_be_visible()
    page.context.grant_permissions(["notifications"], origin=server.url)
    page.click("#notify-enable")
    expect(offer).to_be_hidden()
    wait_for(
        lambda: page.evaluate("localStorage.getItem('omnidesk:notifications-asked')") == "granted",
        "the answer remembered",
    )
    AgentProfile.objects.filter(user=ann).update(notify_sound=True)
    page.reload()
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    expect(page.locator("#notify-offer")).to_be_hidden()  # not asked again

    conversation = off_loop(receive, endpoint, "m1", "My parcel never arrived")
    off_loop(assign_conversation, conversation=conversation, agent=ann, actor=ben)

    wait_for(
        lambda: any(
            n["title"].startswith("Assigned to you") for n in page.evaluate("window.__shown")
        ),
        "a notification of the assignment",
    )
    shown = [n for n in page.evaluate("window.__shown") if n["title"].startswith("Assigned")]
    assert shown[0]["body"] == "My parcel never arrived"
    assert shown[0]["tag"] == f"omnidesk-assigned-{conversation.pk}"
    assert page.evaluate("window.omnideskNotifications.beeps") >= 1  # the sound is on
    screenshot(page, "notification-assigned")

    # Clicking it opens the conversation.
    page.evaluate("window.__lastNotification.onclick()")
    expect(page.locator("#conversation")).to_have_attribute(
        "data-conversation-id", str(conversation.pk)
    )

    # Ben mentions Ann in a note, with the autocomplete (which never offers Eve).
    ben_page = new_page(browser)
    try:
        login(ben_page, server, "ben")
        ben_page.goto(f"{server.url}/inbox/c/{conversation.pk}/")
        ben_page.check("#composer input[name=mode][value=note]")
        ben_page.locator("#composer-text").press_sequentially("Please look @")
        menu = ben_page.locator("#mention-menu")
        expect(menu).to_be_visible()
        expect(menu).to_contain_text("@ann")
        expect(menu).not_to_contain_text("@eve")
        ben_page.locator("#composer-text").press_sequentially("a")
        expect(menu.locator("li")).to_have_count(1)
        ben_page.locator("#composer-text").press("Enter")
        expect(ben_page.locator("#composer-text")).to_have_value("Please look @ann ")
        ben_page.click("#send-button")
        expect(ben_page.locator("#timeline .mention").first).to_have_text("@ann")
    finally:
        ben_page.context.close()

    wait_for(
        lambda: any(
            n["title"] == "Ben mentioned you in a note" for n in page.evaluate("window.__shown")
        ),
        "a notification of the mention",
    )
