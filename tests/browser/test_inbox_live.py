"""Two agents work the inbox in Chromium: a WhatsApp message arrives live, the customer's
earlier email conversation is in the history, a reply chosen on SMS reaches the customer
and the colleague's screen, a private note stays inside, another team is kept out."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from channels_app.models import ChannelEndpoint
from conversations.models import Conversation, Message
from conversations.services import change_status, receive_message
from tests.browser.conftest import login, new_page, off_loop, screenshot
from tests.channels_app.fake_providers import FakeProvider, Reply
from tests.conftest import inbound
from tests.factories import EndpointFactory, TeamFactory, make_agent

pytestmark = pytest.mark.browser

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
META_SECRET = "whatsapp-app-secret-for-tests"
TWILIO = {
    "account_sid": "AC0123456789abcdef0123456789abcdef",
    "auth_token": "12345678901234567890123456789012",
    "phone_number": "+14155550100",
}


@pytest.fixture
def twilio(settings):
    provider = FakeProvider().start()
    settings.OMNIDESK_PROVIDER_URLS = {
        "twilio": provider.url,
        "meta": f"{provider.url}/v21.0",
        "telegram": provider.url,
    }
    provider.on(
        "POST",
        r"/2010-04-01/Accounts/[^/]+/Messages\.json",
        Reply(201, {"sid": "SM0000000000000000000000000000001", "status": "queued"}),
    )
    yield provider
    provider.stop()


def build_desk():
    email = EndpointFactory(kind=ChannelEndpoint.Kind.EMAIL, name="support@desk.test")
    sms = EndpointFactory(kind=ChannelEndpoint.Kind.SMS, name="+1 415 555 0100", credentials=TWILIO)
    whatsapp = EndpointFactory(
        kind=ChannelEndpoint.Kind.WHATSAPP,
        name="WhatsApp line",
        credentials={
            "app_secret": META_SECRET,
            "access_token": "token",
            "verify_token": "verify",
            "phone_number_id": "106540352242922",
        },
    )
    support = TeamFactory(name="Support", endpoints=[email])
    messaging = TeamFactory(name="Messaging", endpoints=[sms, whatsapp])
    make_agent(username="anna", first_name="Anna", teams=[support, messaging])
    make_agent(username="bob", first_name="Bob", teams=[messaging])
    make_agent(username="alice", first_name="Alice", teams=[support])
    earlier = receive_message(
        endpoint=email,
        inbound=inbound(
            "email-1",
            "My invoice 4211 shows the wrong address",
            email="dana@example.com",
            phone="+14155552671",
        ),
        received_at=timezone.now() - timedelta(days=30),
    )
    change_status(conversation=earlier.conversation, status="resolved", actor=None)
    return {"email": email, "sms": sms, "whatsapp": whatsapp, "earlier": earlier}


def post_whatsapp_webhook(page, server, endpoint) -> None:
    """What Meta sends: the Cloud API payload, signed with the app secret."""
    raw = (FIXTURES / "meta" / "whatsapp_text.json").read_bytes()
    signature = hmac.new(META_SECRET.encode(), raw, hashlib.sha256).hexdigest()
    response = page.request.post(
        f"{server.url}/hooks/meta/{endpoint.key}/",
        data=raw,
        headers={
            "Content-Type": "application/json",
            "X-Hub-Signature-256": f"sha256={signature}",
        },
    )
    assert response.status == 200, response.text()


def show_unassigned(page) -> None:
    page.click("label.tab:has(input[value=unassigned])")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")


def test_two_agents_work_a_cross_channel_conversation_live(live_server_asgi, browser, twilio):
    desk = off_loop(build_desk)
    anna = new_page(browser)
    bob = new_page(browser)
    login(anna, live_server_asgi, "anna")
    login(bob, live_server_asgi, "bob")
    show_unassigned(anna)
    show_unassigned(bob)

    # A WhatsApp message arrives through the provider webhook: it appears without reload.
    post_whatsapp_webhook(anna, live_server_asgi, desk["whatsapp"])
    for page in (anna, bob):
        expect(page.locator("#conversation-list")).to_contain_text("Hello, is my order on its way?")
    conversation = Conversation.objects.get(endpoint=desk["whatsapp"])
    row = f"#row-{conversation.pk} a"

    # Bob opens it first; then Anna, whom Bob sees viewing and typing.
    bob.click(row)
    expect(bob.locator("#timeline")).to_contain_text("Hello, is my order on its way?")
    anna.click(row)
    expect(anna.locator("#timeline")).to_contain_text("Hello, is my order on its way?")
    expect(bob.locator("#collision")).to_contain_text("Anna is viewing")

    # The customer's earlier email conversation is in the whole history.
    anna.click("#history-toggle")
    expect(anna.locator("#timeline")).to_contain_text("My invoice 4211 shows the wrong address")
    expect(anna.locator("#timeline .channel-badge.ch-email").first).to_be_visible()

    # Anna replies by SMS; the provider gets it, Bob sees it live.
    anna.select_option("#reply-endpoint", str(desk["sms"].pk))
    anna.fill("#composer-text", "Your order ships today")
    anna.locator("#composer-text").press("Space")
    expect(bob.locator("#collision")).to_contain_text("Anna is typing")
    screenshot(anna, "inbox-desktop-composing")
    anna.click("#send-button")
    expect(bob.locator("#timeline")).to_contain_text("Your order ships today")
    expect(bob.locator("#timeline .item.dir-out .channel-badge")).to_have_text("SMS")
    expect(bob.locator("#timeline .item.dir-out .delivery-status")).to_have_text("Sent")
    sent = [request.form() for request in twilio.requests]
    assert [(form["To"], form["Body"]) for form in sent] == [
        (["+14155552671"], ["Your order ships today "])
    ]

    # Bob answers without having seen Anna's reply: held with a warning first.
    bob.fill("#composer-text", "I will check the warehouse")
    bob.click("#send-button")
    expect(bob.locator("#held-warning")).to_contain_text("Your order ships today")
    bob.click("#send-anyway")
    expect(bob.locator("#timeline")).to_contain_text("I will check the warehouse")

    # A private note: visibly a note, on Bob's screen live, never sent to the customer.
    # Bob's page first loses two events (as when Channels drops on a full queue): the
    # next event shows a gap and his page resyncs.
    bob.evaluate(
        "() => { const s = window.omnideskInbox.seqs;"
        " Object.keys(s).forEach((g) => { if (g.startsWith('inbox.conversation.')) s[g] -= 2; }); }"
    )
    anna.check("#composer input[name=mode][value=note]")
    expect(anna.locator("#composer")).to_have_class("composer mode-note")
    anna.fill("#composer-text", "Customer is a VIP, be generous")
    anna.keyboard.press("Control+Enter")
    # Bob wrote since Anna's composer was loaded: her note is held until she confirms.
    expect(anna.locator("#held-warning")).to_contain_text("I will check the warehouse")
    anna.click("#send-anyway")
    expect(bob.locator("#timeline .item.kind-note")).to_contain_text("Customer is a VIP")
    expect(bob.locator("#inbox")).not_to_have_attribute("data-gaps", "0")
    note = Message.objects.get(kind=Message.Kind.NOTE)
    assert note.delivery_status == Message.DeliveryStatus.NOT_APPLICABLE
    assert note.endpoint_id is None
    assert len(twilio.requests) == 2  # Anna's and Bob's replies; never the note

    screenshot(anna, "inbox-desktop")
    phone = new_page(browser, width=390, height=844, is_mobile=True, has_touch=True)
    login(phone, live_server_asgi, "anna")
    phone.goto(f"{live_server_asgi.url}/inbox/?view=teams")
    screenshot(phone, "inbox-phone-list")
    phone.click(row)
    expect(phone.locator("#timeline")).to_contain_text("Your order ships today")
    expect(phone.locator("#list-pane")).to_be_hidden()
    screenshot(phone, "inbox-phone-conversation")

    # An agent of another team cannot open it, even with its URL.
    alice = new_page(browser)
    login(alice, live_server_asgi, "alice")
    response = alice.goto(f"{live_server_asgi.url}/inbox/c/{conversation.pk}/")
    assert response.status == 404
    assert "Hello, is my order on its way?" not in alice.content()
    for page in (anna, bob, phone, alice):
        page.context.close()
