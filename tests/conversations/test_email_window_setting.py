"""Rule 4 of docs/continuity.md: with `OMNIDESK_EMAIL_CONTINUITY_MINUTES` set, an email
that names no thread continues the customer's conversation of a conversational channel
active that recently; never an email conversation, and never when the setting is off."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from channels_app.types import InboundMessage
from conversations.models import ConversationEvent
from conversations.services import receive_message
from tests.conversations.mail import receive_email
from tests.factories import EndpointFactory, TeamFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def inboxes():
    whatsapp = EndpointFactory(kind="whatsapp", name="WhatsApp")
    mail = EndpointFactory(kind="email", name="Mail")
    TeamFactory(name="Support", endpoints=[whatsapp, mail])
    return whatsapp, mail


def whatsapp_message(endpoint, at):
    return receive_message(
        endpoint=endpoint,
        inbound=InboundMessage(
            provider_id="wamid.1",
            identities={"phone": "+14155552671", "email": "dana@fbi.example"},
            text="Photo of the damage coming by email",
        ),
        received_at=at,
    )


def test_with_the_setting_an_email_right_after_a_whatsapp_chat_joins_it(inboxes, settings):
    settings.OMNIDESK_EMAIL_CONTINUITY_MINUTES = 30
    whatsapp, mail = inboxes
    now = timezone.now()
    chat = whatsapp_message(whatsapp, now)
    email = receive_email(
        mail,
        sender="dana@fbi.example",
        message_id="<photo@fbi.example>",
        subject="The photo",
        received_at=now + timedelta(minutes=10),
    )
    assert email.conversation_id == chat.conversation_id
    switch = ConversationEvent.objects.get(
        conversation_id=chat.conversation_id, kind=ConversationEvent.Kind.CHANNEL_SWITCHED
    )
    assert switch.data == {"from": "whatsapp", "to": "email", "rule": "email_window"}


def test_past_the_setting_the_email_opens_its_own(inboxes, settings):
    settings.OMNIDESK_EMAIL_CONTINUITY_MINUTES = 30
    whatsapp, mail = inboxes
    now = timezone.now()
    chat = whatsapp_message(whatsapp, now)
    email = receive_email(
        mail,
        sender="dana@fbi.example",
        message_id="<photo@fbi.example>",
        received_at=now + timedelta(minutes=45),
    )
    assert email.conversation_id != chat.conversation_id


def test_off_by_default(inboxes, settings):
    assert settings.OMNIDESK_EMAIL_CONTINUITY_MINUTES == 0
    whatsapp, mail = inboxes
    now = timezone.now()
    chat = whatsapp_message(whatsapp, now)
    email = receive_email(
        mail,
        sender="dana@fbi.example",
        message_id="<photo@fbi.example>",
        received_at=now + timedelta(minutes=1),
    )
    assert email.conversation_id != chat.conversation_id


def test_it_never_joins_an_email_conversation(inboxes, settings):
    settings.OMNIDESK_EMAIL_CONTINUITY_MINUTES = 30
    _, mail = inboxes
    now = timezone.now()
    first = receive_email(
        mail, sender="dana@fbi.example", message_id="<one@fbi.example>", received_at=now
    )
    second = receive_email(
        mail,
        sender="dana@fbi.example",
        message_id="<two@fbi.example>",
        subject="Something else",
        received_at=now + timedelta(minutes=1),
    )
    assert second.conversation_id != first.conversation_id
