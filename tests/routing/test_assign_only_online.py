"""Routing gives new conversations only to agents who are connected, Online (not Away,
not Busy) and under capacity; when an agent becomes Online again (by choice or by
coming back from auto-away) their teams' queues drain to them up to their capacity.
Several tabs of one agent count as one agent."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from agents.models import AgentProfile, Team
from agents.services import (
    mark_idle_agents_away,
    record_activity,
    set_agent_status,
    socket_connected,
    socket_disconnected,
)
from conversations.models import Conversation
from tests.factories import make_agent
from tests.routing.conftest import online_agent, receive


@pytest.fixture
def least_busy_team(support_team: Team) -> Team:
    support_team.assignment_strategy = Team.Strategy.LEAST_BUSY
    support_team.save()
    return support_team


@pytest.mark.parametrize("status", [AgentProfile.Status.AWAY, AgentProfile.Status.BUSY])
def test_an_away_or_busy_agent_gets_no_new_conversation(api_endpoint, least_busy_team, status):
    ann = online_agent(least_busy_team, "ann")
    set_agent_status(agent=ann, status=status, actor=ann)

    conversation = receive(api_endpoint, "m1")

    assert conversation.assignee is None
    assert conversation.team == least_busy_team  # it waits in the team queue


def test_an_online_agent_with_capacity_gets_it_and_the_away_colleague_does_not(
    api_endpoint, least_busy_team
):
    ann = online_agent(least_busy_team, "ann")
    ben = online_agent(least_busy_team, "ben")
    set_agent_status(agent=ann, status=AgentProfile.Status.AWAY, actor=ann)

    assignees = {receive(api_endpoint, f"m{i}").assignee for i in range(3)}

    assert assignees == {ben}


def test_the_queue_drains_to_an_agent_who_comes_back_online_up_to_capacity(
    api_endpoint, least_busy_team, django_capture_on_commit_callbacks
):
    ann = online_agent(least_busy_team, "ann", capacity=2)
    set_agent_status(agent=ann, status=AgentProfile.Status.AWAY, actor=ann)
    waiting = [receive(api_endpoint, f"m{i}") for i in range(3)]
    assert [c.assignee for c in waiting] == [None, None, None]

    with django_capture_on_commit_callbacks(execute=True):
        set_agent_status(agent=ann, status=AgentProfile.Status.ONLINE, actor=ann)

    assigned = Conversation.objects.filter(pk__in=[c.pk for c in waiting], assignee=ann)
    assert assigned.count() == 2  # her capacity; the third keeps waiting


def test_the_queue_drains_when_an_agent_returns_from_auto_away(
    api_endpoint, least_busy_team, settings, django_capture_on_commit_callbacks
):
    settings.OMNIDESK_AUTO_AWAY_MINUTES = 10
    ann = online_agent(least_busy_team, "ann")
    AgentProfile.objects.filter(user=ann).update(
        last_active_at=timezone.now() - timedelta(minutes=11)
    )
    assert mark_idle_agents_away() == 1
    waiting = receive(api_endpoint, "m1")
    assert waiting.assignee is None

    with django_capture_on_commit_callbacks(execute=True):
        record_activity(user=ann)

    waiting.refresh_from_db()
    assert waiting.assignee == ann


def test_a_busy_agent_going_away_drains_nothing(
    api_endpoint, least_busy_team, django_capture_on_commit_callbacks
):
    ann = online_agent(least_busy_team, "ann")
    set_agent_status(agent=ann, status=AgentProfile.Status.BUSY, actor=ann)
    waiting = receive(api_endpoint, "m1")
    with django_capture_on_commit_callbacks(execute=True):
        set_agent_status(agent=ann, status=AgentProfile.Status.AWAY, actor=ann)
    waiting.refresh_from_db()
    assert waiting.assignee is None


def test_an_agent_with_several_tabs_counts_once(api_endpoint, support_team):
    support_team.assignment_strategy = Team.Strategy.ROUND_ROBIN
    support_team.save()
    ann = make_agent(username="ann", teams=[support_team])
    ben = make_agent(username="ben", teams=[support_team])
    tabs = [f"tab-{uuid.uuid4()}" for _ in range(3)]
    for tab in tabs:
        socket_connected(user=ann, channel_name=tab)
    socket_connected(user=ben, channel_name=f"tab-{uuid.uuid4()}")
    socket_disconnected(user=ann, channel_name=tabs[0], grace_seconds=3600)

    assignees = Counter(receive(api_endpoint, f"m{i}").assignee for i in range(4))

    assert assignees == {ann: 2, ben: 2}
    assert AgentProfile.objects.get(user=ann).presence == AgentProfile.Presence.ONLINE
