"""Rules run on new and reopened conversations; every action does what it says and every
fired rule is on the timeline, naming it."""

from __future__ import annotations

from agents.models import Team
from conversations.models import Conversation, ConversationEvent, Message
from conversations.services import change_status
from routing import rules
from routing.models import RuleAction
from tests.routing.conftest import make_rule, online_agent, receive


def fired_rules(conversation: Conversation) -> list[str]:
    return list(
        conversation.events.filter(kind=ConversationEvent.Kind.RULE_FIRED)
        .order_by("id")
        .values_list("data__rule", flat=True)
    )


def test_a_matching_rule_sets_team_priority_and_tags_and_is_on_the_timeline(
    api_endpoint, support_team, sales_team
):
    make_rule(
        "Refunds to sales, urgent",
        conditions=[{"field": rules.TEXT, "operator": rules.ANY_KEYWORD, "value": "refund"}],
        actions=[
            {"kind": RuleAction.Kind.ASSIGN_TEAM, "team": sales_team},
            {"kind": RuleAction.Kind.SET_PRIORITY, "priority": Conversation.Priority.URGENT},
            {"kind": RuleAction.Kind.ADD_TAGS, "tags": "billing, refund"},
        ],
    )
    conversation = receive(api_endpoint, "m1", "I want a refund now")
    assert conversation.team == sales_team
    assert conversation.priority == Conversation.Priority.URGENT
    assert set(conversation.tags.values_list("name", flat=True)) == {"billing", "refund"}
    event = conversation.events.get(kind=ConversationEvent.Kind.RULE_FIRED)
    assert event.data["rule"] == "Refunds to sales, urgent"
    assert event.data["actions"] == [
        "assigned to team Sales",
        "priority set to urgent",
        "tagged billing, refund",
    ]
    assert conversation.events.filter(kind=ConversationEvent.Kind.TEAM_CHANGED).exists()


def test_a_rule_that_does_not_match_changes_nothing(api_endpoint, support_team, sales_team):
    make_rule(
        "SMS only",
        conditions=[{"field": rules.CHANNEL, "operator": rules.IS, "value": "sms"}],
        actions=[{"kind": RuleAction.Kind.ASSIGN_TEAM, "team": sales_team}],
    )
    conversation = receive(api_endpoint, "m1")
    assert conversation.team == support_team  # the team owning the inbox
    assert fired_rules(conversation) == []


def test_rules_run_in_order_and_stop_ends_processing(api_endpoint, support_team):
    make_rule("second", position=20, actions=[{"kind": RuleAction.Kind.STOP}])
    make_rule("first", position=10, actions=[{"kind": RuleAction.Kind.ADD_TAGS, "tags": "a"}])
    make_rule("never", position=30, actions=[{"kind": RuleAction.Kind.ADD_TAGS, "tags": "b"}])
    make_rule("inactive", position=5, is_active=False, actions=[{"kind": RuleAction.Kind.STOP}])
    conversation = receive(api_endpoint, "m1")
    assert fired_rules(conversation) == ["first", "second"]
    assert list(conversation.tags.values_list("name", flat=True)) == ["a"]


def test_assign_to_agent(api_endpoint, support_team):
    carol = online_agent(support_team, "carol")
    make_rule(
        "VIPs to Carol",
        conditions=[
            {"field": rules.CUSTOMER_ATTRIBUTE, "operator": rules.IS, "key": "plan", "value": "vip"}
        ],
        actions=[{"kind": RuleAction.Kind.ASSIGN_AGENT, "agent": carol}],
    )
    conversation = receive(api_endpoint, "m1", attributes={"plan": "VIP"})
    assert conversation.assignee == carol
    assert conversation.events.filter(kind=ConversationEvent.Kind.ASSIGNED).count() == 1


def test_auto_reply_goes_out_on_the_same_channel_and_is_not_a_first_response(
    email_endpoint, django_capture_on_commit_callbacks
):
    Team.objects.create(name="Mail").endpoints.add(email_endpoint)
    make_rule(
        "Out of hours",
        conditions=[{"field": rules.BUSINESS_HOURS, "operator": rules.IS, "value": "inside"}],
        actions=[{"kind": RuleAction.Kind.AUTO_REPLY, "reply_text": "Thanks, we are on it."}],
    )
    with django_capture_on_commit_callbacks(execute=True):
        conversation = receive(
            email_endpoint,
            "m1",
            "Help",
            identities={"email": "dana@example.com"},
            subject="Blender",
        )
    reply = conversation.messages.get(direction=Message.Direction.OUTBOUND)
    assert reply.kind == Message.Kind.BOT
    assert reply.channel == "email"
    assert reply.metadata["to"] == "dana@example.com"
    reply.refresh_from_db()
    # Handed to the channel's delivery after commit, like any reply.
    assert reply.delivery_attempts == 1
    conversation.refresh_from_db()
    assert conversation.first_response_at is None
    assert conversation.waiting_since is not None


def test_hand_to_bot_is_recorded(api_endpoint, support_team):
    make_rule("Bot first", actions=[{"kind": RuleAction.Kind.HAND_TO_BOT}])
    conversation = receive(api_endpoint, "m1")
    event = conversation.events.get(kind=ConversationEvent.Kind.RULE_FIRED)
    assert event.data["actions"] == ["handed to the bot"]


def test_rules_run_once_per_opening_not_on_every_message(api_endpoint, support_team):
    make_rule("Tag everything", actions=[{"kind": RuleAction.Kind.ADD_TAGS, "tags": "seen"}])
    identities = {"email": "same@example.com"}
    first = receive(api_endpoint, "m1", identities=identities)
    second = receive(api_endpoint, "m2", identities=identities)
    assert first.pk == second.pk
    assert fired_rules(second) == ["Tag everything"]


def test_rules_run_again_when_a_resolved_conversation_is_reopened(email_endpoint):
    Team.objects.create(name="Mail").endpoints.add(email_endpoint)
    make_rule("Tag everything", actions=[{"kind": RuleAction.Kind.ADD_TAGS, "tags": "seen"}])
    identities = {"email": "thread@example.com"}
    first = receive(
        email_endpoint, "m1", identities=identities, email_message_id="<first@example.com>"
    )
    change_status(conversation=first, status=Conversation.Status.RESOLVED, actor=None)
    again = receive(
        email_endpoint, "m2", identities=identities, email_in_reply_to="<first@example.com>"
    )
    assert again.pk == first.pk
    assert again.status == Conversation.Status.OPEN
    assert fired_rules(again) == ["Tag everything", "Tag everything"]


def test_later_rules_see_the_priority_earlier_rules_set(api_endpoint, support_team):
    make_rule(
        "Raise",
        position=1,
        actions=[{"kind": RuleAction.Kind.SET_PRIORITY, "priority": Conversation.Priority.HIGH}],
    )
    make_rule(
        "High ones tagged",
        position=2,
        conditions=[{"field": rules.PRIORITY, "operator": rules.AT_LEAST, "value": "high"}],
        actions=[{"kind": RuleAction.Kind.ADD_TAGS, "tags": "hot"}],
    )
    conversation = receive(api_endpoint, "m1")
    assert fired_rules(conversation) == ["Raise", "High ones tagged"]
