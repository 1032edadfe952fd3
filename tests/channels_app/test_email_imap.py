"""IMAP polling against a real Dovecot: UID-based, stored before marked, never crashes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from channels_app.models import InboundEvent
from conversations.models import Conversation, Message
from customers.models import Identity
from intake import tasks
from intake.services import email as email_services
from tests.channels_app.conftest import FIXTURES, email_fixture
from tests.factories import ConversationFactory, EndpointFactory, IdentityFactory, MessageFactory

pytestmark = pytest.mark.django_db


def mailbox_user(endpoint) -> str:
    return endpoint.credentials["imap_user"]


def poll(endpoint, capture) -> email_services.PollResult:
    with capture(execute=True):
        return email_services.poll_mailbox(endpoint_id=endpoint.pk)


def test_new_mail_lands_on_the_known_customers_timeline_and_is_marked_seen_after(
    dovecot, email_endpoint, django_capture_on_commit_callbacks
):
    known = IdentityFactory(kind=Identity.Kind.EMAIL, value="dana@example.com").customer
    IdentityFactory(customer=known, kind=Identity.Kind.PHONE, value="+14155552671")
    sms_conversation = ConversationFactory(customer=known, endpoint=EndpointFactory(kind="sms"))
    MessageFactory(conversation=sms_conversation)
    dovecot.append(mailbox_user(email_endpoint), email_fixture("plain_reply_with_quote.eml"))

    result = poll(email_endpoint, django_capture_on_commit_callbacks)

    assert (result.fetched, result.stored, result.failed) == (1, 1, 0)
    message = Message.objects.get(channel="email")
    # The customer's timeline; an email that names none of their conversations opens its
    # own rather than joining the open SMS one (docs/continuity.md).
    assert message.conversation.customer == known
    assert message.conversation != sms_conversation
    assert message.email_message_id == "<CAH7mZp4=reply-1@mail.example.com>"
    shown, folded_away = message.body_html.split("<details", 1)
    assert "Thanks! The tracking link" in shown and "Thanks! The tracking link" not in folded_away
    assert b"\\Seen" in dovecot.flags(mailbox_user(email_endpoint))[1]
    email_endpoint.refresh_from_db()
    assert email_endpoint.config["imap_state"]["last_uid"] == 1


def test_a_second_poll_fetches_only_newer_uids(
    dovecot, email_endpoint, django_capture_on_commit_callbacks
):
    user = mailbox_user(email_endpoint)
    dovecot.append(user, email_fixture("iso_8859_1.eml"))
    assert poll(email_endpoint, django_capture_on_commit_callbacks).fetched == 1
    assert poll(email_endpoint, django_capture_on_commit_callbacks).fetched == 0
    dovecot.append(user, email_fixture("iso_2022_jp.eml"))
    assert poll(email_endpoint, django_capture_on_commit_callbacks).fetched == 1
    assert Message.objects.count() == 2
    assert InboundEvent.objects.count() == 2


def test_the_same_mail_delivered_twice_is_stored_once(
    dovecot, email_endpoint, django_capture_on_commit_callbacks
):
    user = mailbox_user(email_endpoint)
    dovecot.append(user, email_fixture("iso_8859_1.eml"))
    dovecot.append(user, email_fixture("iso_8859_1.eml"))
    result = poll(email_endpoint, django_capture_on_commit_callbacks)
    assert result.fetched == 2
    assert Message.objects.count() == 1


def test_the_whole_tricky_corpus_is_ingested_without_a_crash(
    dovecot, email_endpoint, django_capture_on_commit_callbacks
):
    corpus = sorted((FIXTURES / "email").glob("*.eml"))
    user = mailbox_user(email_endpoint)
    for path in corpus:
        if path.stat().st_size:  # IMAP refuses to store an empty message
            dovecot.append(user, path.read_bytes())
    in_mailbox = len(dovecot.flags(user))
    assert in_mailbox == len(corpus) - 1

    result = poll(email_endpoint, django_capture_on_commit_callbacks)

    assert result.fetched == in_mailbox
    assert all(b"\\Seen" in line for line in dovecot.flags(user).values())
    events = InboundEvent.objects.all()
    # Every message is either on a timeline or kept as a failed event with its reason.
    assert events.count() == in_mailbox
    for event in events.filter(status=InboundEvent.Status.FAILED):
        assert event.error
        assert event.raw["body_b64"]
    subjects = set(Message.objects.values_list("subject", flat=True))
    assert {"Problème de livraison", "ご注文について", "Screenshot of the error"} <= subjects
    inline = Message.objects.get(subject="Screenshot of the error").attachments.get()
    assert inline.content_id == "shot1@example.org"
    assert inline.file.read().startswith(b"\x89PNG")


def test_processed_mail_can_be_moved_to_a_folder(
    dovecot, email_endpoint, django_capture_on_commit_callbacks
):
    user = mailbox_user(email_endpoint)
    client = dovecot.client(user)
    client.create("Processed")
    client.logout()
    email_endpoint.config = {**email_endpoint.config, "imap_processed_folder": "Processed"}
    email_endpoint.save()
    dovecot.append(user, email_fixture("iso_8859_1.eml"))

    poll(email_endpoint, django_capture_on_commit_callbacks)

    assert dovecot.flags(user) == {}
    assert len(dovecot.flags(user, folder="Processed")) == 1
    assert Message.objects.count() == 1


def test_a_subject_token_threads_a_reply_into_a_resolved_old_conversation(
    dovecot, email_endpoint, django_capture_on_commit_callbacks
):
    dana = IdentityFactory(kind=Identity.Kind.EMAIL, value="dana@example.com").customer
    old = ConversationFactory(
        customer=dana,
        endpoint=email_endpoint,
        status=Conversation.Status.RESOLVED,
        last_message_at=timezone.now() - timedelta(days=30),
    )
    raw = email_fixture("plain_reply_with_quote.eml").replace(b"[#4242]", f"[#{old.pk}]".encode())
    dovecot.append(mailbox_user(email_endpoint), raw)

    poll(email_endpoint, django_capture_on_commit_callbacks)

    message = Message.objects.get()
    assert message.conversation == old
    old.refresh_from_db()
    assert old.status == Conversation.Status.OPEN


def test_a_subject_token_of_another_customers_conversation_is_ignored(
    dovecot, email_endpoint, django_capture_on_commit_callbacks
):
    stranger = ConversationFactory(endpoint=email_endpoint)
    raw = email_fixture("plain_reply_with_quote.eml").replace(
        b"[#4242]", f"[#{stranger.pk}]".encode()
    )
    dovecot.append(mailbox_user(email_endpoint), raw)
    poll(email_endpoint, django_capture_on_commit_callbacks)
    assert Message.objects.get().conversation != stranger


def test_the_beat_task_polls_every_imap_mailbox(
    dovecot, email_endpoint, django_capture_on_commit_callbacks
):
    dovecot.append(mailbox_user(email_endpoint), email_fixture("iso_8859_1.eml"))
    EndpointFactory(kind="email", config={"address": "webhook-only@desk.test"})
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.poll_email_mailboxes.delay().get() == 1
    assert Message.objects.count() == 1


def test_the_same_mail_by_webhook_and_by_imap_is_one_message(
    client, dovecot, email_endpoint, django_capture_on_commit_callbacks
):
    from tests.channels_app.test_email_webhooks import mailgun_fields

    fields = mailgun_fields(key=email_endpoint.credentials["webhook_signing_key"])
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/hooks/email/{email_endpoint.key}/", data=fields).status_code == 200
    # The mailbox copy carries one more trace header than the webhook's.
    raw = b"Received: from mx2.desk.test by imap.desk.test; Mon, 23 Nov 2026 09:14:05 +0000\r\n"
    dovecot.append(mailbox_user(email_endpoint), raw + email_fixture("plain_reply_with_quote.eml"))
    poll(email_endpoint, django_capture_on_commit_callbacks)
    assert Message.objects.count() == 1
