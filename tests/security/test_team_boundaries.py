"""Continuity stays inside team boundaries (issue 14, point 11 / finding M8): a message
sent to team A's inbox never lands in team B's conversation, where team A would not see
it, and team B cannot reply through team A's inbox."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from channels_app.models import ChannelEndpoint
from channels_app.types import InboundMessage
from conversations.models import Conversation, ConversationEvent
from conversations.services import receive_message, reply_endpoint_choices
from intake.services import accept_inbound
from tests.factories import EndpointFactory, TeamFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def inboxes():
    sales = EndpointFactory(kind=ChannelEndpoint.Kind.WHATSAPP, name="Sales WhatsApp")
    # A conversational channel: a new email would open its own conversation anyway
    # (docs/continuity.md), so only a chat channel tests the boundary.
    hr = EndpointFactory(kind=ChannelEndpoint.Kind.TELEGRAM, name="HR Telegram")
    shared = EndpointFactory(kind=ChannelEndpoint.Kind.SMS, name="Sales SMS")
    TeamFactory(name="Sales", endpoints=[sales, shared])
    TeamFactory(name="HR", endpoints=[hr])
    return sales, hr, shared


def message(provider_id: str, **identities: str) -> InboundMessage:
    return InboundMessage(provider_id=provider_id, identities=identities, text="hello")


def test_mail_to_another_teams_inbox_opens_its_own_linked_conversation(inboxes):
    sales, hr, _ = inboxes
    now = timezone.now()
    first = receive_message(
        endpoint=sales,
        inbound=message("w1", phone="+14155552671", email="dana@example.com"),
        received_at=now,
    )
    to_hr = receive_message(
        endpoint=hr,
        inbound=message("t1", email="dana@example.com", telegram="5551234"),
        received_at=now,
    )
    assert to_hr.conversation_id != first.conversation_id
    hr_conversation = Conversation.objects.get(pk=to_hr.conversation_id)
    assert hr_conversation.team.name == "HR"
    created = hr_conversation.events.get(kind=ConversationEvent.Kind.CREATED)
    assert created.data["related_conversation"] == first.conversation_id
    # Sales cannot answer through HR's inbox.
    sales_conversation = Conversation.objects.get(pk=first.conversation_id)
    assert hr not in reply_endpoint_choices(sales_conversation)


def test_a_channel_the_same_team_owns_still_continues(inboxes):
    sales, _, shared = inboxes
    now = timezone.now()
    first = receive_message(
        endpoint=sales, inbound=message("w1", phone="+14155552671"), received_at=now
    )
    by_sms = receive_message(
        endpoint=shared,
        inbound=message("s1", phone="+14155552671"),
        received_at=now + timedelta(minutes=5),
    )
    assert by_sms.conversation_id == first.conversation_id


def test_the_batch_path_keeps_the_same_boundary(inboxes, django_capture_on_commit_callbacks):
    sales, hr, _ = inboxes
    with django_capture_on_commit_callbacks(execute=True):
        accept_inbound(endpoint=sales, messages=[message("w1", email="dana@example.com")])
    with django_capture_on_commit_callbacks(execute=True):
        accept_inbound(endpoint=sales, messages=[message("w2", email="dana@example.com")])
        accept_inbound(endpoint=hr, messages=[message("t1", email="dana@example.com")])
    conversations = Conversation.objects.order_by("id")
    assert [c.team.name for c in conversations] == ["Sales", "HR"]
    assert conversations[0].messages.count() == 2


def test_a_conversation_no_team_works_is_continued_and_taken_by_the_inboxs_team(inboxes):
    sales, _, _ = inboxes
    unowned = EndpointFactory(kind=ChannelEndpoint.Kind.EMAIL, name="Old mailbox")
    now = timezone.now()
    first = receive_message(
        endpoint=unowned,
        inbound=message("e1", phone="+14155552671", email="dana@example.com"),
        received_at=now,
    )
    on_whatsapp = receive_message(
        endpoint=sales,
        inbound=message("w1", phone="+14155552671"),
        received_at=now + timedelta(minutes=1),
    )
    assert on_whatsapp.conversation_id == first.conversation_id
    conversation = Conversation.objects.get(pk=first.conversation_id)
    assert conversation.team.name == "Sales"  # so Sales sees what arrived in its inbox
