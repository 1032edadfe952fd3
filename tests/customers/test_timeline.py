"""One timeline: every message and event of the customer across conversations and channels."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from channels_app.models import ChannelEndpoint
from conversations.selectors import timeline
from conversations.services import add_note, change_status, receive_message
from tests.conftest import inbound
from tests.factories import EndpointFactory

pytestmark = pytest.mark.django_db


def test_timeline_spans_conversations_and_channels_in_order(agent, api_endpoint, admin_api):
    email = EndpointFactory(kind=ChannelEndpoint.Kind.EMAIL)
    start = timezone.now() - timedelta(days=20)
    old = receive_message(
        endpoint=email, inbound=inbound("e1", "old email", email="d@example.com"), received_at=start
    )
    change_status(
        conversation=old.conversation, status="resolved", actor=None, at=start + timedelta(hours=1)
    )
    new = receive_message(
        endpoint=api_endpoint,
        inbound=inbound("a1", "new api message", email="d@example.com", phone="+14155552671"),
    )
    add_note(conversation=new.conversation, author=agent, text="note")

    items = timeline(customer=new.conversation.customer)
    assert [i.item.text for i in items if i.kind == "message"] == [
        "old email",
        "new api message",
        "note",
    ]
    assert {i.conversation_id for i in items} == {old.conversation_id, new.conversation_id}
    assert [i.at for i in items] == sorted(i.at for i in items)

    response = admin_api.get(f"/api/v1/customers/{new.conversation.customer_id}/timeline/")
    assert response.status_code == 200
    body = response.json()["items"]
    assert [i["channel"] for i in body if i["type"] == "message"] == ["email", "api", ""]
    assert "status_changed" in [i.get("event") for i in body]


def test_an_agents_timeline_leaves_out_conversations_of_other_teams(agent, api_endpoint):
    other_inbox = EndpointFactory(kind=ChannelEndpoint.Kind.EMAIL)
    hidden = receive_message(
        endpoint=other_inbox, inbound=inbound("e1", "secret", email="d@example.com")
    )
    change_status(conversation=hidden.conversation, status="resolved", actor=None)
    visible = receive_message(
        endpoint=api_endpoint, inbound=inbound("a1", "visible", email="d@example.com")
    )
    texts = [
        i.item.text
        for i in timeline(customer=visible.conversation.customer, user=agent)
        if i.kind == "message"
    ]
    assert texts == ["visible"]
