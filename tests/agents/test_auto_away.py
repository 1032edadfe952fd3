"""Auto-away: an Online agent with an inbox open and no activity in any tab for
OMNIDESK_AUTO_AWAY_MINUTES is set Away by the periodic check; their next activity
(reported by the page over the inbox socket) makes them Online again. An Away or Busy
the agent chose is never undone by activity. 0 minutes disables it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings as django_settings
from django.db import connections
from django.utils import timezone

from agents.models import AgentProfile
from agents.services import STATUS_CHANGED, record_activity, set_agent_status
from agents.tasks import mark_idle_agents_away
from tests.agents.sockets import open_tab
from tests.factories import make_agent


@pytest.fixture(autouse=True)
def ten_minutes(settings) -> None:
    settings.OMNIDESK_AUTO_AWAY_MINUTES = 10


def connected_agent(username: str, *, idle_minutes: float):
    user = make_agent(username=username)
    AgentProfile.objects.filter(user=user).update(
        presence=AgentProfile.Presence.ONLINE,
        last_active_at=timezone.now() - timedelta(minutes=idle_minutes),
    )
    return user


def profile_of(user) -> AgentProfile:
    return AgentProfile.objects.get(user=user)


def test_an_agent_idle_longer_than_the_setting_is_set_away_automatically(
    db, capture_events, django_capture_on_commit_callbacks
):
    idle = connected_agent("idle", idle_minutes=11)
    busy_typing = connected_agent("active", idle_minutes=2)

    with django_capture_on_commit_callbacks(execute=True):
        assert mark_idle_agents_away.apply().get() == 1

    assert (profile_of(idle).status, profile_of(idle).status_is_automatic) == ("away", True)
    assert profile_of(busy_typing).status == "online"
    [(event, _)] = capture_events.of_type(STATUS_CHANGED)
    assert (event["user_id"], event["status"], event["automatic"]) == (idle.pk, "away", True)


def test_agents_without_an_open_inbox_are_left_alone(db):
    gone = connected_agent("gone", idle_minutes=60)
    AgentProfile.objects.filter(user=gone).update(presence=AgentProfile.Presence.OFFLINE)
    assert mark_idle_agents_away.apply().get() == 0
    assert profile_of(gone).status == "online"


def test_zero_minutes_disables_auto_away(db, settings):
    settings.OMNIDESK_AUTO_AWAY_MINUTES = 0
    idle = connected_agent("idle", idle_minutes=600)
    assert mark_idle_agents_away.apply().get() == 0
    assert profile_of(idle).status == "online"


def test_activity_undoes_auto_away(db):
    idle = connected_agent("idle", idle_minutes=11)
    mark_idle_agents_away.apply()
    record_activity(user=idle)
    assert (profile_of(idle).status, profile_of(idle).status_is_automatic) == ("online", False)


@pytest.mark.parametrize("chosen", ["away", "busy"])
def test_activity_keeps_a_status_the_agent_chose(db, chosen):
    ann = connected_agent("ann", idle_minutes=11)
    set_agent_status(agent=ann, status=chosen, actor=ann)
    record_activity(user=ann)
    mark_idle_agents_away.apply()  # only Online agents go away automatically
    assert (profile_of(ann).status, profile_of(ann).status_is_automatic) == (chosen, False)


def test_choosing_away_after_auto_away_keeps_it_through_activity(db):
    ann = connected_agent("ann", idle_minutes=11)
    mark_idle_agents_away.apply()
    set_agent_status(agent=ann, status="away", actor=ann)  # now her own choice
    record_activity(user=ann)
    assert profile_of(ann).status == "away"


def test_the_check_runs_every_minute_on_the_beat():
    entry = django_settings.CELERY_BEAT_SCHEDULE["mark-idle-agents-away"]
    assert entry["task"] == "agents.tasks.mark_idle_agents_away"


# --- The page reports activity over its inbox socket -------------------------------------


@pytest.fixture
async def sync_thread_connections_closed() -> AsyncIterator[None]:
    yield
    await sync_to_async(connections.close_all)()


async def poll(condition, what: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not await sync_to_async(condition)():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} within {timeout} s")
        await asyncio.sleep(0.05)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("sync_thread_connections_closed")
async def test_an_active_message_on_the_socket_brings_an_auto_away_agent_back_online():
    ann = await sync_to_async(make_agent)(username="ann")
    tab = await open_tab(ann)  # greeted: counted as present
    try:
        await AgentProfile.objects.filter(user=ann).aupdate(
            last_active_at=timezone.now() - timedelta(minutes=30)
        )
        assert (await sync_to_async(mark_idle_agents_away.apply)()).get() == 1

        await tab.send_json_to({"action": "active"})

        await poll(
            lambda: profile_of(ann).status == "online",
            "the agent's activity made her Online again",
        )
        assert await sync_to_async(was_active_this_minute)(ann)
    finally:
        await tab.disconnect()


def was_active_this_minute(user) -> bool:
    last_active_at = profile_of(user).last_active_at
    return last_active_at is not None and timezone.now() - last_active_at < timedelta(minutes=1)
