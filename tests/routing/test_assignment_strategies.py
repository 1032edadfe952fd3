"""Assignment strategies: fair round robin, least busy, skills and language, capacity,
presence, and the team queue that drains when someone frees up or comes online."""

from __future__ import annotations

from collections import Counter

from agents.models import AgentChannelCapacity, AgentProfile, Team
from agents.services import set_presence
from conversations.models import Conversation
from conversations.services import change_status
from routing.models import RuleAction
from tests.routing.conftest import make_rule, online_agent, receive


def set_strategy(team: Team, strategy: str) -> None:
    team.assignment_strategy = strategy
    team.save()


def test_round_robin_is_fair_and_in_turn(api_endpoint, support_team):
    set_strategy(support_team, Team.Strategy.ROUND_ROBIN)
    agents = [online_agent(support_team, name) for name in ("ann", "ben", "cat")]
    assignees = [receive(api_endpoint, f"m{i}").assignee for i in range(9)]
    assert assignees == agents * 3


def test_round_robin_skips_offline_and_full_agents(api_endpoint, support_team):
    set_strategy(support_team, Team.Strategy.ROUND_ROBIN)
    ann = online_agent(support_team, "ann", capacity=1)
    ben = online_agent(support_team, "ben", capacity=5)
    cat = online_agent(support_team, "cat")
    AgentProfile.objects.filter(user=cat).update(presence=AgentProfile.Presence.AWAY)
    assignees = [receive(api_endpoint, f"m{i}").assignee for i in range(4)]
    assert assignees == [ann, ben, ben, ben]


def test_least_busy_goes_by_load_relative_to_capacity(api_endpoint, support_team):
    set_strategy(support_team, Team.Strategy.LEAST_BUSY)
    big = online_agent(support_team, "big", capacity=10)
    small = online_agent(support_team, "small", capacity=2)
    assignees = Counter(receive(api_endpoint, f"m{i}").assignee for i in range(6))
    # 6 conversations: small takes 1 of 2 (50%) before big reaches 50% (5 of 10).
    assert assignees == {big: 5, small: 1}


def test_capacity_is_never_exceeded_and_the_rest_waits_in_the_team_queue(
    api_endpoint, support_team
):
    set_strategy(support_team, Team.Strategy.LEAST_BUSY)
    online_agent(support_team, "ann", capacity=1)
    online_agent(support_team, "ben", capacity=1)
    conversations = [receive(api_endpoint, f"m{i}") for i in range(3)]
    assert [c.assignee is not None for c in conversations] == [True, True, False]
    waiting = conversations[2]
    assert waiting.team == support_team and waiting.status == Conversation.Status.OPEN


def test_a_waiting_conversation_is_assigned_when_an_agent_frees_up(
    api_endpoint, support_team, django_capture_on_commit_callbacks
):
    set_strategy(support_team, Team.Strategy.LEAST_BUSY)
    ann = online_agent(support_team, "ann", capacity=1)
    busy = receive(api_endpoint, "m1")
    waiting = receive(api_endpoint, "m2")
    assert busy.assignee == ann and waiting.assignee is None
    with django_capture_on_commit_callbacks(execute=True):
        change_status(conversation=busy, status=Conversation.Status.RESOLVED, actor=ann)
    waiting.refresh_from_db()
    assert waiting.assignee == ann


def test_a_waiting_conversation_is_assigned_when_an_agent_comes_online(
    api_endpoint, support_team, django_capture_on_commit_callbacks
):
    set_strategy(support_team, Team.Strategy.ROUND_ROBIN)
    ann = online_agent(support_team, "ann")
    set_presence(user=ann, presence=AgentProfile.Presence.OFFLINE)
    low = receive(api_endpoint, "m1")
    urgent = receive(api_endpoint, "m2")
    Conversation.objects.filter(pk=urgent.pk).update(priority=Conversation.Priority.URGENT)
    AgentProfile.objects.filter(user=ann).update(capacity=1)
    assert low.assignee is None and urgent.assignee is None
    with django_capture_on_commit_callbacks(execute=True):
        set_presence(user=ann, presence=AgentProfile.Presence.ONLINE)
    low.refresh_from_db()
    urgent.refresh_from_db()
    # Highest priority first, even though it waited less.
    assert urgent.assignee == ann
    assert low.assignee is None


def test_queue_is_served_oldest_first_within_a_priority(
    api_endpoint, support_team, django_capture_on_commit_callbacks
):
    set_strategy(support_team, Team.Strategy.LEAST_BUSY)
    ann = online_agent(support_team, "ann", capacity=2)
    set_presence(user=ann, presence=AgentProfile.Presence.OFFLINE)
    first, second, third = (receive(api_endpoint, f"m{i}") for i in range(3))
    with django_capture_on_commit_callbacks(execute=True):
        set_presence(user=ann, presence=AgentProfile.Presence.ONLINE)
    assigned = [c.pk for c in (first, second, third) if Conversation.objects.get(pk=c.pk).assignee]
    assert assigned == [first.pk, second.pk]


def test_skills_strategy_prefers_the_customer_language_then_skills(api_endpoint, support_team):
    set_strategy(support_team, Team.Strategy.SKILLS)
    online_agent(support_team, "english", languages=["en"], skills=[])
    portuguese = online_agent(support_team, "portuguese", languages=["pt"], skills=[])
    billing = online_agent(support_team, "billing", languages=["en"], skills=["billing"])
    make_rule(
        "Billing",
        conditions=[{"field": "text", "operator": "contains", "value": "invoice"}],
        actions=[{"kind": RuleAction.Kind.ADD_TAGS, "tags": "billing"}],
    )
    pt = receive(api_endpoint, "m1", "Olá", identities={"email": "pt@example.com"})
    pt.customer.language = "pt-BR"
    pt.customer.save()
    Conversation.objects.filter(pk=pt.pk).update(assignee=None)
    from tests.routing.conftest import route_locked

    route_locked(pt)
    pt.refresh_from_db()
    assert pt.assignee == portuguese
    invoice = receive(api_endpoint, "m2", "My invoice is wrong")
    assert invoice.assignee == billing


def test_a_channel_limit_keeps_an_agent_below_their_overall_capacity(api_endpoint, support_team):
    set_strategy(support_team, Team.Strategy.LEAST_BUSY)
    ann = online_agent(support_team, "ann", capacity=10)
    AgentChannelCapacity.objects.create(profile=ann.agent_profile, channel="api", capacity=1)
    first, second = receive(api_endpoint, "m1"), receive(api_endpoint, "m2")
    assert first.assignee == ann
    assert second.assignee is None


def test_a_manual_team_keeps_conversations_in_its_queue(api_endpoint, support_team):
    set_strategy(support_team, Team.Strategy.MANUAL)
    online_agent(support_team, "ann")
    assert receive(api_endpoint, "m1").assignee is None


def test_pure_round_robin_wraps_around():
    from routing.strategies import Candidate, choose

    candidates = [Candidate(user_id=i, load=0, capacity=3) for i in (4, 9, 12)]
    picks, last = [], None
    for _ in range(5):
        last = choose(strategy="round_robin", candidates=candidates, last_assigned_id=last).user_id
        picks.append(last)
    assert picks == [4, 9, 12, 4, 9]
    full = [Candidate(user_id=1, load=3, capacity=3)]
    assert choose(strategy="least_busy", candidates=full).user_id is None
    assert "capacity" in choose(strategy="least_busy", candidates=full).reason
