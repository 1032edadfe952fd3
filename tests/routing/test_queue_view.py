"""The supervisors' queue view: per team the waiting conversations, oldest wait, SLA risk
and agents with presence and load; live over the inbox websocket."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connections
from django.test import Client
from django.utils import timezone

from agents.models import AgentProfile, Team
from agents.services import set_agent_status, set_presence
from conversations.models import Conversation
from omnidesk.asgi import application
from routing.models import SlaPolicy
from tests.factories import make_agent
from tests.routing.conftest import online_agent, receive


def test_supervisors_see_each_team_queue_with_risk_and_agents(
    supervisor_client: Client, api_endpoint, support_team
):
    SlaPolicy.objects.create(name="Fast", first_response_minutes=10)
    support_team.assignment_strategy = Team.Strategy.LEAST_BUSY
    support_team.save()
    online_agent(support_team, "ann", capacity=1)
    assigned = receive(api_endpoint, "m1")
    late = receive(api_endpoint, "m2")
    Conversation.objects.filter(pk=late.pk).update(
        first_response_due_at=timezone.now() - timedelta(minutes=1)
    )
    soon = receive(api_endpoint, "m3")
    assert assigned.assignee is not None and late.assignee is None and soon.assignee is None
    response = supervisor_client.get("/inbox/queues/")
    assert response.status_code == 200
    team = next(t for t in response.context["teams"] if t.name == "Support")
    assert (team.waiting, team.breached, team.at_risk) == (2, 1, 1)
    assert [(a.name, a.presence, a.load, a.capacity) for a in team.agents] == [
        (team.agents[0].name, "online", 1, 1)
    ]
    assert team.oldest_waiting_since == late.waiting_since
    body = response.content.decode()
    assert "Support" in body and f"#{late.pk}" in body
    fragment = supervisor_client.get("/inbox/queues/fragment/")
    assert fragment.status_code == 200
    assert "<html" not in fragment.content.decode()


def test_supervisors_see_each_agents_chosen_status_and_offline_for_no_open_inbox(
    supervisor_client: Client, support_team
):
    ann = online_agent(support_team, "ann")
    ben = online_agent(support_team, "ben")
    set_agent_status(agent=ann, status=AgentProfile.Status.BUSY, actor=ann)
    cat = make_agent(username="cat", teams=[support_team])
    set_agent_status(agent=cat, status=AgentProfile.Status.AWAY, actor=cat)  # no inbox open

    response = supervisor_client.get("/inbox/queues/fragment/")

    team = next(t for t in response.context["teams"] if t.name == "Support")
    assert {a.user_id: a.presence for a in team.agents} == {
        ann.pk: "busy",
        ben.pk: "online",
        cat.pk: "offline",
    }


def test_agents_may_not_see_the_queue_view(client, support_team):
    agent = make_agent(username="ann", teams=[support_team])
    client.force_login(agent)
    assert client.get("/inbox/queues/").status_code == 403
    assert client.get("/inbox/queues/fragment/").status_code == 403


@pytest.mark.django_db(transaction=True)
async def test_presence_changes_reach_the_supervisors_socket():
    supervisor = await sync_to_async(make_agent)(role=AgentProfile.Role.SUPERVISOR, username="sue")
    team = await sync_to_async(Team.objects.create)(name="Support")
    ann = await sync_to_async(make_agent)(username="ann", teams=[team])
    client = Client()
    await sync_to_async(client.force_login)(supervisor)
    headers = [
        (b"origin", b"http://testserver"),
        (b"host", b"testserver"),
        (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()),
    ]
    communicator = WebsocketCommunicator(application, "/ws/inbox/", headers=headers)
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    try:
        await sync_to_async(set_presence)(user=ann, presence=AgentProfile.Presence.ONLINE)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 5
        while True:
            event = await communicator.receive_json_from(timeout=max(deadline - loop.time(), 0.01))
            if event.get("type") == "agent.presence" and event.get("user_id") == ann.pk:
                break
        assert event["presence"] == "online"
    finally:
        await communicator.disconnect()
        # The consumer's thread keeps a connection; close it so the test database can go.
        await database_sync_to_async(connections.close_all)()
