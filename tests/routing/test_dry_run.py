"""The dry-run page says which rules match and which miss, and why, and whom the
conversation would go to, without changing anything."""

from __future__ import annotations

from django.test import Client

from agents.models import Team
from conversations.models import ConversationEvent
from routing import rules
from routing.models import RuleAction
from tests.routing.conftest import make_rule, online_agent, receive


def test_a_sample_message_explains_a_miss_and_the_assignment(
    supervisor_client: Client, api_endpoint, support_team
):
    support_team.assignment_strategy = Team.Strategy.LEAST_BUSY
    support_team.save()
    online_agent(support_team, "ann")
    make_rule(
        "Refunds by SMS",
        position=1,
        conditions=[
            {"field": rules.TEXT, "operator": rules.CONTAINS, "value": "refund"},
            {"field": rules.CHANNEL, "operator": rules.IS, "value": "sms"},
        ],
        actions=[{"kind": RuleAction.Kind.SET_PRIORITY, "priority": 3}],
    )
    make_rule("Paused", position=2, is_active=False)
    response = supervisor_client.post(
        "/admin/routing/routingrule/dry-run/",
        {
            "text": "I want a refund",
            "channel": "api",
            "endpoint": str(api_endpoint.pk),
            "priority": "1",
        },
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Message text contains “refund”: yes, the message contains it." in body
    assert "Channel kind is “sms”: no, the channel is “api”." in body
    assert "1 of 2 conditions held; all needed: does not match." in body
    assert "inactive: skipped" in body
    assert "team <strong>Support</strong>, assigned to <strong>ann</strong>" in body
    assert "least busy online agent" in body


def test_a_conversation_dry_run_changes_nothing(
    supervisor_client: Client, api_endpoint, support_team
):
    conversation = receive(api_endpoint, "m1", "Where is my parcel?")
    make_rule(
        "Parcels",
        conditions=[{"field": rules.TEXT, "operator": rules.ANY_KEYWORD, "value": "parcel"}],
        actions=[{"kind": RuleAction.Kind.STOP}],
    )
    make_rule("After", position=200, actions=[{"kind": RuleAction.Kind.HAND_TO_BOT}])
    events_before = conversation.events.count()
    response = supervisor_client.post(
        "/admin/routing/routingrule/dry-run/",
        {"conversation": str(conversation.pk), "priority": "1"},
    )
    body = response.content.decode()
    assert "found the keyword “parcel”" in body
    assert "not reached: “Parcels” stopped processing" in body
    assert "nobody" in body  # no online agent; the strategy says why
    assert conversation.events.count() == events_before
    assert not conversation.events.filter(kind=ConversationEvent.Kind.RULE_FIRED).exists()


def test_the_form_asks_for_a_conversation_or_a_sample(supervisor_client: Client):
    response = supervisor_client.post("/admin/routing/routingrule/dry-run/", {"priority": "1"})
    assert "Pick a conversation, or type a sample message" in response.content.decode()
    response = supervisor_client.post(
        "/admin/routing/routingrule/dry-run/", {"conversation": "999999", "priority": "1"}
    )
    assert "There is no conversation with this number." in response.content.decode()
