"""Presence follows the agent's open inbox sockets, wherever they are served: online
while any is open, offline only once the last has been closed for the grace period,
and no presence change at all for a reload, a second tab or a reconnect within the
grace period. A socket whose server died stops counting when its heartbeats stop.

The socket tests run the inbox consumer (`WebsocketCommunicator`) on the real Redis
channel layer; the grace periods run out in a real Celery worker on the real broker.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.db import connections
from django.utils import timezone

from agents.models import AgentProfile
from agents.selectors import SUPERVISORS_GROUP
from agents.services import (
    PRESENCE_CHANGED,
    mark_offline_if_still_disconnected,
    scan_presence,
    set_presence,
    socket_connected,
    socket_disconnected,
)
from agents.tasks import mark_offline_after_grace
from omnidesk.errors import ApplicationError
from omnidesk.realtime import apublish_rollback_unsafe
from tests.agents.sockets import next_of, open_tab
from tests.celery_worker import start_celery_worker, stop_celery_worker
from tests.factories import make_agent

GRACE_SECONDS = 3
CHECK_DONE = re.compile(
    r"Task agents\.tasks\.mark_offline_after_grace\[[^\]]+\] succeeded in [\d.e-]+s: (True|False)"
)


def presence_of(user) -> str:
    return AgentProfile.objects.get(user=user).presence


def changed_at(user):
    return AgentProfile.objects.get(user=user).presence_changed_at


def sockets_key(user) -> str:
    return f"{settings.REDIS_KEY_PREFIX}:presence:{user.pk}:sockets"


@pytest.fixture(autouse=True)
def forget_sockets() -> Iterator[None]:
    """Each test starts with no socket counted (user ids repeat across test runs)."""
    client = redis.Redis.from_url(settings.REDIS_URL)

    def clear() -> None:
        for key in client.scan_iter(match=f"{settings.REDIS_KEY_PREFIX}:presence:*"):
            client.delete(key)

    clear()
    yield
    clear()
    client.close()


# --- The rules, without sockets --------------------------------------------------------


def test_no_socket_means_offline_after_the_grace_period(db):
    ann = make_agent(username="ann")
    set_presence(user=ann, presence="online", at=timezone.now() - timedelta(minutes=5))
    assert mark_offline_if_still_disconnected(user_id=ann.pk, disconnected_at=timezone.now())
    assert presence_of(ann) == "offline"


def test_a_socket_opened_in_the_grace_period_keeps_the_agent_online(db):
    ann = make_agent(username="ann")
    socket_connected(user=ann, channel_name="tab-1")
    closed_at = timezone.now()
    socket_disconnected(user=ann, channel_name="tab-1", at=closed_at)
    socket_connected(user=ann, channel_name="tab-2")
    assert not mark_offline_if_still_disconnected(user_id=ann.pk, disconnected_at=closed_at)
    assert presence_of(ann) == "online"


def test_a_socket_closed_again_in_the_grace_period_is_decided_by_its_own_check(db):
    ann = make_agent(username="ann")
    socket_connected(user=ann, channel_name="tab-1")
    first_close = timezone.now()
    socket_disconnected(user=ann, channel_name="tab-1", at=first_close)
    socket_connected(user=ann, channel_name="tab-2")
    second_close = first_close + timedelta(seconds=1)
    socket_disconnected(user=ann, channel_name="tab-2", at=second_close)
    # The first check comes while the second close is still in its grace period.
    assert not mark_offline_if_still_disconnected(user_id=ann.pk, disconnected_at=first_close)
    assert presence_of(ann) == "online"
    assert mark_offline_if_still_disconnected(user_id=ann.pk, disconnected_at=second_close)
    assert presence_of(ann) == "offline"


def test_a_socket_whose_server_died_stops_counting_and_the_scan_marks_the_agent_offline(db):
    ann, bob, cat = (make_agent(username=name) for name in ("ann", "bob", "cat"))
    # Ann's server died ten minutes ago: her socket never closed, its heartbeats stopped.
    socket_connected(
        user=ann, channel_name="dead-server-tab", at=timezone.now() - timedelta(minutes=10)
    )
    socket_connected(user=bob, channel_name="live-tab")  # Bob is still connected
    socket_connected(user=cat, channel_name="closed-tab")
    socket_disconnected(user=cat, channel_name="closed-tab")  # Cat's grace period runs
    assert [presence_of(u) for u in (ann, bob, cat)] == ["online", "online", "online"]

    assert scan_presence() == 1
    assert [presence_of(u) for u in (ann, bob, cat)] == ["offline", "online", "online"]


def test_the_offline_check_is_scheduled_through_celery_when_the_last_socket_closes(
    db, django_capture_on_commit_callbacks
):
    ann = make_agent(username="ann")
    socket_connected(user=ann, channel_name="tab-1")
    socket_connected(user=ann, channel_name="tab-2")
    with django_capture_on_commit_callbacks(execute=True) as scheduled:
        socket_disconnected(user=ann, channel_name="tab-1", grace_seconds=30)
    assert scheduled == []  # another tab is open: nothing to check
    with django_capture_on_commit_callbacks(execute=True) as scheduled:
        # Tasks run eagerly in tests, so the countdown does not delay it here.
        socket_disconnected(user=ann, channel_name="tab-2", grace_seconds=30)
    assert scheduled  # the check (eager here), then the offline event it published
    assert presence_of(ann) == "offline"


def test_without_redis_one_process_counts_its_own_sockets(db, settings):
    settings.REDIS_URL = ""  # the embedded default: one process, in-process tasks
    ann = make_agent(username="ann")
    socket_connected(user=ann, channel_name="tab-1")
    socket_connected(user=ann, channel_name="tab-2")
    closed_at = timezone.now()
    socket_disconnected(user=ann, channel_name="tab-1", at=closed_at)
    assert not mark_offline_if_still_disconnected(user_id=ann.pk, disconnected_at=closed_at)
    closed_at = timezone.now()
    socket_disconnected(user=ann, channel_name="tab-2", at=closed_at)
    assert mark_offline_if_still_disconnected(user_id=ann.pk, disconnected_at=closed_at)
    assert presence_of(ann) == "offline"


def test_unknown_presence_is_refused(db):
    with pytest.raises(ApplicationError):
        set_presence(user=make_agent(username="ann"), presence="asleep")


# --- Real sockets ------------------------------------------------------------------------


async def presence_events_until_sentinel(tab: WebsocketCommunicator, user) -> list[str]:
    """The presence changes of `user` that reached `tab` before a marker sent now: the
    channel layer delivers a group's messages in order, so anything published earlier
    arrives before it."""
    await apublish_rollback_unsafe({"type": "test.sentinel"}, [SUPERVISORS_GROUP])
    seen = []
    while True:
        message = await next_of(tab, PRESENCE_CHANGED, "test.sentinel")
        if message["type"] == "test.sentinel":
            return seen
        if message["user_id"] == user.pk:
            seen.append(message["presence"])


async def poll(condition, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not await sync_to_async(condition)():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} within {timeout} s")
        await asyncio.sleep(0.05)


class Worker:
    """A real Celery worker on the test database and this process's Redis queues: it
    runs the offline checks once their grace period is over. Its log says when each
    check ran and what it decided."""

    def __init__(self, log: Path) -> None:
        self.log = log
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = start_celery_worker(self.log, queues="default")
        deadline = time.monotonic() + 60
        while "ready." not in self.log.read_text():
            if self.process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the worker did not start:\n{self.log.read_text()}")
            time.sleep(0.1)

    def checks_done(self) -> list[str]:
        """What each offline check it ran returned, in order."""
        return CHECK_DONE.findall(self.log.read_text()) if self.log.exists() else []

    def stop(self) -> None:
        if self.process is not None:
            stop_celery_worker(self.process, self.log)


@pytest.fixture
def worker(settings, tmp_path) -> Iterator[Worker]:
    """Offline checks go to the broker, with a short grace period, for a worker the
    test starts when it chooses."""
    from omnidesk.celery import app

    settings.OMNIDESK_PRESENCE_GRACE_SECONDS = GRACE_SECONDS
    # Nothing left queued by an earlier, interrupted run acts on this one's users.
    redis.Redis.from_url(settings.REDIS_URL).delete(f"{settings.REDIS_KEY_PREFIX}:celery:default")
    app.conf.task_always_eager = False
    started = Worker(tmp_path / "worker.log")
    try:
        yield started
    finally:
        app.conf.task_always_eager = settings.CELERY_TASK_ALWAYS_EAGER
        started.stop()


@pytest.fixture
async def sync_thread_connections_closed() -> AsyncIterator[None]:
    """The consumer's database work runs in asgiref's sync thread, whose connection
    would outlive the test and keep the test database from being dropped."""
    yield
    await sync_to_async(connections.close_all)()


def people():
    ann = make_agent(username="ann")
    sam = make_agent(username="sam", role=AgentProfile.Role.SUPERVISOR)
    return ann, sam


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("sync_thread_connections_closed")
async def test_with_two_tabs_open_closing_one_keeps_the_agent_online_after_the_grace_period():
    ann, sam = await sync_to_async(people)()
    supervisor = await open_tab(sam)
    first, second = await open_tab(ann), await open_tab(ann)
    assert await sync_to_async(presence_of)(ann) == "online"
    online_since = await sync_to_async(changed_at)(ann)

    await first.disconnect()
    closed_at = timezone.now()
    # The grace period is over: the check a close would schedule finds the other tab.
    await sync_to_async(mark_offline_after_grace.apply)(args=[ann.pk, closed_at.isoformat()])

    assert await sync_to_async(presence_of)(ann) == "online"
    assert await sync_to_async(changed_at)(ann) == online_since
    assert await presence_events_until_sentinel(supervisor, ann) == ["online"]
    await second.disconnect()
    await supervisor.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("sync_thread_connections_closed")
async def test_closing_every_tab_makes_the_agent_offline_after_the_grace_period(worker):
    ann, sam = await sync_to_async(people)()
    supervisor = await open_tab(sam)
    first, second = await open_tab(ann), await open_tab(ann)
    await sync_to_async(worker.start)()

    await first.disconnect()
    await second.disconnect()

    await poll(lambda: worker.checks_done() != [], "the worker ran the offline check")
    assert worker.checks_done() == ["True"]  # one check, for the last tab
    assert await sync_to_async(presence_of)(ann) == "offline"
    assert await presence_events_until_sentinel(supervisor, ann) == ["online", "offline"]
    await supervisor.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("sync_thread_connections_closed")
async def test_a_reconnect_within_the_grace_period_changes_no_presence(worker):
    ann, sam = await sync_to_async(people)()
    supervisor = await open_tab(sam)
    tab = await open_tab(ann)
    online_since = await sync_to_async(changed_at)(ann)

    await tab.disconnect()  # a reload, or the network dropped for a moment
    tab = await open_tab(ann)
    # Started only now, the worker cannot run the check before the reconnect.
    await sync_to_async(worker.start)()
    await poll(lambda: worker.checks_done() != [], "the worker ran the offline check")

    assert worker.checks_done() == ["False"]
    assert await sync_to_async(presence_of)(ann) == "online"
    assert await sync_to_async(changed_at)(ann) == online_since
    # Supervisors saw Ann come online once, and nothing since.
    assert await presence_events_until_sentinel(supervisor, ann) == ["online"]
    await tab.disconnect()
    await supervisor.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("sync_thread_connections_closed")
async def test_an_open_socket_that_redis_forgot_counts_again_at_its_next_heartbeat(settings):
    settings.OMNIDESK_PRESENCE_HEARTBEAT_SECONDS = 0.2
    ann = await sync_to_async(make_agent)(username="ann")
    tab = await open_tab(ann)
    client = redis.asyncio.Redis.from_url(settings.REDIS_URL)
    try:
        assert await client.zcard(sockets_key(ann)) == 1
        await client.delete(sockets_key(ann))  # a Redis restart without persistence

        deadline = time.monotonic() + 10
        while await client.zcard(sockets_key(ann)) != 1:
            if time.monotonic() > deadline:
                pytest.fail("the open socket was not counted again")
            await asyncio.sleep(0.05)
    finally:
        await client.aclose()
    assert await sync_to_async(presence_of)(ann) == "online"
    await tab.disconnect()
