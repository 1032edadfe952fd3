"""START on WhatsApp, through the real Meta webhook, undoes the customer's STOP there:
the opt-out is gone, the timeline says so, and notifications on WhatsApp go again."""

from __future__ import annotations

import time

import pytest

from conversations.models import Conversation
from outreach import services
from outreach.models import ChannelOptOut, Notification
from tests.channels_app.conftest import post_meta
from tests.outreach.conftest import DANA_PHONE, answer_whatsapp, fixture_json

pytestmark = pytest.mark.django_db


def _whatsapp(client, endpoint, text: str, message_id: str, capture) -> None:
    payload = fixture_json("meta", "whatsapp_text.json")
    message = payload["entry"][0]["changes"][0]["value"]["messages"][0]
    message.update(id=message_id, timestamp=str(int(time.time())), text={"body": text})
    with capture(execute=True):
        assert post_meta(client, endpoint, payload).status_code == 200


def test_start_on_whatsapp_opts_the_number_back_in(
    client, whatsapp_endpoint, fake_provider, django_capture_on_commit_callbacks
):
    answer_whatsapp(fake_provider)
    _whatsapp(client, whatsapp_endpoint, "STOP", "wamid.stop1", django_capture_on_commit_callbacks)
    opt_out = ChannelOptOut.objects.get()
    assert (opt_out.identity.value, opt_out.channel_kind) == (DANA_PHONE, "whatsapp")
    customer = Conversation.objects.get().customer
    skipped = services.create_notification(
        customer=customer, text="We fixed it.", channel=whatsapp_endpoint.key
    )
    assert skipped.skip_reason == Notification.SkipReason.OPTED_OUT
    assert fake_provider.requests == []

    _whatsapp(
        client, whatsapp_endpoint, " start ", "wamid.start1", django_capture_on_commit_callbacks
    )
    assert not ChannelOptOut.objects.exists()
    conversation = Conversation.objects.get()
    changes = [
        change
        for event in conversation.events.filter(kind="customer_updated")
        for change in event.data["changed"]
    ]
    assert any("opted back into WHATSAPP notifications (START)" in c for c in changes), changes

    with django_capture_on_commit_callbacks(execute=True):
        sent = services.create_notification(
            customer=customer, text="We fixed it.", channel=whatsapp_endpoint.key
        )
    assert sent.status == Notification.Status.QUEUED
    [request] = fake_provider.requests
    assert request.json()["text"]["body"] == "We fixed it."
