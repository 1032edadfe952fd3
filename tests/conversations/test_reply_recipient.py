"""A reply on a channel goes to the customer's latest proven sender there, across all
their conversations, whether or not the conversation's own latest message says so."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from channels_app.models import ChannelEndpoint
from conversations.services import send_reply
from customers.models import Identity
from tests.factories import (
    ConversationFactory,
    CustomerFactory,
    EndpointFactory,
    IdentityFactory,
    MessageFactory,
    make_agent,
)

pytestmark = pytest.mark.django_db

OLD_NUMBER = "+14155552671"
NEW_NUMBER = "+14155550199"


@pytest.fixture
def sms() -> ChannelEndpoint:
    return EndpointFactory(kind=ChannelEndpoint.Kind.SMS)


@pytest.fixture
def customer():
    customer = CustomerFactory()
    for number in (OLD_NUMBER, NEW_NUMBER):
        IdentityFactory(customer=customer, kind=Identity.Kind.PHONE, value=number)
    return customer


def sms_from(conversation, number: str, *, minutes_ago: int):
    return MessageFactory(
        conversation=conversation,
        metadata={"from": {"phone": number}},
        created_at=timezone.now() - timedelta(minutes=minutes_ago),
    )


def test_a_reply_goes_to_the_number_the_customer_wrote_from_later_in_another_conversation(
    sms, customer
):
    earlier = ConversationFactory(customer=customer, endpoint=sms)
    sms_from(earlier, OLD_NUMBER, minutes_ago=30)
    later = ConversationFactory(customer=customer, endpoint=sms)
    sms_from(later, NEW_NUMBER, minutes_ago=5)

    reply = send_reply(conversation=earlier, author=make_agent(), text="About your order")

    assert reply.metadata["to"] == NEW_NUMBER


def test_a_reply_goes_to_the_conversations_own_sender_when_it_wrote_last(sms, customer):
    other = ConversationFactory(customer=customer, endpoint=sms)
    sms_from(other, NEW_NUMBER, minutes_ago=30)
    conversation = ConversationFactory(customer=customer, endpoint=sms)
    sms_from(conversation, OLD_NUMBER, minutes_ago=5)

    reply = send_reply(conversation=conversation, author=make_agent(), text="About your order")

    assert reply.metadata["to"] == OLD_NUMBER


def test_a_reply_never_goes_to_a_latest_sender_who_is_not_the_customers(sms):
    customer = CustomerFactory()
    IdentityFactory(customer=customer, kind=Identity.Kind.PHONE, value=OLD_NUMBER)
    conversation = ConversationFactory(customer=customer, endpoint=sms)
    sms_from(conversation, OLD_NUMBER, minutes_ago=30)
    sms_from(conversation, NEW_NUMBER, minutes_ago=5)  # a number nothing ties to them

    reply = send_reply(conversation=conversation, author=make_agent(), text="About your order")

    assert reply.metadata["to"] == OLD_NUMBER
