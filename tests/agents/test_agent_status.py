"""An agent's chosen status (Online, Away, Busy), apart from whether an inbox is open:
set by the agent (service, REST), refused when unknown or when it is someone else's
and the setter is no supervisor, announced to the agent's other tabs and to the
supervisors, never to other agents."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connections
from rest_framework.test import APIClient

from agents.models import AgentProfile
from agents.selectors import SUPERVISORS_GROUP, agent_group
from agents.services import STATUS_CHANGED, set_agent_status
from omnidesk.errors import ApplicationError, PermissionDeniedError
from omnidesk.realtime import apublish_rollback_unsafe
from tests.agents.sockets import next_of, open_tab
from tests.conftest import api_client_for
from tests.factories import make_agent


def status_of(user) -> str:
    return AgentProfile.objects.get(user=user).status


# --- The service --------------------------------------------------------------------------


def test_an_agent_sets_away_and_their_tabs_and_the_supervisors_are_told(
    db, capture_events, django_capture_on_commit_callbacks
):
    ann = make_agent(username="ann")
    with django_capture_on_commit_callbacks(execute=True):
        set_agent_status(agent=ann, status="away", actor=ann)

    assert status_of(ann) == "away"
    [(event, groups)] = capture_events.of_type(STATUS_CHANGED)
    assert event["user_id"] == ann.pk and event["status"] == "away"
    assert event["automatic"] is False
    assert sorted(groups) == sorted([agent_group(ann.pk), SUPERVISORS_GROUP])


def test_setting_the_same_status_again_announces_nothing(
    db, capture_events, django_capture_on_commit_callbacks
):
    ann = make_agent(username="ann")
    set_agent_status(agent=ann, status="busy", actor=ann)
    with django_capture_on_commit_callbacks(execute=True):
        set_agent_status(agent=ann, status="busy", actor=ann)
    assert capture_events.of_type(STATUS_CHANGED) == []


def test_an_unknown_status_is_refused(db):
    ann = make_agent(username="ann")
    with pytest.raises(ApplicationError) as refused:
        set_agent_status(agent=ann, status="asleep", actor=ann)
    assert "status" in refused.value.fields
    assert status_of(ann) == "online"


def test_an_agent_cannot_set_a_colleagues_status_but_a_supervisor_can(db):
    ann, ben = make_agent(username="ann"), make_agent(username="ben")
    sue = make_agent(username="sue", role=AgentProfile.Role.SUPERVISOR)
    with pytest.raises(PermissionDeniedError):
        set_agent_status(agent=ann, status="away", actor=ben)
    assert status_of(ann) == "online"
    set_agent_status(agent=ann, status="busy", actor=sue)
    assert status_of(ann) == "busy"


# --- The API ------------------------------------------------------------------------------


def test_the_api_reads_and_sets_the_callers_status(db):
    ann = make_agent(username="ann")
    api = api_client_for(ann)

    assert api.get("/api/v1/me/status/").json() == {
        "status": "online",
        "availability": "offline",  # no inbox tab open
        "automatic": False,
    }
    response = api.patch("/api/v1/me/status/", {"status": "away"}, format="json")

    assert response.status_code == 200
    assert response.json()["status"] == "away"
    assert status_of(ann) == "away"


def test_the_api_refuses_an_unknown_status_and_changes_nothing(db):
    ann = make_agent(username="ann")
    response = api_client_for(ann).patch("/api/v1/me/status/", {"status": "gone"}, format="json")
    assert response.status_code == 400
    assert "status" in response.json()["error"]["fields"]
    assert status_of(ann) == "online"


def test_the_api_needs_a_signed_in_caller(db):
    assert APIClient().patch("/api/v1/me/status/", {"status": "away"}).status_code == 401


def test_the_status_route_is_in_the_openapi_schema(db):
    ann = make_agent(username="ann")
    schema = api_client_for(ann).get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operations = schema["paths"]["/api/v1/me/status/"]
    assert {"get", "patch"} <= set(operations)


# --- Real sockets: the agent's other tabs -------------------------------------------------


async def statuses_until_sentinel(tab: WebsocketCommunicator, group: str) -> list[str]:
    """The status changes that reached `tab` before a marker sent now to `group` (a
    group's messages arrive in order). A status change is no change of what the agent
    may see: the socket must not re-read its access (a new hello) for it."""
    await apublish_rollback_unsafe({"type": "test.sentinel"}, [group])
    seen = []
    while True:
        message = await next_of(tab, STATUS_CHANGED, "hello", "test.sentinel")
        if message["type"] == "test.sentinel":
            return seen
        seen.append(message.get("status", message["type"]))


@pytest.fixture
async def sync_thread_connections_closed() -> AsyncIterator[None]:
    yield
    await sync_to_async(connections.close_all)()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("sync_thread_connections_closed")
async def test_the_agents_other_tab_and_the_supervisor_see_the_change_and_others_do_not():
    ann = await sync_to_async(make_agent)(username="ann")
    ben = await sync_to_async(make_agent)(username="ben")
    sue = await sync_to_async(make_agent)(username="sue", role=AgentProfile.Role.SUPERVISOR)
    first, second = await open_tab(ann), await open_tab(ann)
    supervisor, colleague = await open_tab(sue), await open_tab(ben)
    try:
        api = await sync_to_async(api_client_for)(ann)
        response = await sync_to_async(api.patch)(
            "/api/v1/me/status/", {"status": "busy"}, format="json"
        )
        assert response.status_code == 200
        assert response.json()["availability"] == "busy"  # tabs are open

        changed = await next_of(second, STATUS_CHANGED)
        assert (changed["user_id"], changed["status"]) == (ann.pk, "busy")
        assert await statuses_until_sentinel(first, agent_group(ann.pk)) == ["busy"]
        assert await statuses_until_sentinel(supervisor, SUPERVISORS_GROUP) == ["busy"]
        assert await statuses_until_sentinel(colleague, agent_group(ben.pk)) == []
    finally:
        for tab in (first, second, supervisor, colleague):
            await tab.disconnect()
