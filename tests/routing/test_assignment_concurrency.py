"""Many workers assigning at once never exceed an agent's capacity and never assign one
conversation twice (real PostgreSQL, real threads, real row locks)."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection

from agents.models import Team
from conversations.models import Conversation, ConversationEvent
from routing.services import assign_waiting
from tests.factories import ConversationFactory, EndpointFactory, TeamFactory
from tests.routing.conftest import online_agent, route_locked

CAPACITY = 3


def run_in_threads(jobs) -> list[BaseException]:
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def run(job) -> None:
        try:
            barrier.wait()
            job()
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def setup_team(strategy: str, agents: int, conversations: int):
    endpoint = EndpointFactory()
    team = TeamFactory(name="Support", endpoints=[endpoint], assignment_strategy=strategy)
    users = [online_agent(team, f"agent{i}", capacity=CAPACITY) for i in range(agents)]
    waiting = [ConversationFactory(endpoint=endpoint, team=team) for _ in range(conversations)]
    return team, users, waiting


def assert_no_overload_and_no_double_assignment(users, expected_assigned: int) -> None:
    loads = Counter(
        Conversation.objects.filter(assignee__isnull=False).values_list("assignee_id", flat=True)
    )
    assert max(loads.values()) <= CAPACITY
    assert set(loads) <= {u.pk for u in users}
    assert sum(loads.values()) == expected_assigned
    assignments = Counter(
        ConversationEvent.objects.filter(kind=ConversationEvent.Kind.ASSIGNED).values_list(
            "conversation_id", flat=True
        )
    )
    assert sum(assignments.values()) == expected_assigned
    assert set(assignments.values()) == {1}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("strategy", [Team.Strategy.ROUND_ROBIN, Team.Strategy.LEAST_BUSY])
def test_concurrent_routing_respects_capacity(strategy):
    _, users, waiting = setup_team(strategy, agents=4, conversations=40)
    workers = 10
    slices = [waiting[i::workers] for i in range(workers)]

    def job(batch):
        return lambda: [route_locked(conversation) for conversation in batch]

    errors = run_in_threads([job(batch) for batch in slices])
    assert errors == []
    assert_no_overload_and_no_double_assignment(users, expected_assigned=4 * CAPACITY)


@pytest.mark.django_db(transaction=True)
def test_concurrent_queue_drains_and_routing_never_assign_twice():
    team, users, waiting = setup_team(Team.Strategy.LEAST_BUSY, agents=5, conversations=30)
    drains = [lambda: assign_waiting(team_id=team.pk) for _ in range(6)]
    routes = [
        (lambda batch=batch: [route_locked(c) for c in batch])
        for batch in (waiting[:10], waiting[10:20])
    ]
    errors = run_in_threads(drains + routes)
    assert errors == []
    assert_no_overload_and_no_double_assignment(users, expected_assigned=5 * CAPACITY)
