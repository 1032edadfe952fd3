"""Presence: set by the inbox; a closed socket means offline only after a grace period
without a reconnect."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from agents.models import AgentProfile
from agents.services import (
    mark_offline_if_still_disconnected,
    presence_disconnected,
    set_presence,
)
from tests.factories import make_agent


def presence_of(user) -> str:
    return AgentProfile.objects.get(user=user).presence


def test_a_reconnect_within_the_grace_period_keeps_the_agent_online(db):
    ann = make_agent(username="ann")
    start = timezone.now()
    set_presence(user=ann, presence="online", at=start)
    disconnected_at = start + timedelta(seconds=5)
    set_presence(user=ann, presence="online", at=start + timedelta(seconds=8))  # reconnect
    assert not mark_offline_if_still_disconnected(user_id=ann.pk, disconnected_at=disconnected_at)
    assert presence_of(ann) == "online"


def test_no_reconnect_means_offline_after_the_grace_period(db):
    ann = make_agent(username="ann")
    set_presence(user=ann, presence="online", at=timezone.now() - timedelta(minutes=5))
    assert mark_offline_if_still_disconnected(user_id=ann.pk, disconnected_at=timezone.now())
    assert presence_of(ann) == "offline"


def test_the_disconnect_task_runs_through_celery(db, django_capture_on_commit_callbacks):
    ann = make_agent(username="ann")
    set_presence(user=ann, presence="online", at=timezone.now() - timedelta(minutes=5))
    with django_capture_on_commit_callbacks(execute=True):
        # Tasks run eagerly in tests, so the countdown does not delay it here.
        presence_disconnected(user=ann, grace_seconds=30)
    assert presence_of(ann) == "offline"


def test_unknown_presence_is_refused(db):
    import pytest

    from omnidesk.errors import ApplicationError

    with pytest.raises(ApplicationError):
        set_presence(user=make_agent(username="ann"), presence="asleep")
