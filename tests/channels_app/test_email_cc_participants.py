"""Agent replies go to the customer with the thread's participants in Cc, over a real SMTP
server, as Zendesk and Help Scout do; automatic messages go to the customer alone."""

from __future__ import annotations

import pytest

from channels_app.adapters.email import inbound_from_raw
from conversations.models import Message
from conversations.services import deliver_message, queue_outbound_message, send_reply
from conversations.services.common import lock_conversation
from tests.conversations.mail import raw_email, receive_email
from tests.factories import EndpointFactory, TeamFactory, make_agent

pytestmark = pytest.mark.django_db


@pytest.fixture
def mailbox(smtp_server):
    endpoint = EndpointFactory(
        kind="email",
        name="Acme Support",
        config={"address": "support@desk.test"},
        credentials={
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp_server.port,
            "smtp_tls": "none",
        },
    )
    TeamFactory(name="Support", endpoints=[endpoint])
    return endpoint


def test_cc_addresses_are_read_lower_cased_without_repeats():
    inbound = inbound_from_raw(
        raw_email(
            sender="dana@acme-corp.example",
            message_id="<cc@acme-corp.example>",
            cc=["Walter <Walter@ACME-corp.example>", "walter@acme-corp.example", "fox@x.example"],
        ),
        source="test",
    )
    assert inbound.metadata["cc"] == ["walter@acme-corp.example", "fox@x.example"]


def test_an_agent_reply_goes_to_the_customer_with_the_colleague_in_cc(mailbox, smtp_server):
    first = receive_email(
        mailbox,
        sender="Dana <dana@acme-corp.example>",
        message_id="<start@acme-corp.example>",
        subject="Invoices",
    )
    receive_email(
        mailbox,
        sender="Walter <walter@acme-corp.example>",
        message_id="<walter@acme-corp.example>",
        subject="Re: Invoices",
        cc=["dana@acme-corp.example"],
        in_reply_to="<start@acme-corp.example>",
    )
    agent = make_agent(username="alice", teams=[mailbox.teams.get()])

    # The colleague wrote last; the answer still goes to the customer, copying him.
    reply = send_reply(conversation=first.conversation, author=agent, text="Fixed, both of you.")
    assert deliver_message(message_id=reply.pk).status == "sent"

    [mail] = smtp_server.received
    assert mail.message["To"] == "dana@acme-corp.example"
    assert mail.message["Cc"] == "walter@acme-corp.example"
    assert sorted(mail.rcpt_tos) == ["dana@acme-corp.example", "walter@acme-corp.example"]
    assert Message.objects.get(pk=reply.pk).metadata["cc"] == ["walter@acme-corp.example"]


def test_an_automatic_message_copies_nobody(mailbox, smtp_server):
    first = receive_email(
        mailbox, sender="dana@acme-corp.example", message_id="<s@acme-corp.example>"
    )
    receive_email(
        mailbox,
        sender="walter@acme-corp.example",
        message_id="<w@acme-corp.example>",
        in_reply_to="<s@acme-corp.example>",
    )
    conversation = lock_conversation(first.conversation_id, "customer")
    auto = queue_outbound_message(
        conversation=conversation, kind=Message.Kind.BOT, text="We got your message."
    )
    assert deliver_message(message_id=auto.pk).status == "sent"
    [mail] = smtp_server.received
    assert mail.message["Cc"] is None
    assert mail.rcpt_tos == ["dana@acme-corp.example"]
