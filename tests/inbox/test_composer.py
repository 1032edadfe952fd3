"""The composer: replies on the chosen channel (default: the latest inbound one), private
notes that never leave, a reply held when new activity arrived, canned responses."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

import pytest
from django.utils import timezone

from conversations.models import CannedResponse, Message
from conversations.services import receive_message
from tests.channels_app.fake_providers import FakeProvider, Reply
from tests.conftest import inbound
from tests.inbox.conftest import client_for, htmx

pytestmark = pytest.mark.django_db


@pytest.fixture
def twilio(settings):
    provider = FakeProvider().start()
    settings.OMNIDESK_PROVIDER_URLS = {
        "twilio": provider.url,
        "meta": f"{provider.url}/v21.0",
        "telegram": provider.url,
    }
    provider.on(
        "POST",
        r"/2010-04-01/Accounts/[^/]+/Messages\.json",
        Reply(201, {"sid": "SM0001", "status": "queued"}),
    )
    yield provider
    provider.stop()


def selected_endpoint(html: str) -> str:
    select = html[html.index('id="reply-endpoint"') :]
    return re.search(r'<option value="(\d+)"[^>]*selected', select).group(1)


def test_channel_picker_lists_reachable_channels_and_defaults_to_latest_inbound(desk):
    desk.receive(
        desk.email,
        "1",
        "By email, a month ago",
        at=timezone.now() - timedelta(days=30),
        email="dana@example.com",
        phone="+14155552671",
    )
    latest = desk.receive(desk.whatsapp, "2", "By WhatsApp", phone="+14155552671")
    html = client_for(desk.sam).get(f"/inbox/c/{latest.conversation_id}/").content.decode()
    start = html.index('id="reply-endpoint"')
    picker = html[start : html.index("</select>", start)]
    assert selected_endpoint(html) == str(desk.whatsapp.pk)
    assert f'value="{desk.sms.pk}"' in picker  # her phone, on the team's SMS number
    # She wrote by email too, but that is Support's mailbox: Messaging never answers
    # through another team's inbox (tests/security/test_team_boundaries.py).
    assert f'value="{desk.email.pk}"' not in picker


def test_channel_picker_leaves_out_channels_without_an_identity(desk):
    message = desk.receive(desk.email, "1", "By email", email="dana@example.com")
    desk.support.endpoints.add(desk.sms)
    html = client_for(desk.alice).get(f"/inbox/c/{message.conversation_id}/").content.decode()
    start = html.index('id="reply-endpoint"')
    picker = html[start : html.index("</select>", start)]
    assert f'value="{desk.email.pk}"' in picker
    assert f'value="{desk.sms.pk}"' not in picker  # no phone number known


def test_reply_on_the_chosen_channel_goes_out_through_its_provider(
    desk, twilio, django_capture_on_commit_callbacks
):
    desk.receive(desk.sms, "1", "By SMS", phone="+14155552671")
    latest = desk.receive(desk.whatsapp, "2", "By WhatsApp", phone="+14155552671")
    conversation = latest.conversation
    with django_capture_on_commit_callbacks(execute=True):
        response = htmx(
            client_for(desk.bob),
            "post",
            f"/inbox/c/{conversation.pk}/reply/",
            {
                "text": "Your parcel ships today",
                "endpoint": str(desk.sms.pk),
                "seen_message_id": str(latest.pk),
            },
        )
    assert response.status_code == 200
    reply = conversation.messages.get(direction=Message.Direction.OUTBOUND)
    assert reply.channel == "sms"
    assert reply.metadata["to"] == "+14155552671"
    assert reply.delivery_status == Message.DeliveryStatus.SENT
    assert [r.form()["Body"] for r in twilio.requests] == [["Your parcel ships today"]]
    assert b"Your parcel ships today" in response.content


def test_private_note_is_never_sent_to_the_customer(
    desk, twilio, django_capture_on_commit_callbacks
):
    latest = desk.receive(desk.sms, "1", "Hi", phone="+14155552671")
    with django_capture_on_commit_callbacks(execute=True):
        response = htmx(
            client_for(desk.bob),
            "post",
            f"/inbox/c/{latest.conversation_id}/reply/",
            {
                "text": "Customer sounds upset",
                "mode": "note",
                "endpoint": str(desk.sms.pk),
                "seen_message_id": str(latest.pk),
            },
        )
    assert response.status_code == 200
    note = Message.objects.get(kind=Message.Kind.NOTE)
    assert note.direction == Message.Direction.INTERNAL
    assert note.delivery_status == Message.DeliveryStatus.NOT_APPLICABLE
    assert note.endpoint_id is None
    assert twilio.requests == []


def test_reply_is_held_when_the_customer_wrote_since_the_agent_loaded_it(desk):
    first = desk.receive(desk.email, "1", "Question", email="dana@example.com")
    conversation = first.conversation
    # Her second email answers the first (a new one would open its own conversation).
    receive_message(
        endpoint=desk.email,
        inbound=replace(
            inbound("2", "Never mind, found it!", email="dana@example.com"),
            subject=f"Re: Question [#{conversation.pk}]",
        ),
    )
    alice = client_for(desk.alice)
    held = htmx(
        alice,
        "post",
        f"/inbox/c/{conversation.pk}/reply/",
        {"text": "Here is how...", "seen_message_id": str(first.pk)},
    )
    html = held.content.decode()
    assert 'id="held-warning"' in html
    assert "Never mind, found it!" in html
    assert "Here is how..." in html  # the draft is kept
    assert not conversation.messages.filter(direction=Message.Direction.OUTBOUND).exists()

    sent = htmx(
        alice,
        "post",
        f"/inbox/c/{conversation.pk}/reply/",
        {"text": "Here is how...", "seen_message_id": str(first.pk), "force": "1"},
    )
    assert sent.status_code == 200
    assert conversation.messages.filter(direction=Message.Direction.OUTBOUND).count() == 1


def test_held_warning_includes_a_colleagues_reply(desk):
    first = desk.receive(desk.whatsapp, "1", "Question", phone="+14155552671")
    conversation = first.conversation
    htmx(
        client_for(desk.carol),
        "post",
        f"/inbox/c/{conversation.pk}/reply/",
        {"text": "Carol's note", "mode": "note", "seen_message_id": str(first.pk)},
    )
    held = htmx(
        client_for(desk.bob),
        "post",
        f"/inbox/c/{conversation.pk}/reply/",
        {"text": "Bob's answer", "seen_message_id": str(first.pk), "mode": "note"},
    )
    assert b"Carol&#x27;s note" in held.content or b"Carol's note" in held.content
    assert b'id="held-warning"' in held.content


def test_empty_reply_is_refused_inline(desk):
    first = desk.receive(desk.email, "1", "Question", email="dana@example.com")
    response = htmx(
        client_for(desk.alice),
        "post",
        f"/inbox/c/{first.conversation_id}/reply/",
        {"text": "  ", "seen_message_id": str(first.pk)},
    )
    assert response.status_code == 422
    assert b"The message is empty." in response.content


def test_canned_responses_are_found_by_shortcut_prefix(desk):
    CannedResponse.objects.create(
        shortcut="refund", title="Refund policy", text="Refunds take 5 days."
    )
    CannedResponse.objects.create(shortcut="thanks", title="Thanks", text="Thank you!")
    CannedResponse.objects.create(
        shortcut="refund-vip", title="VIP refund", text="Right away.", team=desk.messaging
    )
    alice = client_for(desk.alice)
    results = alice.get("/inbox/canned/?prefix=ref").json()["results"]
    assert [r["shortcut"] for r in results] == ["refund"]  # the Messaging one is not hers
    bob_results = client_for(desk.bob).get("/inbox/canned/?prefix=ref").json()["results"]
    assert [r["shortcut"] for r in bob_results] == ["refund", "refund-vip"]
    assert results[0]["text"] == "Refunds take 5 days."
