"""Nobody joins someone else's thread by knowing its subject, its number or a guessable
identifier: a stranger gets a conversation of their own."""

from __future__ import annotations

import pytest

from conversations.models import Conversation, ConversationParticipant, Message
from conversations.services import deliver_message, send_reply
from tests.conversations.mail import receive_email
from tests.factories import EndpointFactory, TeamFactory, make_agent

pytestmark = pytest.mark.django_db


@pytest.fixture
def mailbox():
    endpoint = EndpointFactory(
        kind="email",
        name="Acme Support",
        config={
            "address": "support@desk.test",
            "email_backend": "django.core.mail.backends.locmem.EmailBackend",
        },
    )
    TeamFactory(name="Support", endpoints=[endpoint])
    return endpoint


def dana_thread(mailbox) -> Message:
    return receive_email(
        mailbox,
        sender="Dana <dana@fbi.example>",
        message_id="<x-files@fbi.example>",
        subject="Refund for order 4242",
    )


def test_a_stranger_who_only_knows_the_subject_gets_a_new_conversation(mailbox):
    first = dana_thread(mailbox)
    stranger = receive_email(
        mailbox,
        sender="cigarette.man@smoke.example",
        message_id="<smoke-1@smoke.example>",
        subject="Re: Refund for order 4242",
    )
    assert stranger.conversation_id != first.conversation_id
    assert not ConversationParticipant.objects.exists()


def test_a_stranger_with_the_conversation_number_in_the_subject_gets_a_new_conversation(mailbox):
    first = dana_thread(mailbox)
    stranger = receive_email(
        mailbox,
        sender="cigarette.man@smoke.example",
        message_id="<smoke-2@smoke.example>",
        subject=f"Re: Refund for order 4242 [#{first.conversation_id}]",
    )
    assert stranger.conversation_id != first.conversation_id


def test_a_stranger_naming_a_message_of_the_thread_they_were_not_copied_on_is_kept_out(mailbox):
    first = dana_thread(mailbox)
    stranger = receive_email(
        mailbox,
        sender="cigarette.man@smoke.example",
        message_id="<smoke-3@smoke.example>",
        subject="Re: Refund for order 4242",
        in_reply_to="<x-files@fbi.example>",
    )
    assert stranger.conversation_id != first.conversation_id


def test_a_colleague_joins_through_our_signed_message_id_never_a_guessable_one(mailbox):
    first = dana_thread(mailbox)
    agent = make_agent(username="alice", teams=[mailbox.teams.get()])
    reply = send_reply(conversation=first.conversation, author=agent, text="On it.")
    assert deliver_message(message_id=reply.pk).status == "sent"
    reply.refresh_from_db()
    # The old, predictable form of our Message-IDs: anyone could write it.
    guessable = f"<omnidesk-message-{reply.pk}.{first.conversation_id}@desk.test>"
    Message.objects.filter(pk=reply.pk).update(email_message_id=guessable)
    guessed = receive_email(
        mailbox,
        sender="walter@fbi.example",
        message_id="<walter-1@fbi.example>",
        subject="Re: Refund for order 4242",
        in_reply_to=guessable,
    )
    assert guessed.conversation_id != first.conversation_id

    Message.objects.filter(pk=reply.pk).update(email_message_id=reply.email_message_id)
    answered = receive_email(
        mailbox,
        sender="walter@fbi.example",
        message_id="<walter-2@fbi.example>",
        subject="Re: Refund for order 4242",
        in_reply_to=reply.email_message_id,
    )
    assert answered.conversation_id == first.conversation_id
    assert Conversation.objects.count() == 2
