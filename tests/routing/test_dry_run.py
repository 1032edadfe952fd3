"""The dry-run page says which rules match and which miss, and why, and whom the
conversation would go to, without changing anything."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from agents.models import Team
from conversations.models import Conversation, ConversationEvent
from omnidesk.errors import ApplicationError, NotFoundError
from routing import rules
from routing.dry_run import SampleMessage, dry_run_rules
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


def test_a_sample_on_an_inbox_arrives_on_its_kind_and_goes_to_its_team(api_endpoint, support_team):
    make_rule(
        "API refunds",
        conditions=[
            {"field": rules.CHANNEL, "operator": rules.IS, "value": "api"},
            {"field": rules.CUSTOMER_TAG, "operator": rules.HAS, "value": "vip"},
        ],
        actions=[{"kind": RuleAction.Kind.SET_PRIORITY, "priority": 3}],
    )
    result = dry_run_rules(
        sample=SampleMessage(endpoint=api_endpoint, text="refund", customer_tags=("vip",)),
        now=timezone.now(),
    )
    assert result.conversation is None
    assert result.outcome.facts.channel == "api"
    assert result.outcome.facts.priority == Conversation.Priority.URGENT
    assert [row.result.matched for row in result.outcome.rules] == [True]
    assert result.outcome.team_name == "Support"


def test_a_conversation_number_wins_over_a_sample(api_endpoint, support_team):
    conversation = receive(api_endpoint, "m1", "Where is my parcel?")
    result = dry_run_rules(
        conversation_id=conversation.pk,
        sample=SampleMessage(channel="sms", text="ignored"),
        now=timezone.now(),
    )
    assert result.conversation == conversation
    assert result.outcome.facts.channel == "api"
    assert result.outcome.facts.text == "Where is my parcel?"


@pytest.mark.django_db
def test_an_unknown_conversation_or_a_sample_without_channel_is_refused():
    with pytest.raises(NotFoundError) as missing:
        dry_run_rules(conversation_id=999999, now=timezone.now())
    assert missing.value.fields == {"conversation": "There is no conversation with this number."}
    with pytest.raises(ApplicationError) as no_channel:
        dry_run_rules(sample=SampleMessage(text="hello"), now=timezone.now())
    assert "channel" in no_channel.value.fields
    with pytest.raises(ApplicationError):
        dry_run_rules(now=timezone.now())
