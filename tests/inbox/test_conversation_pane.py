"""The conversation pane: one timeline of messages, notes, calls and events with channel
badges and delivery status; the customer's whole history on demand; sanitised email;
attachments served through the access check."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from conversations.models import Attachment, Message
from conversations.services import (
    add_note,
    change_status,
    mark_message_failed,
    receive_message,
    send_reply,
)
from tests.factories import MessageFactory
from tests.inbox.conftest import client_for, htmx

pytestmark = pytest.mark.django_db


def test_timeline_shows_messages_notes_and_events_with_channel_badges(desk):
    first = desk.receive(desk.whatsapp, "1", "Hello from WhatsApp", phone="+14155552671")
    desk.receive(desk.sms, "2", "Now by SMS", phone="+14155552671")
    conversation = first.conversation
    add_note(conversation=conversation, author=desk.bob, text="Checking the warehouse")
    MessageFactory(
        conversation=conversation,
        kind=Message.Kind.CALL,
        endpoint=desk.sms,
        text="Inbound call, 3 min",
    )
    html = client_for(desk.bob).get(f"/inbox/c/{conversation.pk}/").content.decode()
    timeline = html[html.index('id="timeline"') :]
    assert timeline.index("Hello from WhatsApp") < timeline.index("Now by SMS")
    assert 'class="channel-badge ch-whatsapp">WhatsApp' in timeline
    assert 'class="channel-badge ch-sms">SMS' in timeline
    assert "Customer switched from WhatsApp to SMS" in timeline
    assert "Private note" in timeline and "Checking the warehouse" in timeline
    assert "kind-call" in timeline and "Inbound call, 3 min" in timeline


def test_failed_delivery_shows_the_error_and_a_retry_button_that_requeues(desk, settings):
    conversation = desk.receive(desk.email, "1", "Hi", email="dana@example.com").conversation
    settings.CELERY_TASK_ALWAYS_EAGER = False  # keep the reply queued; we fail it by hand
    reply = send_reply(conversation=conversation, author=desk.alice, text="Our answer")
    mark_message_failed(message=reply, error="550 mailbox unavailable")
    alice = client_for(desk.alice)
    html = htmx(alice, "get", f"/inbox/c/{conversation.pk}/timeline/").content.decode()
    assert "550 mailbox unavailable" in html
    assert f'hx-post="/inbox/c/{conversation.pk}/messages/{reply.pk}/retry/"' in html

    response = htmx(alice, "post", f"/inbox/c/{conversation.pk}/messages/{reply.pk}/retry/")
    assert response.status_code == 200
    reply.refresh_from_db()
    assert reply.delivery_status == Message.DeliveryStatus.QUEUED
    assert reply.delivery_error == ""


def test_history_expands_to_every_conversation_of_the_customer(desk):
    old = desk.receive(
        desk.email,
        "1",
        "Old email about invoice 42",
        at=timezone.now() - timedelta(days=30),
        email="dana@example.com",
        phone="+14155552671",
    ).conversation
    change_status(conversation=old, status="resolved", actor=desk.sam)
    new = desk.receive(desk.whatsapp, "2", "New WhatsApp question", phone="+14155552671")
    assert new.conversation_id != old.pk
    sam = client_for(desk.sam)
    only = htmx(sam, "get", f"/inbox/c/{new.conversation_id}/timeline/").content
    assert b"Old email about invoice 42" not in only
    history = htmx(sam, "get", f"/inbox/c/{new.conversation_id}/timeline/?history=1").content
    assert b"Old email about invoice 42" in history
    assert b"New WhatsApp question" in history
    assert f"#{old.pk}".encode() in history


def test_history_leaves_out_conversations_the_agent_cannot_see(desk):
    desk.receive(
        desk.email,
        "1",
        "Email only Support sees",
        at=timezone.now() - timedelta(days=30),
        email="dana@example.com",
        phone="+14155552671",
    )
    new = desk.receive(desk.whatsapp, "2", "WhatsApp for Messaging", phone="+14155552671")
    history = htmx(
        client_for(desk.bob), "get", f"/inbox/c/{new.conversation_id}/timeline/?history=1"
    ).content
    assert b"WhatsApp for Messaging" in history
    assert b"Email only Support sees" not in history


def test_email_html_is_sanitised_and_quoted_text_folded(desk):
    from channels_app.types import InboundMessage

    message = receive_message(
        endpoint=desk.email,
        inbound=InboundMessage(
            provider_id="e1",
            identities={"email": "dana@example.com"},
            text="Hi",
            html=(
                '<p onclick="steal()">Hi there</p><script>alert(1)</script>'
                "<blockquote>On Monday you wrote: old stuff</blockquote>"
            ),
        ),
    )
    html = client_for(desk.alice).get(f"/inbox/c/{message.conversation_id}/").content.decode()
    body = html[html.index('class="email-html"') :]
    assert "Hi there" in body
    assert "<script>alert(1)" not in body and "onclick" not in body
    assert '<details class="quoted"><summary>Show quoted text</summary><blockquote>' in body


def test_plain_text_quotes_are_folded(desk):
    text = "Thanks, that works.\n\nOn Mon, 3 Mar 2025 Alice wrote:\n> Try restarting it."
    message = desk.receive(desk.email, "1", text, email="dana@example.com")
    html = client_for(desk.alice).get(f"/inbox/c/{message.conversation_id}/").content.decode()
    assert "Thanks, that works." in html
    assert '<details class="quoted"><summary>Show quoted text</summary>' in html


def test_attachments_download_and_images_preview_through_the_access_check(desk):
    message = desk.receive(desk.email, "1", "See attached", email="dana@example.com")
    image = Attachment(message=message, filename="photo.png", content_type="image/png", size=4)
    image.file.save("photo.png", ContentFile(b"\x89PNG"), save=True)
    alice = client_for(desk.alice)
    html = alice.get(f"/inbox/c/{message.conversation_id}/").content.decode()
    assert f'src="/inbox/attachments/{image.pk}/?inline=1"' in html
    download = alice.get(f"/inbox/attachments/{image.pk}/")
    assert download.status_code == 200
    assert "attachment" in download["Content-Disposition"]
    assert b"".join(download.streaming_content) == b"\x89PNG"
    inline = alice.get(f"/inbox/attachments/{image.pk}/?inline=1")
    assert inline["Content-Type"] == "image/png"
    assert client_for(desk.bob).get(f"/inbox/attachments/{image.pk}/").status_code == 404


def test_opening_a_conversation_marks_it_read_and_sends_a_strict_csp(desk):
    message = desk.receive(desk.whatsapp, "1", "Hi", phone="+14155552671")
    bob = client_for(desk.bob)
    response = bob.get(f"/inbox/c/{message.conversation_id}/")
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert b"<script>" not in response.content  # no inline scripts anywhere
    listing = htmx(bob, "get", "/inbox/list/?view=teams").content
    assert b"unread-badge" not in listing
