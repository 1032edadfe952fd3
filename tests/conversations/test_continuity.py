"""Which conversation a new message joins (DESIGN.md, the continuity rules)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from channels_app.models import ChannelEndpoint
from channels_app.types import InboundMessage
from conversations.models import Conversation, ConversationEvent
from conversations.services import change_status, receive_message
from tests.factories import EndpointFactory, TeamFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def endpoints():
    return {
        kind: EndpointFactory(kind=kind, name=kind)
        for kind in (
            ChannelEndpoint.Kind.WHATSAPP,
            ChannelEndpoint.Kind.EMAIL,
            ChannelEndpoint.Kind.SMS,
        )
    }


def msg(provider_id, text="hi", **fields):
    identities = {k: v for k, v in fields.items() if k in ("email", "phone", "external")}
    rest = {k: v for k, v in fields.items() if k not in identities}
    return InboundMessage(provider_id=provider_id, identities=identities, text=text, **rest)


def test_a_new_email_opens_its_own_conversation_and_sms_continues_the_most_recent(endpoints):
    # Email threads are conversations: an email that names no thread opens its own, even
    # with a WhatsApp conversation open; a conversational channel then continues the
    # customer's most recently active conversation (docs/continuity.md).
    now = timezone.now()
    on_whatsapp = receive_message(
        endpoint=endpoints["whatsapp"],
        inbound=msg("w1", phone="+14155552671", email="d@example.com"),
        received_at=now,
    )
    by_email = receive_message(
        endpoint=endpoints["email"],
        inbound=msg("e1", email="d@example.com"),
        received_at=now + timedelta(hours=1),
    )
    by_sms = receive_message(
        endpoint=endpoints["sms"],
        inbound=msg("s1", phone="+14155552671"),
        received_at=now + timedelta(hours=2),
    )

    assert by_email.conversation_id != on_whatsapp.conversation_id
    assert by_sms.conversation_id == by_email.conversation_id
    conversation = Conversation.objects.get(pk=by_email.conversation_id)
    assert list(conversation.messages.values_list("channel", flat=True)) == ["email", "sms"]
    switches = conversation.events.filter(kind=ConversationEvent.Kind.CHANNEL_SWITCHED)
    assert [(e.data["from"], e.data["to"], e.data["rule"]) for e in switches] == [
        ("email", "sms", "window")
    ]
    assert conversation.last_channel == "sms"


def test_a_message_after_the_continuity_window_opens_a_new_conversation(endpoints, settings):
    settings.OMNIDESK_CONTINUITY_WINDOW_DAYS = 7
    start = timezone.now() - timedelta(days=10)
    receive_message(
        endpoint=endpoints["sms"], inbound=msg("s1", phone="+14155552671"), received_at=start
    )
    receive_message(
        endpoint=endpoints["sms"],
        inbound=msg("s2", phone="+14155552671"),
        received_at=start + timedelta(days=8),
    )
    assert Conversation.objects.count() == 2


@pytest.mark.parametrize("status", ["pending", "snoozed"])
def test_pending_and_snoozed_conversations_continue_and_reopen(endpoints, status):
    first = receive_message(endpoint=endpoints["sms"], inbound=msg("s1", phone="+14155552671"))
    change_status(
        conversation=first.conversation,
        status=status,
        actor=None,
        snoozed_until=timezone.now() + timedelta(days=1) if status == "snoozed" else None,
    )
    second = receive_message(endpoint=endpoints["sms"], inbound=msg("s2", phone="+14155552671"))
    assert second.conversation == first.conversation
    second.conversation.refresh_from_db()
    assert second.conversation.status == "open"


def test_a_resolved_conversation_is_not_continued(endpoints):
    first = receive_message(endpoint=endpoints["sms"], inbound=msg("s1", phone="+14155552671"))
    change_status(conversation=first.conversation, status="resolved", actor=None)
    second = receive_message(endpoint=endpoints["sms"], inbound=msg("s2", phone="+14155552671"))
    assert second.conversation != first.conversation


def test_an_email_reply_joins_its_thread_and_reopens_it_even_after_resolution(endpoints):
    original = receive_message(
        endpoint=endpoints["email"],
        inbound=msg(
            "<a1@mail.example>",
            email="d@example.com",
            subject="Refund",
            email_message_id="<a1@mail.example>",
        ),
    )
    change_status(conversation=original.conversation, status="resolved", actor=None)
    # Meanwhile the customer opened another conversation on SMS.
    other = receive_message(
        endpoint=endpoints["whatsapp"],
        inbound=msg("w1", phone="+14155552671", email="d@example.com"),
    )
    reply = receive_message(
        endpoint=endpoints["email"],
        inbound=msg(
            "<a2@mail.example>",
            email="d@example.com",
            subject="Re: Refund",
            email_message_id="<a2@mail.example>",
            email_in_reply_to="<a1@mail.example>",
            email_references=("<a1@mail.example>",),
        ),
    )
    assert reply.conversation == original.conversation
    assert reply.conversation != other.conversation
    original.conversation.refresh_from_db()
    assert original.conversation.status == "open"
    assert original.conversation.events.filter(kind="reopened").exists()


def test_a_new_conversation_lands_in_the_team_owning_the_endpoint(endpoints):
    team = TeamFactory(name="Messaging", endpoints=[endpoints["sms"]])
    message = receive_message(endpoint=endpoints["sms"], inbound=msg("s1", phone="+14155552671"))
    assert message.conversation.team == team
    assert message.conversation.waiting_since == message.created_at


def test_receiving_the_same_provider_id_twice_makes_one_message(endpoints):
    first = receive_message(endpoint=endpoints["sms"], inbound=msg("s1", phone="+14155552671"))
    again = receive_message(endpoint=endpoints["sms"], inbound=msg("s1", phone="+14155552671"))
    assert first.pk == again.pk
    assert first.conversation.messages.count() == 1
