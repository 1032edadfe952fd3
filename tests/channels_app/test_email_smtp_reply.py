"""Email replies leave through a real SMTP server, threaded for the customer's client."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from conversations import services as conversation_services
from conversations.models import Conversation, Message
from intake.services import email as email_services
from tests.channels_app.conftest import email_fixture

pytestmark = pytest.mark.django_db


def receive(dovecot, endpoint, raw: bytes, capture) -> Message:
    dovecot.append(endpoint.credentials["imap_user"], raw)
    with capture(execute=True):
        email_services.poll_mailbox(endpoint_id=endpoint.pk)
    return Message.objects.filter(direction=Message.Direction.INBOUND).latest("id")


def test_reply_is_sent_over_smtp_with_threading_headers_agent_name_and_subject_token(
    dovecot, email_endpoint, smtp_server, agent, django_capture_on_commit_callbacks
):
    inbound = receive(
        dovecot, email_endpoint, email_fixture("iso_8859_1.eml"), django_capture_on_commit_callbacks
    )
    conversation = inbound.conversation
    with django_capture_on_commit_callbacks(execute=True):
        reply = conversation_services.send_reply(
            conversation=conversation, author=agent, text="Désolé ! Un nouveau colis part demain."
        )

    [mail] = smtp_server.received
    assert mail.mail_from == "support@desk.test"
    assert mail.rcpt_tos == ["francois@exemple.fr"]
    message = mail.message
    [sender] = message["From"].addresses
    assert (sender.display_name, sender.addr_spec) == (
        f"{reply.sender_name} (Acme Support)",
        "support@desk.test",
    )
    # 128 bits only the desk can compute; no message or conversation counter in it.
    expected_id = message["Message-ID"]
    assert re.fullmatch(r"<[0-9a-f]{32}@desk\.test>", expected_id)
    assert message["In-Reply-To"] == "<latin1-0001@exemple.fr>"
    assert message["References"] == "<latin1-0001@exemple.fr>"
    assert message["Subject"] == f"Re: Problème de livraison [#{conversation.pk}]"
    assert message.get_content().strip() == "Désolé ! Un nouveau colis part demain."
    reply.refresh_from_db()
    assert reply.delivery_status == Message.DeliveryStatus.SENT
    assert reply.email_message_id == expected_id


def test_the_customers_answer_to_our_reply_threads_back_by_in_reply_to(
    dovecot, email_endpoint, smtp_server, agent, django_capture_on_commit_callbacks
):
    inbound = receive(
        dovecot, email_endpoint, email_fixture("iso_8859_1.eml"), django_capture_on_commit_callbacks
    )
    with django_capture_on_commit_callbacks(execute=True):
        reply = conversation_services.send_reply(
            conversation=inbound.conversation, author=agent, text="Sent again."
        )
    reply.refresh_from_db()
    # Resolved long ago: only the thread headers can bring the answer back here.
    Conversation.objects.filter(pk=inbound.conversation_id).update(
        status=Conversation.Status.RESOLVED, last_message_at=timezone.now() - timedelta(days=60)
    )
    answer = (
        "From: francois@exemple.fr\r\nTo: support@desk.test\r\nSubject: merci\r\n"
        "Message-ID: <answer-1@exemple.fr>\r\n"
        f"In-Reply-To: {reply.email_message_id}\r\nReferences: {reply.email_message_id}\r\n"
        "\r\nMerci beaucoup.\r\n"
    ).encode()
    threaded = receive(dovecot, email_endpoint, answer, django_capture_on_commit_callbacks)
    assert threaded.conversation_id == inbound.conversation_id
    assert Conversation.objects.get(pk=inbound.conversation_id).status == "open"


def test_a_refused_recipient_fails_the_reply_for_good(
    dovecot, email_endpoint, smtp_server, agent, django_capture_on_commit_callbacks
):
    inbound = receive(
        dovecot, email_endpoint, email_fixture("iso_8859_1.eml"), django_capture_on_commit_callbacks
    )
    smtp_server.handler.refused_recipients.add("francois@exemple.fr")
    with django_capture_on_commit_callbacks(execute=True):
        reply = conversation_services.send_reply(
            conversation=inbound.conversation, author=agent, text="Hello?"
        )
    reply.refresh_from_db()
    assert reply.delivery_status == Message.DeliveryStatus.FAILED
    assert "550 5.1.1" in reply.delivery_error


def test_an_unreachable_smtp_server_keeps_the_reply_queued_for_a_retry(
    dovecot, email_endpoint, smtp_server, agent, django_capture_on_commit_callbacks
):
    inbound = receive(
        dovecot, email_endpoint, email_fixture("iso_8859_1.eml"), django_capture_on_commit_callbacks
    )
    smtp_server.stop()
    with django_capture_on_commit_callbacks(execute=True):
        reply = conversation_services.send_reply(
            conversation=inbound.conversation, author=agent, text="Hello?"
        )
    reply.refresh_from_db()
    assert reply.delivery_status == Message.DeliveryStatus.QUEUED
    assert reply.next_attempt_at is not None
    assert "SMTP server unreachable" in reply.delivery_error


def test_reply_attachments_go_out_as_mime_parts(
    dovecot, email_endpoint, smtp_server, agent, django_capture_on_commit_callbacks
):
    from django.core.files.base import ContentFile

    from conversations.models import Attachment
    from conversations.services import delivery

    inbound = receive(
        dovecot, email_endpoint, email_fixture("iso_8859_1.eml"), django_capture_on_commit_callbacks
    )
    with django_capture_on_commit_callbacks(execute=False):
        reply = conversation_services.send_reply(
            conversation=inbound.conversation, author=agent, text="Voici la facture."
        )
    attachment = Attachment(message=reply, filename="facture.pdf", content_type="application/pdf")
    attachment.file.save("facture.pdf", ContentFile(b"%PDF-1.4 facture"), save=True)

    assert delivery.deliver_message(message_id=reply.pk).status == "sent"

    [mail] = smtp_server.received
    [part] = list(mail.message.iter_attachments())
    assert part.get_filename() == "facture.pdf"
    assert part.get_content_type() == "application/pdf"
    assert part.get_content() == b"%PDF-1.4 facture"
