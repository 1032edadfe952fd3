"""A forged bounce changes nothing (issue 14, finding M3, its outbound half): outbound
Message-IDs carry 128 bits only the desk can compute and no counter, and a bounce
changes only a message sent from the mailbox that received it."""

from __future__ import annotations

import re

import pytest

from channels_app.adapters.email import outbound_message_id
from channels_app.models import ChannelEndpoint, InboundEvent
from channels_app.types import InboundMessage
from conversations.models import Message
from intake.services import accept_inbound
from tests.conftest import inbound
from tests.factories import EndpointFactory, make_agent


def test_outbound_message_ids_are_unguessable_and_carry_no_counter():
    first = outbound_message_id("omnidesk-message-1234", domain="desk.test")
    second = outbound_message_id("omnidesk-message-1235", domain="desk.test")
    assert re.fullmatch(r"<[0-9a-f]{32}@desk\.test>", first)
    assert "1234" not in first and first != second
    # A retried send keeps its Message-ID.
    assert outbound_message_id("omnidesk-message-1234", domain="desk.test") == first


@pytest.mark.django_db
def test_a_bounce_to_another_mailbox_does_not_fail_our_message(
    django_capture_on_commit_callbacks,
):
    from conversations.services import receive_message, send_reply

    ours = EndpointFactory(kind=ChannelEndpoint.Kind.EMAIL, config={"address": "help@desk.test"})
    other = EndpointFactory(kind=ChannelEndpoint.Kind.EMAIL, config={"address": "x@other.test"})
    conversation = receive_message(
        endpoint=ours, inbound=inbound("m1", "Hello", email="dana@example.com")
    ).conversation
    reply = send_reply(conversation=conversation, author=make_agent(username="al"), text="Hi")
    Message.objects.filter(pk=reply.pk).update(
        delivery_status=Message.DeliveryStatus.SENT, email_message_id="<abc@desk.test>"
    )
    forged = InboundMessage(
        provider_id="bounce-1",
        identities={},
        kind="bounce",
        metadata={"bounced_message_id": "<abc@desk.test>", "diagnostic": "Pay here: evil"},
    )
    with django_capture_on_commit_callbacks(execute=True):
        accept_inbound(endpoint=other, messages=[forged])

    reply.refresh_from_db()
    assert reply.delivery_status == Message.DeliveryStatus.SENT
    assert InboundEvent.objects.get(provider_id="bounce-1").status == InboundEvent.Status.FAILED
