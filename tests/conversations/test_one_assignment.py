"""Assignment is written once (`conversations.services.assign_conversation` and
`assign_team`): a routing rule and an agent in the inbox move a conversation with the
same rules and the same timeline events."""

from __future__ import annotations

import pytest

from agents.models import Team
from conversations.models import Conversation, ConversationEvent
from conversations.services import assign_conversation, assign_team
from routing.models import RuleAction
from tests.factories import make_agent
from tests.routing.conftest import make_rule, receive

pytestmark = pytest.mark.django_db


def test_moving_to_another_team_in_the_inbox_releases_an_assignee_outside_it(api_endpoint):
    support = Team.objects.create(name="Support")
    billing = Team.objects.create(name="Billing")
    ann = make_agent(username="ann", teams=[support])
    conversation = receive(api_endpoint, "m1")
    assign_conversation(conversation=conversation, agent=ann, actor=ann)

    moved = assign_team(conversation=conversation, team=billing, actor=ann)

    assert moved.team_id == billing.pk
    assert moved.assignee_id is None
    kinds = list(
        Conversation.objects.get(pk=conversation.pk)
        .events.order_by("id")
        .values_list("kind", flat=True)
    )
    assert kinds[-2:] == [ConversationEvent.Kind.UNASSIGNED, ConversationEvent.Kind.TEAM_CHANGED]


def test_a_routing_rule_records_the_same_team_change_an_agent_would(api_endpoint):
    billing = Team.objects.create(name="Billing")
    make_rule("Billing", actions=[{"kind": RuleAction.Kind.ASSIGN_TEAM, "team": billing}])
    conversation = receive(api_endpoint, "m1")
    event = conversation.events.get(kind=ConversationEvent.Kind.TEAM_CHANGED)
    assert event.data == {
        "from": None,
        "to": billing.pk,
        "to_name": "Billing",
        "reason": "routing rule",
    }
    agent_event = (
        assign_team(conversation=conversation, team=None, actor=make_agent(username="sup"))
        .events.filter(kind=ConversationEvent.Kind.TEAM_CHANGED)
        .latest("id")
    )
    assert set(agent_event.data) == {"from", "to", "to_name"}
