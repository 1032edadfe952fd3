"""Accepting events schedules one drain task at a time; a drain takes everything waiting."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from channels_app.models import InboundEvent
from conversations.models import Conversation, Message
from intake import services
from intake.services import pipeline
from intake.tasks import drain_inbound_events, sweep_stranded_work
from tests.conftest import inbound

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_drain_scheduled():
    cache.delete(services.DRAIN_SCHEDULED_KEY)
    yield
    cache.delete(services.DRAIN_SCHEDULED_KEY)


def accept(endpoint, provider_id: str, email: str, capture) -> InboundEvent:
    with capture(execute=True):
        [accepted] = services.accept_inbound(
            endpoint=endpoint, messages=[inbound(provider_id, email=email)]
        )
    return accepted.event


def test_an_idle_desk_processes_each_message_as_it_arrives(
    api_endpoint, django_capture_on_commit_callbacks
):
    accept(api_endpoint, "a1", "ann@example.com", django_capture_on_commit_callbacks)
    assert Message.objects.count() == 1
    # The drain that ran cleared the way for the next one.
    accept(api_endpoint, "a2", "bo@example.com", django_capture_on_commit_callbacks)
    assert Message.objects.count() == 2


def test_a_burst_behind_a_waiting_drain_queues_nothing_more_and_that_drain_takes_it_all(
    api_endpoint, django_capture_on_commit_callbacks
):
    # A drain task is queued and has not started (workers are busy).
    assert cache.add(services.DRAIN_SCHEDULED_KEY, 1)
    for n in range(5):
        accept(api_endpoint, f"b{n}", f"c{n % 2}@example.com", django_capture_on_commit_callbacks)
    assert Message.objects.count() == 0  # nothing ran: no second drain was queued

    with django_capture_on_commit_callbacks(execute=True):
        assert drain_inbound_events.apply().get() == 5

    assert set(InboundEvent.objects.values_list("status", flat=True)) == {"processed"}
    assert Conversation.objects.count() == 2
    assert list(
        Message.objects.order_by("created_at").values_list("provider_message_id", flat=True)
    ) == [
        "b0",
        "b1",
        "b2",
        "b3",
        "b4",
    ]
    # The drain cleared the flag: the next event is processed at once again.
    accept(api_endpoint, "b5", "c0@example.com", django_capture_on_commit_callbacks)
    assert Message.objects.count() == 6


def test_a_drain_leaves_events_waiting_for_something_else_to_the_sweep(
    api_endpoint, django_capture_on_commit_callbacks
):
    InboundEvent.objects.create(
        endpoint=api_endpoint,
        provider_id="early",
        message=inbound("early", email="x@example.com").to_json(),
        error="Waiting for the message this status refers to.",
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert drain_inbound_events.apply().get() == 0
    assert InboundEvent.objects.get().status == "pending"


def test_a_lost_drain_task_strands_nothing(api_endpoint, django_capture_on_commit_callbacks):
    # The drain was scheduled but its task never reached a worker (a broker outage).
    assert cache.add(services.DRAIN_SCHEDULED_KEY, 1)
    event = accept(api_endpoint, "lost", "lee@example.com", django_capture_on_commit_callbacks)
    assert Message.objects.count() == 0

    InboundEvent.objects.filter(pk=event.pk).update(
        received_at=timezone.now() - timedelta(minutes=2)
    )
    with django_capture_on_commit_callbacks(execute=True):
        sweep_stranded_work.apply()
    assert Message.objects.filter(provider_message_id="lost").count() == 1


def test_a_long_backlog_is_handed_over_to_fresh_drain_tasks(
    api_endpoint, django_capture_on_commit_callbacks, settings, monkeypatch
):
    settings.OMNIDESK_INBOUND_BATCH_SIZE = 2
    monkeypatch.setattr(pipeline, "DRAIN_MAX_BATCHES", 2)
    assert cache.add(services.DRAIN_SCHEDULED_KEY, 1)
    for n in range(9):
        accept(api_endpoint, f"l{n}", f"l{n}@example.com", django_capture_on_commit_callbacks)

    with django_capture_on_commit_callbacks(execute=True):
        # Two batches of two, then the rest goes to the drain it scheduled (run at once
        # here, tasks being eager in tests).
        assert drain_inbound_events.apply().get() == 4
    assert Message.objects.count() == 9
