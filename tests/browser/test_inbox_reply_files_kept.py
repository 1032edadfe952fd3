"""Files chosen in the composer survive the reply form coming back unsent: here the
customer wrote while the agent composed, so the reply is held for review and the form is
rendered again; the chips and the files are still there and "Send anyway" sends them
without re-attaching. A sent reply's composer starts empty."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from channels_app.models import ChannelEndpoint
from channels_app.types import InboundMessage
from conversations.models import Attachment, Message
from conversations.services import receive_message
from tests.attachments.conftest import PDF
from tests.browser.conftest import login, new_page, off_loop
from tests.browser.test_reply_attachments import build_desk, telegram_api  # noqa: F401

pytestmark = pytest.mark.browser


def _customer_writes_again() -> None:
    receive_message(
        endpoint=ChannelEndpoint.objects.get(kind="telegram"),
        inbound=InboundMessage(
            provider_id="tg-2",
            identities={"telegram": "523456789"},
            text="Actually, a PDF please",
            sender_name="Dana Scully",
        ),
    )


def test_files_stay_chosen_after_a_refused_reply(
    live_server_asgi,
    browser,
    telegram_api,  # noqa: F811
):
    conversation = off_loop(build_desk)
    page = new_page(browser)
    try:
        login(page, live_server_asgi, "alice")
        page.goto(f"{live_server_asgi.url}/inbox/c/{conversation.pk}/")
        page.set_input_files(
            "#composer-files",
            files=[{"name": "refund.pdf", "mimeType": "application/pdf", "buffer": PDF}],
        )
        chips = page.locator("#attachment-chips .attachment-chip")
        expect(chips).to_have_count(1)
        page.fill("#composer-text", "Here is your refund note.")

        # The customer writes while the agent composes: the reply comes back held.
        off_loop(_customer_writes_again)
        expect(page.locator("#timeline")).to_contain_text("Actually, a PDF please")
        page.click("#send-button")
        expect(page.locator("#held-warning")).to_be_visible()
        expect(chips).to_have_count(1)
        expect(chips.nth(0)).to_contain_text("refund.pdf")
        assert page.evaluate("document.getElementById('composer-files').files.length") == 1
        expect(page.locator("#composer-text")).to_have_value("Here is your refund note.")

        page.click("#send-anyway")
        item = page.locator("#timeline .attachments a[download]", has_text="refund.pdf")
        expect(item).to_be_visible()
        expect(chips).to_have_count(0)  # sent: the next reply starts empty
    finally:
        page.context.close()

    reply = Message.objects.get(direction=Message.Direction.OUTBOUND)
    assert list(Attachment.objects.filter(message=reply).values_list("filename", flat=True)) == [
        "refund.pdf"
    ]
