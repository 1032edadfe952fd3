"""A notification by email: sent over SMTP to a real local server, on the customer's
timeline in a conversation their mail client's reply (through the signed Mailgun
inbound webhook, threaded by In-Reply-To) continues."""

from __future__ import annotations

import pytest

from channels_app.models import ChannelEndpoint
from conversations.models import Conversation, Message
from outreach import services
from outreach.models import Notification, NotificationTemplate
from tests.conversations.mail import DESK, RECEIVING_SERVER, post_to_mailgun_webhook, raw_email
from tests.factories import EndpointFactory, TeamFactory
from tests.outreach.conftest import customer_with

pytestmark = pytest.mark.django_db

SIGNING_KEY = "key-outreach-0123456789abcdef"
DANA = "dana@example.com"


@pytest.fixture
def mailbox(db, smtp_server) -> ChannelEndpoint:
    """An inbox that sends over SMTP and receives from Mailgun's inbound webhook."""
    endpoint = EndpointFactory(
        kind="email",
        name="Acme Support",
        config={
            "address": DESK,
            "inbound_provider": "mailgun",
            "trusted_authserv_id": RECEIVING_SERVER,
        },
        credentials={
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp_server.port,
            "smtp_tls": "none",
            "webhook_signing_key": SIGNING_KEY,
        },
    )
    TeamFactory(name="Email", endpoints=[endpoint])
    return endpoint


@pytest.fixture
def shipped(db) -> NotificationTemplate:
    return NotificationTemplate.objects.create(
        key="order_shipped",
        locale="en",
        subject="Order {{ order }} has shipped",
        body="Hi {{ customer_name }}, order {{ order }} is on its way.",
    )


def post_mailgun(client, endpoint, raw: bytes, capture) -> None:
    """The post Mailgun makes for one message (a fresh token, signed now)."""
    with capture(execute=True):
        response = post_to_mailgun_webhook(client, endpoint, raw, signing_key=SIGNING_KEY)
    assert response.status_code == 200, response.content


@pytest.mark.parametrize(
    "found_by",
    [
        "thread headers",  # a mail client's reply, its subject retyped without the token
        "subject token",  # a reply whose client dropped In-Reply-To and References
    ],
)
def test_an_email_notification_and_the_customers_reply_share_a_conversation(
    found_by,
    client,
    mailbox,
    smtp_server,
    shipped,
    supervisor,
    django_capture_on_commit_callbacks,
):
    customer = customer_with(email=DANA)
    with django_capture_on_commit_callbacks(execute=True):
        notification = services.create_notification(
            customer=customer,
            template_key="order_shipped",
            variables={"order": "1042"},
            created_by=supervisor,
        )
    notification.refresh_from_db()
    assert notification.status == Notification.Status.QUEUED
    assert notification.endpoint == mailbox
    [mail] = smtp_server.received
    assert mail.rcpt_tos == [DANA]
    sent_id = mail.message["Message-ID"].strip()
    assert sent_id
    message = notification.message
    message.refresh_from_db()
    assert message.delivery_status == Message.DeliveryStatus.SENT
    conversation = message.conversation
    assert conversation.customer == customer
    assert conversation.status == Conversation.Status.PENDING

    subject = str(mail.message["Subject"])
    assert subject == f"Order 1042 has shipped [#{conversation.pk}]"
    if found_by == "thread headers":
        threading = {
            "subject": "Re: Order 1042 has shipped",
            "in_reply_to": sent_id,
            "references": [sent_id],
        }
    else:
        threading = {"subject": f"Re: {subject}"}
    post_mailgun(
        client,
        mailbox,
        raw_email(
            sender=f"Dana Scully <{DANA}>",
            message_id="<answer-1@example.com>",
            text="Thanks! Can it be left with a neighbour?",
            **threading,
        ),
        django_capture_on_commit_callbacks,
    )
    reply = Message.objects.get(direction=Message.Direction.INBOUND)
    assert reply.email_message_id == "<answer-1@example.com>"
    assert reply.conversation_id == conversation.pk
    assert reply.conversation.customer_id == customer.pk
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.OPEN
    assert Conversation.objects.count() == 1
