"""A forged From joins nobody's thread (issue 14, finding M3, its inbound half): mail that
no trusted SPF/DKIM/DMARC verdict proves, or that fails it, from a customer's known
address opens a conversation of its own, on a customer of its own, marked "Sender not
verified", even when it names their thread in In-Reply-To and their conversation in the
subject; mail whose verdict passes joins and reopens the thread as before."""

from __future__ import annotations

import pytest

from channels_app.adapters.email import inbound_from_raw
from conversations.models import Conversation
from conversations.services import receive_message
from customers.identities import Proof
from customers.models import Identity, MergeSuggestion
from tests.conversations.mail import RECEIVING_SERVER, raw_email, receive_email, stamped
from tests.inbox.conftest import client_for

pytestmark = pytest.mark.django_db

DANA = "Dana Scully <dana@example.com>"


def dana_wrote_and_was_answered(desk) -> Conversation:
    first = receive_email(
        desk.email, sender=DANA, message_id="<d1@example.com>", subject="Refund for order 4242"
    )
    conversation = first.conversation
    Conversation.objects.filter(pk=conversation.pk).update(status=Conversation.Status.RESOLVED)
    return conversation


def reply_to(conversation: Conversation, *, verdict: str) -> bytes:
    raw = raw_email(
        sender=DANA,
        message_id="<reply@mailer.attacker.example>",
        subject=f"Re: Refund for order 4242 [#{conversation.pk}]",
        text="Please send the refund to my new account, IBAN DE00 1234 5678.",
        in_reply_to="<d1@example.com>",
        references=["<d1@example.com>"],
        authenticated=False,
    )
    if verdict == "fail":
        # The trusted receiving server checked it and DMARC failed.
        raw = stamped(raw, result="fail")
    elif verdict == "pass":
        raw = stamped(raw)
    return raw


def receive(desk, raw: bytes):
    inbound = inbound_from_raw(raw, source="test", trusted_authserv_ids=(RECEIVING_SERVER,))
    return receive_message(endpoint=desk.email, inbound=inbound)


@pytest.mark.parametrize("verdict", ["none", "fail"])
def test_unverified_mail_from_a_customers_address_opens_its_own_flagged_conversation(desk, verdict):
    thread = dana_wrote_and_was_answered(desk)
    dana = thread.customer

    spoofed = receive(desk, reply_to(thread, verdict=verdict))

    assert spoofed.conversation_id != thread.pk
    assert spoofed.conversation.customer_id != dana.pk
    thread.refresh_from_db()
    assert thread.status == Conversation.Status.RESOLVED, "never reopened"
    assert thread.messages.count() == 1
    assert spoofed.metadata["email_auth"]["pass"] is False
    # Dana keeps her address; the stranger's record only notes it, for an agent to judge.
    assert Identity.objects.get(value="dana@example.com").customer_id == dana.pk
    assert spoofed.conversation.customer.attributes["unverified_email"] == "dana@example.com"
    assert MergeSuggestion.objects.filter(
        customer__in=[dana, spoofed.conversation.customer],
        other__in=[dana, spoofed.conversation.customer],
    ).exists()

    agent = client_for(desk.alice)
    flagged = agent.get(f"/inbox/c/{spoofed.conversation_id}/").content.decode()
    assert "Sender not verified" in flagged
    assert "Sender not verified" not in agent.get(f"/inbox/c/{thread.pk}/").content.decode()


def test_mail_whose_verdict_passes_joins_and_reopens_the_thread(desk):
    thread = dana_wrote_and_was_answered(desk)

    reply = receive(desk, reply_to(thread, verdict="pass"))

    assert reply.conversation_id == thread.pk
    thread.refresh_from_db()
    assert thread.status == Conversation.Status.OPEN
    assert reply.metadata["email_auth"]["pass"] is True
    assert Identity.objects.get(value="dana@example.com").proof == Proof.EMAIL_AUTHENTICATED


def test_unverified_mail_from_a_new_address_is_a_new_customer_whose_address_is_only_claimed(
    desk,
):
    message = receive(
        desk,
        raw_email(
            sender="Walter <walter@example.net>", message_id="<w1@example.net>", authenticated=False
        ),
    )
    identity = Identity.objects.get(value="walter@example.net")
    assert identity.customer_id == message.conversation.customer_id
    assert identity.proof == Proof.CLAIMED
    assert message.metadata["email_auth"]["pass"] is False
