"""Loop and noise protection: auto-replies are flagged, bounces fail the outbound message."""

from __future__ import annotations

import pytest

from channels_app.models import InboundEvent
from conversations import services as conversation_services
from conversations.models import Message
from intake.services import email as email_services
from tests.channels_app.conftest import email_fixture

pytestmark = pytest.mark.django_db


def poll(endpoint, capture) -> None:
    with capture(execute=True):
        email_services.poll_mailbox(endpoint_id=endpoint.pk)


def test_an_auto_reply_is_kept_but_marked_never_to_be_answered_automatically(
    dovecot, email_endpoint, django_capture_on_commit_callbacks
):
    dovecot.append(email_endpoint.credentials["imap_user"], email_fixture("auto_reply.eml"))
    poll(email_endpoint, django_capture_on_commit_callbacks)
    message = Message.objects.get()
    assert message.metadata["auto_submitted"] is True
    assert message.metadata["no_auto_reply"] is True


def test_a_mailer_daemon_bounce_marks_our_reply_failed_and_adds_no_message(
    dovecot, email_endpoint, smtp_server, agent, django_capture_on_commit_callbacks
):
    user = email_endpoint.credentials["imap_user"]
    dovecot.append(user, email_fixture("iso_8859_1.eml"))
    poll(email_endpoint, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        reply = conversation_services.send_reply(
            conversation=Message.objects.get().conversation, author=agent, text="Bonjour"
        )
    reply.refresh_from_db()
    assert reply.delivery_status == Message.DeliveryStatus.SENT

    bounce = email_fixture("bounce_dsn.eml").replace(
        b"<BOUNCED-MESSAGE-ID>", reply.email_message_id.encode()
    )
    dovecot.append(user, bounce)
    poll(email_endpoint, django_capture_on_commit_callbacks)

    reply.refresh_from_db()
    assert reply.delivery_status == Message.DeliveryStatus.FAILED
    assert "5.1.1" in reply.delivery_error
    assert "User unknown" in reply.delivery_error
    assert Message.objects.filter(direction=Message.Direction.INBOUND).count() == 1
    assert InboundEvent.objects.get(kind="bounce").status == InboundEvent.Status.PROCESSED
