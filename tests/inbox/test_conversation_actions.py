"""Actions from the conversation pane; each one leaves an event on the timeline."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from conversations.models import Conversation, ConversationEvent
from customers.models import Customer, Identity
from tests.inbox.conftest import client_for, htmx

pytestmark = pytest.mark.django_db


@pytest.fixture
def conversation(desk) -> Conversation:
    return desk.receive(desk.whatsapp, "1", "Help", phone="+14155552671").conversation


def post(user, conversation, action, data=None):
    return htmx(client_for(user), "post", f"/inbox/c/{conversation.pk}/{action}/", data)


def kinds(conversation) -> list[str]:
    return list(
        ConversationEvent.objects.filter(conversation=conversation)
        .exclude(kind=ConversationEvent.Kind.CREATED)
        .order_by("id")
        .values_list("kind", flat=True)
    )


def test_assign_to_me_to_a_colleague_and_to_nobody(desk, conversation):
    assert post(desk.bob, conversation, "assign", {"agent": "me"}).status_code == 200
    conversation.refresh_from_db()
    assert conversation.assignee == desk.bob
    post(desk.bob, conversation, "assign", {"agent": str(desk.carol.pk)})
    conversation.refresh_from_db()
    assert conversation.assignee == desk.carol
    post(desk.bob, conversation, "assign", {"agent": "none"})
    conversation.refresh_from_db()
    assert conversation.assignee is None
    assert kinds(conversation) == ["assigned", "assigned", "unassigned"]
    html = client_for(desk.bob).get(f"/inbox/c/{conversation.pk}/").content.decode()
    assert "assigned to Carol" in html or "assigned to carol" in html


def test_cannot_assign_to_an_agent_outside_the_teams_that_see_it(desk, conversation):
    response = post(desk.bob, conversation, "assign", {"agent": str(desk.alice.pk)})
    assert response.status_code == 422
    assert b"cannot work on this conversation" in response.content
    conversation.refresh_from_db()
    assert conversation.assignee is None


def test_move_to_a_team(desk, conversation):
    post(desk.sam, conversation, "team", {"team": str(desk.support.pk)})
    conversation.refresh_from_db()
    assert conversation.team == desk.support
    event = ConversationEvent.objects.get(conversation=conversation, kind="team_changed")
    assert event.data["to_name"] == "Support" and event.actor == desk.sam


def test_resolve_reopen_and_snooze_until_a_time(desk, conversation):
    post(desk.bob, conversation, "status", {"status": "resolved"})
    conversation.refresh_from_db()
    assert conversation.status == "resolved"
    post(desk.bob, conversation, "status", {"status": "open"})
    until = (timezone.now() + timedelta(days=1)).replace(second=0, microsecond=0)
    post(
        desk.bob,
        conversation,
        "status",
        {"status": "snoozed", "snoozed_until": until.strftime("%Y-%m-%dT%H:%M")},
    )
    conversation.refresh_from_db()
    assert conversation.status == "snoozed"
    assert conversation.snoozed_until == until
    assert kinds(conversation) == ["status_changed", "status_changed", "status_changed"]


def test_snooze_needs_a_future_time(desk, conversation):
    response = post(
        desk.bob, conversation, "status", {"status": "snoozed", "snoozed_until": "2001-01-01T10:00"}
    )
    assert response.status_code == 422
    assert b"future" in response.content
    conversation.refresh_from_db()
    assert conversation.status == "open"


def test_priority_and_tags(desk, conversation):
    post(desk.bob, conversation, "priority", {"priority": "3"})
    post(desk.bob, conversation, "tags", {"tags": "VIP, refund ,"})
    conversation.refresh_from_db()
    assert conversation.priority == Conversation.Priority.URGENT
    assert sorted(conversation.tags.values_list("name", flat=True)) == ["refund", "vip"]
    post(desk.bob, conversation, "tags", {"tags": "vip"})
    assert kinds(conversation) == ["priority_changed", "tags_changed", "tags_changed"]
    last = ConversationEvent.objects.filter(kind="tags_changed").order_by("-id").first()
    assert last.data == {"added": [], "removed": ["refund"]}
    assert post(desk.bob, conversation, "priority", {"priority": "9"}).status_code == 422


def test_edit_customer_fields(desk, conversation):
    post(
        desk.bob,
        conversation,
        "customer",
        {"name": "Dana K. Scully", "language": "en", "attributes": "plan: gold\ncity: Paris"},
    )
    customer = Customer.objects.get(pk=conversation.customer_id)
    assert customer.name == "Dana K. Scully"
    assert customer.attributes == {"plan": "gold", "city": "Paris"}
    event = ConversationEvent.objects.get(conversation=conversation, kind="customer_updated")
    assert event.data["changed"] == ["attributes", "language", "name"]


def test_add_and_verify_an_identity(desk, conversation):
    post(desk.bob, conversation, "identities", {"kind": "email", "value": "Dana@Example.com"})
    identity = conversation.customer.identities.get(kind="email")
    # The agent who adds an address the customer gave them vouches for it.
    assert (identity.value, identity.proof) == ("dana@example.com", "agent_verified")
    claimed = Identity.objects.create(
        customer=conversation.customer, kind="phone", value="+14155550123", proof="claimed"
    )
    post(desk.bob, conversation, f"identities/{claimed.pk}/verify")
    claimed.refresh_from_db()
    assert claimed.proof == "agent_verified"
    assert kinds(conversation) == ["customer_updated", "customer_updated"]
    bad = post(desk.bob, conversation, "identities", {"kind": "email", "value": "not-an-email"})
    assert bad.status_code == 422


def test_merge_with_another_customer_after_search_and_confirm(desk, conversation):
    other = desk.receive(desk.sms, "2", "Other number", phone="+14155550009").conversation
    Customer.objects.filter(pk=other.customer_id).update(name="Dana Other")
    bob = client_for(desk.bob)
    found = htmx(bob, "get", f"/inbox/c/{conversation.pk}/merge/search/?q=%2B14155550009")
    assert f'name="other" value="{other.customer_id}"'.encode() in found.content
    unconfirmed = post(desk.bob, conversation, "merge", {"other": str(other.customer_id)})
    assert unconfirmed.status_code == 422
    post(desk.bob, conversation, "merge", {"other": str(other.customer_id), "confirm": "1"})
    merged = Customer.objects.get(pk=other.customer_id)
    assert merged.merged_into_id == conversation.customer_id
    other.refresh_from_db()
    assert other.customer_id == conversation.customer_id
    assert "merged" in kinds(conversation)


def test_sidebar_shows_identities_attributes_records_and_previous_conversations(desk, conversation):
    from customers.models import ExternalRecord

    customer = conversation.customer
    customer.attributes = {"plan": "gold"}
    customer.save()
    ExternalRecord.objects.create(
        customer=customer,
        source="shop",
        kind="order",
        external_id="A-1001",
        title="Order A-1001",
        data={"status": "shipped"},
    )
    html = client_for(desk.bob).get(f"/inbox/c/{conversation.pk}/sidebar/").content.decode()
    assert "+14155552671" in html
    assert "plan" in html and "gold" in html
    assert "Order A-1001" in html and "shipped" in html
    assert f"#{conversation.pk}" in html
