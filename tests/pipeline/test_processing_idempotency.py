"""Processing an accepted event is idempotent and nothing accepted is ever stranded."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from channels_app.models import InboundEvent
from conversations.models import Message
from intake import services
from intake.tasks import process_inbound_event, sweep_stranded_work
from tests.conftest import inbound

pytestmark = pytest.mark.django_db


def test_running_the_processing_task_twice_makes_one_message(api_endpoint):
    [accepted] = services.accept_inbound(
        endpoint=api_endpoint, messages=[inbound("p1", email="a@example.com")]
    )
    process_inbound_event.apply(args=[accepted.event.pk])
    process_inbound_event.apply(args=[accepted.event.pk])
    assert Message.objects.count() == 1
    accepted.event.refresh_from_db()
    assert accepted.event.status == "processed"
    assert accepted.event.attempts == 1


def test_accepting_enqueues_processing_only_after_commit(
    api_endpoint, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.accept_inbound(
            endpoint=api_endpoint, messages=[inbound("p1", email="a@example.com")]
        )
        assert Message.objects.count() == 0
    assert len(callbacks) == 1


def test_a_lost_enqueue_is_recovered_by_the_sweep_exactly_once(
    api_endpoint, django_capture_on_commit_callbacks
):
    # The commit happens but the enqueue never does (a crash or a Redis outage in between).
    with django_capture_on_commit_callbacks(execute=False):
        [accepted] = services.accept_inbound(
            endpoint=api_endpoint, messages=[inbound("lost", email="a@example.com")]
        )
    assert Message.objects.count() == 0

    # Too recent: the sweep leaves it to the normal path.
    sweep_stranded_work.apply()
    assert Message.objects.count() == 0

    InboundEvent.objects.filter(pk=accepted.event.pk).update(
        received_at=timezone.now() - timedelta(minutes=2)
    )
    sweep_stranded_work.apply()
    sweep_stranded_work.apply()
    assert Message.objects.filter(provider_message_id="lost").count() == 1
    accepted.event.refresh_from_db()
    assert accepted.event.status == "processed"


def test_an_event_with_bad_data_is_marked_failed_with_the_error_and_can_be_reprocessed(
    api_endpoint,
):
    event = InboundEvent.objects.create(
        endpoint=api_endpoint,
        provider_id="bad",
        message=inbound("bad", email="not an email").to_json(),
    )
    services.process_inbound_event(event_id=event.pk)
    event.refresh_from_db()
    assert event.status == "failed"
    assert "email" in event.error
    assert Message.objects.count() == 0

    # An admin fixes the data and re-processes it.
    event.message = inbound("bad", email="fixed@example.com").to_json()
    event.save()
    with_callbacks = services.reprocess_events(event_ids=[event.pk])
    assert with_callbacks == 1
    services.process_inbound_event(event_id=event.pk)
    event.refresh_from_db()
    assert event.status == "processed"
    assert Message.objects.count() == 1


def test_a_queued_reply_whose_enqueue_was_lost_is_delivered_by_the_sweep(
    api_endpoint, agent, django_capture_on_commit_callbacks
):
    from conversations.services import receive_message, send_reply

    received = receive_message(endpoint=api_endpoint, inbound=inbound("p1", email="a@example.com"))
    with django_capture_on_commit_callbacks(execute=False):
        reply = send_reply(conversation=received.conversation, author=agent, text="On it")
    Message.objects.filter(pk=reply.pk).update(created_at=timezone.now() - timedelta(minutes=2))
    sweep_stranded_work.apply()
    reply.refresh_from_db()
    assert reply.delivery_status == "sent"
    assert reply.delivery_attempts == 1
