"""Email threads are conversations (docs/continuity.md, rule 1): an email joins the
conversation its thread headers name, In-Reply-To first, then References newest first;
one that names none opens its own, even when the customer has another open."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from conversations.models import Conversation, ConversationEvent
from tests.conversations.mail import receive_email
from tests.factories import EndpointFactory, TeamFactory

pytestmark = pytest.mark.django_db

DANA = "Dana Scully <dana@fbi.example>"


@pytest.fixture
def mailbox():
    endpoint = EndpointFactory(kind="email", name="Support mail")
    TeamFactory(name="Support", endpoints=[endpoint])
    return endpoint


def test_a_new_subject_from_a_customer_with_an_open_conversation_is_a_new_conversation(mailbox):
    first = receive_email(
        mailbox, sender=DANA, message_id="<order@fbi.example>", subject="Where is my order?"
    )
    second = receive_email(
        mailbox, sender=DANA, message_id="<invoice@fbi.example>", subject="Wrong invoice"
    )
    assert first.conversation.status == Conversation.Status.OPEN
    assert second.conversation_id != first.conversation_id
    assert second.conversation.customer_id == first.conversation.customer_id
    assert Conversation.objects.get(pk=second.conversation_id).subject == "Wrong invoice"


def test_a_reply_joins_the_conversation_its_in_reply_to_names(mailbox):
    first = receive_email(mailbox, sender=DANA, message_id="<a1@fbi.example>", subject="Refund")
    receive_email(mailbox, sender=DANA, message_id="<b1@fbi.example>", subject="Other topic")
    reply = receive_email(
        mailbox,
        sender=DANA,
        message_id="<a2@fbi.example>",
        subject="Re: Refund",
        in_reply_to="<a1@fbi.example>",
        references=["<a1@fbi.example>"],
    )
    assert reply.conversation_id == first.conversation_id


def test_references_decide_newest_first_when_in_reply_to_was_never_received(mailbox):
    older = receive_email(mailbox, sender=DANA, message_id="<old@fbi.example>", subject="Old")
    newer = receive_email(mailbox, sender=DANA, message_id="<new@fbi.example>", subject="New")
    # A reply to a message we never got (a colleague's, among themselves), whose
    # References list the thread oldest first: the newest known id decides.
    reply = receive_email(
        mailbox,
        sender=DANA,
        message_id="<reply@fbi.example>",
        subject="Re: New",
        in_reply_to="<never-received@fbi.example>",
        references=["<old@fbi.example>", "<new@fbi.example>", "<never-received@fbi.example>"],
    )
    assert reply.conversation_id == newer.conversation_id != older.conversation_id


def test_a_reply_stored_before_its_original_keeps_the_thread_in_one_conversation(mailbox):
    # Two workers sharing a backlog may store a reply before the message it answers.
    now = timezone.now()
    reply = receive_email(
        mailbox,
        sender=DANA,
        message_id="<second@fbi.example>",
        subject="Re: Broken kettle",
        in_reply_to="<first@fbi.example>",
        references=["<first@fbi.example>"],
        received_at=now,
    )
    other_topic = receive_email(
        mailbox,
        sender=DANA,
        message_id="<toaster@fbi.example>",
        subject="Toaster too",
        received_at=now + timedelta(seconds=30),
    )
    original = receive_email(
        mailbox,
        sender=DANA,
        message_id="<first@fbi.example>",
        subject="Broken kettle",
        received_at=now - timedelta(minutes=1),
    )
    assert original.conversation_id == reply.conversation_id
    assert other_topic.conversation_id != reply.conversation_id
    assert Conversation.objects.count() == 2


def test_a_reply_to_a_resolved_thread_reopens_it_and_records_no_channel_switch(mailbox):
    first = receive_email(mailbox, sender=DANA, message_id="<k1@fbi.example>", subject="Kettle")
    Conversation.objects.filter(pk=first.conversation_id).update(
        status=Conversation.Status.RESOLVED
    )
    reply = receive_email(
        mailbox,
        sender=DANA,
        message_id="<k2@fbi.example>",
        subject="Re: Kettle",
        in_reply_to="<k1@fbi.example>",
    )
    conversation = Conversation.objects.get(pk=first.conversation_id)
    assert reply.conversation_id == conversation.pk
    assert conversation.status == Conversation.Status.OPEN
    assert conversation.events.filter(kind=ConversationEvent.Kind.REOPENED).exists()
    assert not conversation.events.filter(kind=ConversationEvent.Kind.CHANNEL_SWITCHED).exists()
