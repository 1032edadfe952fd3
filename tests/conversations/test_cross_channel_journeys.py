"""Cross-channel continuity stays what DESIGN.md promises: a customer moving from SMS to
WhatsApp, or answering by email the email an agent sent on their chat, stays in one
conversation, and the timeline says which rule joined it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from channels_app.types import InboundMessage
from conversations.models import Conversation, ConversationEvent, Message
from conversations.presenters import timeline_entries
from conversations.selectors import conversation_timeline
from conversations.services import deliver_message, receive_message, send_reply
from tests.conversations.mail import receive_email
from tests.factories import EndpointFactory, IdentityFactory, TeamFactory, make_agent

pytestmark = pytest.mark.django_db


def switches(conversation_id: int) -> list[tuple[str, str, str]]:
    return [
        (e.data["from"], e.data["to"], e.data.get("rule", ""))
        for e in ConversationEvent.objects.filter(
            conversation_id=conversation_id, kind=ConversationEvent.Kind.CHANNEL_SWITCHED
        )
    ]


def test_sms_then_whatsapp_continue_one_conversation():
    sms = EndpointFactory(kind="sms", name="Support SMS")
    whatsapp = EndpointFactory(kind="whatsapp", name="Support WhatsApp")
    TeamFactory(name="Support", endpoints=[sms, whatsapp])
    now = timezone.now()
    first = receive_message(
        endpoint=sms,
        inbound=InboundMessage(provider_id="SM1", identities={"phone": "+14155552671"}, text="Hi"),
        received_at=now,
    )
    second = receive_message(
        endpoint=whatsapp,
        inbound=InboundMessage(
            provider_id="wamid.1", identities={"phone": "+14155552671"}, text="Easier here"
        ),
        received_at=now + timedelta(hours=3),
    )
    assert second.conversation_id == first.conversation_id
    assert switches(first.conversation_id) == [("sms", "whatsapp", "window")]


def test_an_email_answer_to_the_email_an_agent_sent_on_a_chat_joins_the_chat(
    django_capture_on_commit_callbacks,
):
    chat = EndpointFactory(kind="webchat", name="Website chat")
    mail = EndpointFactory(
        kind="email",
        name="Acme Support",
        config={
            "address": "support@desk.test",
            "email_backend": "django.core.mail.backends.locmem.EmailBackend",
        },
    )
    team = TeamFactory(name="Support", endpoints=[chat, mail])
    agent = make_agent(username="alice", teams=[team])
    started = receive_message(
        endpoint=chat,
        inbound=InboundMessage(
            provider_id="chat-1", identities={"webchat": "visitor-7"}, text="Are you there?"
        ),
    )
    IdentityFactory(customer=started.conversation.customer, kind="email", value="dana@fbi.example")
    # The visitor left; the agent answers by email.
    with django_capture_on_commit_callbacks(execute=False):
        reply = send_reply(
            conversation=started.conversation,
            author=agent,
            text="Sorry we missed you.",
            endpoint=mail,
        )
    assert deliver_message(message_id=reply.pk).status == "sent"
    reply.refresh_from_db()

    answer = receive_email(
        mail,
        sender="Dana <dana@fbi.example>",
        message_id="<answer@fbi.example>",
        subject="Re: Your conversation with us",
        in_reply_to=reply.email_message_id,
        references=[reply.email_message_id],
    )

    assert answer.conversation_id == started.conversation_id
    assert Conversation.objects.count() == 1
    assert switches(started.conversation_id) == [("webchat", "email", "thread")]
    # The timeline says why it joined.
    entries = timeline_entries(
        conversation_timeline(conversation=answer.conversation).items, customer_name="Dana"
    )
    assert "Customer switched from Chat to Email (a reply in this email thread)" in [
        str(e.body) for e in entries if not e.is_message
    ]
    assert answer.direction == Message.Direction.INBOUND


def test_a_new_email_after_a_chat_is_a_conversation_of_its_own_by_default():
    chat = EndpointFactory(kind="webchat", name="Website chat")
    mail = EndpointFactory(kind="email", name="Support mail")
    TeamFactory(name="Support", endpoints=[chat, mail])
    now = timezone.now()
    started = receive_message(
        endpoint=chat,
        inbound=InboundMessage(
            provider_id="chat-1",
            identities={"webchat": "visitor-7", "email": "dana@fbi.example"},
            text="Hello",
        ),
        received_at=now,
    )
    by_email = receive_email(
        mail,
        sender="dana@fbi.example",
        message_id="<later@fbi.example>",
        subject="Another thing",
        received_at=now + timedelta(minutes=2),
    )
    assert by_email.conversation_id != started.conversation_id
