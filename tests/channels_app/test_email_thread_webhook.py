"""Through the signed Mailgun inbound webhook and the drain: a new topic from a customer
with an open conversation is a conversation of its own, and a colleague's reply-all
joins the thread it answers as a participant."""

from __future__ import annotations

import pytest

from conversations.models import Conversation, ConversationParticipant, Message
from tests.conversations.mail import DESK, RECEIVING_SERVER, post_to_mailgun_webhook, raw_email
from tests.factories import EndpointFactory, TeamFactory

pytestmark = pytest.mark.django_db

SIGNING_KEY = "key-threads-0123456789abcdef"


@pytest.fixture
def mailgun():
    endpoint = EndpointFactory(
        kind="email",
        config={
            "address": DESK,
            "inbound_provider": "mailgun",
            "trusted_authserv_id": RECEIVING_SERVER,
        },
        credentials={"webhook_signing_key": SIGNING_KEY},
    )
    TeamFactory(endpoints=[endpoint])
    return endpoint


def post(client, endpoint, raw: bytes, capture) -> None:
    """The post Mailgun makes for one message (a fresh token, signed now)."""
    with capture(execute=True):
        response = post_to_mailgun_webhook(client, endpoint, raw, signing_key=SIGNING_KEY)
    assert response.status_code == 200


def test_new_topics_and_a_colleagues_reply_all_through_the_webhook(
    client, mailgun, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    post(
        client,
        mailgun,
        raw_email(
            sender="Dana Scully <dana@acme-corp.example>",
            message_id="<t1@acme-corp.example>",
            subject="Der Drucker druckt nicht",
            cc=["walter@acme-corp.example"],
        ),
        capture,
    )
    post(
        client,
        mailgun,
        raw_email(
            sender="Dana Scully <dana@acme-corp.example>",
            message_id="<t2@acme-corp.example>",
            subject="Rechnung 4242",
        ),
        capture,
    )
    post(
        client,
        mailgun,
        raw_email(
            sender="Walter Skinner <walter@acme-corp.example>",
            message_id="<w1@acme-corp.example>",
            subject="Re: Der Drucker druckt nicht",
            cc=["dana@acme-corp.example"],
            in_reply_to="<t1@acme-corp.example>",
            references=["<t1@acme-corp.example>"],
        ),
        capture,
    )

    printer = Message.objects.get(email_message_id="<t1@acme-corp.example>").conversation
    invoice = Message.objects.get(email_message_id="<t2@acme-corp.example>").conversation
    walter = Message.objects.get(email_message_id="<w1@acme-corp.example>")
    assert Conversation.objects.count() == 2
    assert printer != invoice
    assert walter.conversation == printer
    assert walter.sender_name == "Walter Skinner"
    assert ConversationParticipant.objects.get().address == "walter@acme-corp.example"
    assert ConversationParticipant.objects.get().conversation == printer
