"""Threads across people: a colleague's reply joins the thread it answers when they were
on its To or Cc or share the customer's organisation domain; they become a participant
(their own customer record, never merged into the customer)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from conversations.models import Conversation, ConversationEvent, ConversationParticipant
from customers.models import Customer, Identity
from tests.conversations.mail import DESK, receive_email
from tests.factories import EndpointFactory, TeamFactory

pytestmark = pytest.mark.django_db

DANA = "Dana Scully <dana@acme-corp.example>"


@pytest.fixture
def mailbox():
    endpoint = EndpointFactory(kind="email", name="Support mail")
    TeamFactory(name="Support", endpoints=[endpoint])
    return endpoint


def start_thread(mailbox, *, cc=()):
    return receive_email(
        mailbox,
        sender=DANA,
        message_id="<start@acme-corp.example>",
        subject="Our invoices are wrong",
        cc=cc,
    )


def test_a_colleague_copied_on_the_thread_joins_it_and_becomes_a_participant(mailbox):
    first = start_thread(mailbox, cc=["fox.mulder@gmail.com"])
    reply = receive_email(
        mailbox,
        sender="Fox Mulder <fox.mulder@gmail.com>",
        message_id="<fox-1@mail.gmail.com>",
        subject="Re: Our invoices are wrong",
        cc=["dana@acme-corp.example"],
        in_reply_to="<start@acme-corp.example>",
        references=["<start@acme-corp.example>"],
    )

    assert reply.conversation_id == first.conversation_id
    assert Conversation.objects.count() == 1
    participant = ConversationParticipant.objects.get()
    assert (participant.conversation_id, participant.address, participant.reason) == (
        first.conversation_id,
        "fox.mulder@gmail.com",
        "copied",
    )
    # Fox keeps a record of his own; Dana's record gains nothing of his.
    dana = first.conversation.customer
    fox = Customer.objects.get(identities__value="fox.mulder@gmail.com")
    assert fox != dana and participant.customer == fox
    assert list(dana.identities.values_list("value", flat=True)) == ["dana@acme-corp.example"]
    assert reply.metadata["from"] == {"email": "fox.mulder@gmail.com"}
    added = ConversationEvent.objects.get(kind=ConversationEvent.Kind.PARTICIPANT_ADDED)
    assert added.data["address"] == "fox.mulder@gmail.com"


def test_a_colleague_of_the_same_organisation_joins_without_being_copied(mailbox):
    first = start_thread(mailbox)
    reply = receive_email(
        mailbox,
        sender="Walter Skinner <walter@acme-corp.example>",
        message_id="<walter-1@acme-corp.example>",
        subject="Re: Our invoices are wrong",
        cc=["dana@acme-corp.example"],
        in_reply_to="<start@acme-corp.example>",
        references=["<start@acme-corp.example>"],
    )
    assert reply.conversation_id == first.conversation_id
    assert ConversationParticipant.objects.get().reason == "organisation"


def test_a_references_only_colleague_reply_joins_too(mailbox):
    first = start_thread(mailbox)
    reply = receive_email(
        mailbox,
        sender="walter@acme-corp.example",
        message_id="<walter-2@acme-corp.example>",
        subject="Re: Our invoices are wrong",
        in_reply_to="<internal-only@acme-corp.example>",
        references=["<start@acme-corp.example>", "<internal-only@acme-corp.example>"],
    )
    assert reply.conversation_id == first.conversation_id


def test_sharing_a_public_mailbox_provider_is_no_organisation(mailbox):
    first = receive_email(
        mailbox,
        sender="dana.scully@gmail.com",
        message_id="<start@mail.gmail.com>",
        subject="My order",
    )
    other = receive_email(
        mailbox,
        sender="someone.else@gmail.com",
        message_id="<other@mail.gmail.com>",
        subject="Re: My order",
        in_reply_to="<start@mail.gmail.com>",
    )
    assert other.conversation_id != first.conversation_id
    assert not ConversationParticipant.objects.exists()


def test_the_customer_replying_after_a_colleague_stays_in_the_thread(mailbox):
    first = start_thread(mailbox)
    receive_email(
        mailbox,
        sender="walter@acme-corp.example",
        message_id="<walter-3@acme-corp.example>",
        subject="Re: Our invoices are wrong",
        in_reply_to="<start@acme-corp.example>",
    )
    again = receive_email(
        mailbox,
        sender=DANA,
        message_id="<dana-2@acme-corp.example>",
        subject="Re: Our invoices are wrong",
        in_reply_to="<walter-3@acme-corp.example>",
        references=["<start@acme-corp.example>", "<walter-3@acme-corp.example>"],
    )
    assert again.conversation_id == first.conversation_id
    assert Conversation.objects.get().customer.identities.get().value == "dana@acme-corp.example"
    assert Identity.objects.filter(value="walter@acme-corp.example").count() == 1


def test_the_desk_address_in_cc_is_not_a_person(mailbox):
    first = start_thread(mailbox, cc=[DESK])
    assert first.metadata["cc"] == [DESK]
    assert not ConversationParticipant.objects.exists()


def test_a_colleagues_reply_stored_before_the_original_leaves_the_thread_to_its_sender(mailbox):
    # Workers sharing a backlog stored Walter's reply-all before Dana's message.
    now = timezone.now()
    reply = receive_email(
        mailbox,
        sender="Walter Skinner <walter@acme-corp.example>",
        message_id="<walter-4@acme-corp.example>",
        subject="Re: Our invoices are wrong",
        cc=["dana@acme-corp.example"],
        in_reply_to="<start@acme-corp.example>",
        references=["<start@acme-corp.example>"],
        received_at=now,
    )
    first = receive_email(
        mailbox,
        sender=DANA,
        message_id="<start@acme-corp.example>",
        subject="Our invoices are wrong",
        received_at=now - timedelta(minutes=1),
    )
    assert first.conversation_id == reply.conversation_id
    conversation = Conversation.objects.get()
    assert conversation.customer.identities.get().value == "dana@acme-corp.example"
    participant = ConversationParticipant.objects.get()
    assert (participant.address, participant.customer_id) == (
        "walter@acme-corp.example",
        reply.conversation.customer_id,
    )
