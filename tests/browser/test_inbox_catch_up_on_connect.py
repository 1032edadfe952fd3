"""What happens between an inbox page's rendering and its socket's first greeting is not
lost: a message that arrives in the open conversation, and a new conversation in the
agent's queue, while the page is still connecting both appear once it is greeted.

The socket is held back (Playwright routes it and connects it to the server only after
the events), which is what a slow network or a busy server does to a page that has just
loaded."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from agents.models import AgentProfile
from channels_app.models import ChannelEndpoint
from channels_app.types import InboundMessage
from conversations.services import receive_message
from tests.browser.conftest import PASSWORD, login, new_page, off_loop
from tests.browser.test_reply_attachments import build_desk
from tests.factories import make_agent

pytestmark = pytest.mark.browser


def _telegram(provider_id: str, user_id: str, text: str, name: str) -> None:
    receive_message(
        endpoint=ChannelEndpoint.objects.get(kind="telegram"),
        inbound=InboundMessage(
            provider_id=provider_id,
            identities={"telegram": user_id},
            text=text,
            sender_name=name,
        ),
    )


def test_events_while_the_page_connects_appear_once_it_is_greeted(live_server_asgi, browser):
    conversation = off_loop(build_desk)
    page = new_page(browser)
    held = []
    try:
        login(page, live_server_asgi, "alice")
        page.route_web_socket("**/ws/inbox/", lambda route: held.append(route))
        page.goto(f"{live_server_asgi.url}/inbox/c/{conversation.pk}/?view=teams")
        expect(page.locator("#timeline")).to_contain_text("Can I have the refund note?")
        page.wait_for_function("() => window.omnideskInbox && window.omnideskInbox.socket")
        assert held, "the page opened its socket"
        assert page.evaluate("window.omnideskInbox.greeted") is False

        # Published while nobody on this page listens yet.
        off_loop(_telegram, "tg-2", "523456789", "Actually, a PDF please", "Dana Scully")
        off_loop(_telegram, "tg-3", "777000111", "Where is my parcel?", "Fox Mulder")

        held[0].connect_to_server()
        page.wait_for_function("() => window.omnideskInbox.greeted")
        expect(page.locator("#timeline")).to_contain_text("Actually, a PDF please")
        expect(page.locator("#conversation-list")).to_contain_text("Fox Mulder")
    finally:
        page.context.close()


def _desk_with_a_supervisor():
    conversation = build_desk()
    make_agent(username="sam", first_name="Sam", role=AgentProfile.Role.SUPERVISOR)
    return conversation


@pytest.mark.parametrize("username", ["alice", "sam"])
def test_a_quiet_page_load_fetches_nothing_again(live_server_asgi, browser, username):
    """Its own socket's arrival (the agent coming online, which supervisors are told
    of) is not something the page missed."""
    conversation = off_loop(_desk_with_a_supervisor)
    page = new_page(browser)
    fetched: list[str] = []
    try:
        # Signed in straight onto the conversation: no earlier page's socket closes.
        page.on("request", lambda request: fetched.append(request.url))
        page.goto(
            f"{live_server_asgi.url}/accounts/login/"
            f"?next=/inbox/c/{conversation.pk}/%3Fview%3Dteams"
        )
        page.fill("#id_username", username)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server_asgi.url}/inbox/c/{conversation.pk}/**")
        page.wait_for_function(
            "() => window.omnideskInbox && window.omnideskInbox.greeted"
            f" && window.omnideskInbox.seqs['inbox.conversation.{conversation.pk}'] !== undefined"
        )
        page.wait_for_timeout(1500)  # a refetch would be scheduled within a second
        assert page.locator("#inbox").get_attribute("data-resyncs") == "0"
        refetched = [url for url in fetched if "/inbox/list/" in url or "/timeline/" in url]
        assert refetched == [], refetched
    finally:
        page.context.close()
