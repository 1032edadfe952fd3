"""STOP and START by SMS and WhatsApp, through the real webhooks: the opt-out is
recorded on the identity and channel, notifications are skipped with the reason, and
an agent's reply to the customer still goes."""

from __future__ import annotations

import pytest

from conversations import services as conversation_services
from conversations.models import Conversation, Message
from outreach import services
from outreach.models import ChannelOptOut, Notification
from outreach.wording import consent_keyword
from tests.channels_app.conftest import post_meta, post_twilio
from tests.outreach.conftest import DANA_PHONE, answer_twilio, answer_whatsapp, fixture_json

pytestmark = pytest.mark.django_db


def _sms(client, endpoint, text: str, sid: str, capture) -> None:
    payload = {**fixture_json("twilio", "sms_inbound.json"), "Body": text}
    payload.update(MessageSid=sid, SmsSid=sid, SmsMessageSid=sid)
    with capture(execute=True):
        assert post_twilio(client, endpoint, "sms", payload).status_code == 200


def test_stop_by_sms_opts_the_number_out_and_start_opts_it_back_in(
    client, twilio_endpoint, agent, fake_provider, django_capture_on_commit_callbacks
):
    answer_twilio(fake_provider)
    _sms(client, twilio_endpoint, "Stop", "SM" + "1" * 32, django_capture_on_commit_callbacks)

    opt_out = ChannelOptOut.objects.get()
    assert (opt_out.identity.value, opt_out.channel_kind) == (DANA_PHONE, "sms")
    assert (opt_out.source, opt_out.keyword) == ("keyword", "STOP")
    conversation = Conversation.objects.get()
    customer = conversation.customer
    assert any(
        "opted out of SMS" in change
        for event in conversation.events.filter(kind="customer_updated")
        for change in event.data["changed"]
    )

    skipped = services.create_notification(customer=customer, text="Sale this weekend!")
    assert skipped.status == Notification.Status.SKIPPED
    assert skipped.skip_reason == Notification.SkipReason.OPTED_OUT
    assert fake_provider.requests == []

    # Answering the customer's own message is always allowed.
    with django_capture_on_commit_callbacks(execute=True):
        reply = conversation_services.send_reply(
            conversation=conversation, author=agent, text="Done, you will get no more offers."
        )
    reply.refresh_from_db()
    assert reply.delivery_status == Message.DeliveryStatus.SENT
    assert len(fake_provider.requests) == 1

    _sms(client, twilio_endpoint, "START", "SM" + "2" * 32, django_capture_on_commit_callbacks)
    assert not ChannelOptOut.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        sent = services.create_notification(customer=customer, text="Welcome back.")
    assert sent.status == Notification.Status.QUEUED
    assert len(fake_provider.requests) == 2


def test_stop_on_whatsapp_opts_out_of_whatsapp_only(
    client,
    whatsapp_endpoint,
    twilio_endpoint,
    fake_provider,
    django_capture_on_commit_callbacks,
):
    answer_twilio(fake_provider)
    answer_whatsapp(fake_provider)
    payload = fixture_json("meta", "whatsapp_text.json")
    payload["entry"][0]["changes"][0]["value"]["messages"][0]["text"]["body"] = "UNSUBSCRIBE"
    with django_capture_on_commit_callbacks(execute=True):
        post_meta(client, whatsapp_endpoint, payload)
    opt_out = ChannelOptOut.objects.get()
    assert (opt_out.identity.value, opt_out.channel_kind) == (DANA_PHONE, "whatsapp")
    customer = Conversation.objects.get().customer

    explicit = services.create_notification(
        customer=customer, text="Hello", channel=whatsapp_endpoint.key
    )
    assert explicit.skip_reason == Notification.SkipReason.OPTED_OUT

    # The same number by SMS was not opted out: the automatic choice takes it.
    with django_capture_on_commit_callbacks(execute=True):
        chosen = services.create_notification(customer=customer, text="Hello")
    assert chosen.status == Notification.Status.QUEUED
    assert chosen.endpoint == twilio_endpoint


def test_a_sentence_containing_stop_is_not_a_keyword(
    client, twilio_endpoint, django_capture_on_commit_callbacks
):
    _sms(
        client,
        twilio_endpoint,
        "Please stop by the store later",
        "SM" + "3" * 32,
        django_capture_on_commit_callbacks,
    )
    assert not ChannelOptOut.objects.exists()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("STOP", ("STOP", True)),
        (" stop! ", ("STOP", True)),
        ("StopAll", ("STOPALL", True)),
        ("cancel", ("CANCEL", True)),
        ("end", ("END", True)),
        ("Quit", ("QUIT", True)),
        ("opt-out", ("OPTOUT", True)),
        ("Unsubscribe", ("UNSUBSCRIBE", True)),
        ("start", ("START", False)),
        ("UNSTOP", ("UNSTOP", False)),
        ("stop it please", None),
        ("", None),
    ],
)
def test_consent_keywords_follow_carrier_conventions(text, expected):
    assert consent_keyword(text) == expected
