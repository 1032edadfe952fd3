"""An agent attaches files to a reply in Chromium: picked and dropped files show as chips
(one removed again), the channel's limits are shown and a file over them is refused
before sending; the reply goes out with its file, which shows on the timeline and reaches
Telegram (a real HTTP server on loopback) as sendDocument with the file's bytes."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from channels_app.types import InboundMessage
from conversations.models import Attachment, Message
from conversations.services import receive_message
from tests.attachments.conftest import BOT_TOKEN, PDF, fixture_json
from tests.browser.conftest import login, new_page, off_loop, screenshot
from tests.channels_app.fake_providers import FakeProvider, Reply
from tests.factories import EndpointFactory, TeamFactory, make_agent

pytestmark = pytest.mark.browser

MB = 1024 * 1024


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} within {timeout} s")
        time.sleep(0.05)


def build_desk():
    telegram = EndpointFactory(kind="telegram", name="Bot", credentials={"bot_token": BOT_TOKEN})
    team = TeamFactory(name="Messaging", endpoints=[telegram])
    make_agent(username="alice", first_name="Alice", teams=[team])
    return receive_message(
        endpoint=telegram,
        inbound=InboundMessage(
            provider_id="tg-1",
            identities={"telegram": "523456789"},
            text="Can I have the refund note?",
            sender_name="Dana Scully",
        ),
    ).conversation


@pytest.fixture
def telegram_api(settings):
    provider = FakeProvider().start()
    settings.OMNIDESK_PROVIDER_URLS = {
        "twilio": provider.url,
        "meta": f"{provider.url}/v21.0",
        "telegram": provider.url,
    }
    provider.on(
        "POST", r".*/sendMessage", Reply(200, fixture_json("telegram", "send_message_ok.json"))
    )
    provider.on(
        "POST",
        r".*/send(Document|Photo)",
        Reply(200, fixture_json("telegram", "send_document_ok.json")),
    )
    yield provider
    provider.stop()


def test_an_agent_attaches_a_file_and_the_customer_receives_it(
    live_server_asgi, browser, telegram_api, settings
):
    # A desk that takes uploads up to 1 MB: Telegram's limit is capped to it.
    settings.OMNIDESK_MAX_WEBHOOK_BYTES = MB + 64 * 1024
    conversation = off_loop(build_desk)
    page = new_page(browser)
    try:
        login(page, live_server_asgi, "alice")
        page.goto(f"{live_server_asgi.url}/inbox/c/{conversation.pk}/")
        expect(page.locator("#attachment-limits")).to_contain_text("Telegram: any file up to 1 MB")

        page.set_input_files(
            "#composer-files",
            files=[{"name": "refund.pdf", "mimeType": "application/pdf", "buffer": PDF}],
        )
        # Dropped on the composer, as from the desktop.
        dropped = page.evaluate_handle(
            """() => {
              const transfer = new DataTransfer();
              const big = "x".repeat(2 * 1024 * 1024);
              transfer.items.add(new File([big], "huge.mov", {type: "video/quicktime"}));
              return transfer;
            }"""
        )
        page.dispatch_event("#composer-text", "dragover", {"dataTransfer": dropped})
        page.dispatch_event("#composer-text", "drop", {"dataTransfer": dropped})

        chips = page.locator("#attachment-chips .attachment-chip")
        expect(chips).to_have_count(2)
        expect(chips.nth(0)).to_contain_text("refund.pdf")
        expect(page.locator("#attachment-errors")).to_contain_text(
            "huge.mov is 2 MB: Telegram takes files of this type up to 1 MB."
        )
        expect(page.locator("#send-button")).to_be_disabled()
        screenshot(page, "reply-attachments-too-big")

        page.get_by_role("button", name="Remove huge.mov").click()
        expect(chips).to_have_count(1)
        expect(page.locator("#attachment-errors")).to_be_hidden()
        page.fill("#composer-text", "Here is your refund note.")
        page.click("#send-button")

        item = page.locator("#timeline .attachments a[download]", has_text="refund.pdf")
        expect(item).to_be_visible()
        screenshot(page, "reply-attachments-sent")
    finally:
        page.context.close()

    reply = Message.objects.get(direction=Message.Direction.OUTBOUND)
    assert reply.text == "Here is your refund note."
    assert list(Attachment.objects.filter(message=reply).values_list("filename", flat=True)) == [
        "refund.pdf"
    ]
    wait_for(
        lambda: any(r.path.endswith("/sendDocument") for r in telegram_api.requests),
        "Telegram received the document",
    )
    document = next(r for r in telegram_api.requests if r.path.endswith("/sendDocument"))
    assert b'filename="refund.pdf"' in document.body and PDF in document.body
    wait_for(lambda: Message.objects.get(pk=reply.pk).delivery_status == "sent", "the reply sent")
