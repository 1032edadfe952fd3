"""While the bot talks to a customer, routing gives the conversation to no agent: it sets
the team (the conversation waits, unassigned, in the team queue) and the SLA as usual.
When the bot hands off, routing assigns it like any other conversation; an agent who
comes online is not handed a conversation the bot still holds."""

from __future__ import annotations

import pytest

from agents.models import AgentProfile, Team
from agents.services import set_agent_status
from bot.models import BotSession
from conversations.models import Conversation
from conversations.services import send_reply
from routing.hooks import held_from_assignment_many
from routing.models import RoutingRule, RuleAction, SlaClock
from tests.bot.conftest import Customer
from tests.routing.conftest import online_agent

pytestmark = pytest.mark.django_db


@pytest.fixture
def ann(support_team):
    support_team.assignment_strategy = Team.Strategy.LEAST_BUSY
    support_team.save()
    return online_agent(support_team, "ann", capacity=1)


def test_a_conversation_the_bot_answers_waits_unassigned_in_the_team(customer, support_team, ann):
    customer.says("how do I send something back")

    conversation = customer.conversation()
    assert "Return an item" in customer.bot_messages()[0]
    assert conversation.assignee is None
    assert conversation.team == support_team
    assert SlaClock.objects.filter(conversation=conversation, routed_at__isnull=False).exists()


def test_asking_for_a_person_hands_off_to_the_online_agent(customer, support_team, ann):
    customer.says("how do I send something back")
    customer.says("no, I want to talk to a human")

    conversation = customer.conversation()
    assert BotSession.objects.get().state == BotSession.State.HANDED_OFF
    assert conversation.assignee == ann
    assert conversation.team == support_team


def test_without_the_bot_the_conversation_is_assigned_at_once(customer, bot_endpoint, ann):
    bot_endpoint.config = {"bot": {"enabled": False}}
    bot_endpoint.save()

    customer.says("how do I send something back")

    assert customer.bot_messages() == []
    assert customer.conversation().assignee == ann


def test_a_rule_handing_to_the_bot_holds_it_too(customer, bot_endpoint, ann):
    bot_endpoint.config = {}
    bot_endpoint.save()
    rule = RoutingRule.objects.create(name="Bot first", position=1, match="all")
    RuleAction.objects.create(rule=rule, kind=RuleAction.Kind.HAND_TO_BOT)

    customer.says("how do I send something back")
    assert customer.bot_messages()
    assert customer.conversation().assignee is None

    customer.says("I need a person please")
    assert customer.conversation().assignee == ann


def test_an_agent_coming_online_gets_the_handed_off_conversation_not_the_held_one(
    customer, admin_api, bot_endpoint, ann, django_capture_on_commit_callbacks
):
    set_agent_status(agent=ann, status=AgentProfile.Status.AWAY, actor=ann)
    customer.says("how do I send something back")  # first in the queue, the bot holds it
    other = Customer(admin_api, bot_endpoint, django_capture_on_commit_callbacks, "cust-2")
    other.says("I want to talk to a human")  # handed off while nobody is online
    held, waiting = customer.conversation(), other.conversation()
    assert (held.assignee, waiting.assignee) == (None, None)

    with django_capture_on_commit_callbacks(execute=True):
        set_agent_status(agent=ann, status=AgentProfile.Status.ONLINE, actor=ann)

    held.refresh_from_db()
    waiting.refresh_from_db()
    assert held.assignee is None
    assert waiting.assignee == ann


def test_an_agent_reply_ends_the_hold(customer, ann):
    customer.says("how do I send something back")
    send_reply(conversation=customer.conversation(), author=ann, text="Hi, Ann here.")

    customer.says("the label does not print")

    assert customer.conversation().assignee == ann
    assert BotSession.objects.get().state == BotSession.State.SILENCED


def test_the_hold_is_one_query_for_a_whole_batch(
    customer, admin_api, bot_endpoint, django_capture_on_commit_callbacks, django_assert_num_queries
):
    for n in range(5):
        Customer(admin_api, bot_endpoint, django_capture_on_commit_callbacks, f"batch-{n}").says(
            "how do I send something back"
        )
    conversations = list(Conversation.objects.select_related("endpoint"))

    with django_assert_num_queries(1):
        held = held_from_assignment_many(conversations)

    assert held == {c.pk for c in conversations}


def test_without_a_bot_anywhere_the_hold_costs_no_query(
    customer, bot_endpoint, ann, django_assert_num_queries
):
    bot_endpoint.config = {"bot": {"enabled": False}}
    bot_endpoint.save()
    customer.says("how do I send something back")
    conversations = list(Conversation.objects.select_related("endpoint"))

    with django_assert_num_queries(0):
        assert held_from_assignment_many(conversations) == set()
