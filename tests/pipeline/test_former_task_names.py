"""Upgrading while work waits in Redis loses none of it: a task queued under its name
before the app-stack redesign (`channels_app.tasks.*`, `routing.tasks.*`) is still run
by a worker of the new release."""

from __future__ import annotations

import time

import pytest
from django.conf import settings
from django.core.cache import cache

from channels_app.models import ChannelEndpoint, InboundEvent
from conversations.models import Message
from intake.services import DRAIN_SCHEDULED_KEY, accept_inbound
from tests.conftest import inbound

FORMER_NAMES = {
    "channels_app.tasks.process_inbound_event": "intake.tasks.process_inbound_event",
    "channels_app.tasks.drain_inbound_events": "intake.tasks.drain_inbound_events",
    "channels_app.tasks.deliver_message": "conversations.tasks.deliver_message",
    "channels_app.tasks.sweep_stranded_work": "intake.tasks.sweep_stranded_work",
    "channels_app.tasks.poll_email_mailboxes": "intake.tasks.poll_email_mailboxes",
    "channels_app.tasks.poll_mailbox": "intake.tasks.poll_mailbox",
    "channels_app.tasks.send_form_confirmation": "intake.tasks.send_form_confirmation",
    "channels_app.tasks.fetch_inbound_media": "intake.tasks.fetch_inbound_media",
    "routing.tasks.mark_offline_after_grace": "agents.tasks.mark_offline_after_grace",
}


def test_every_former_task_name_is_registered_and_routed_to_the_same_queue():
    from omnidesk.celery import app

    app.loader.import_default_modules()
    for former, current in FORMER_NAMES.items():
        assert former in app.tasks, former
        assert app.tasks[former].run.__code__ is app.tasks[current].run.__code__
        assert app.amqp.router.route({}, former)["queue"].name == (
            app.amqp.router.route({}, current)["queue"].name
        )


@pytest.mark.django_db(transaction=True)
def test_a_task_queued_under_its_former_name_is_run_by_a_real_worker(
    celery_worker_process,
    api_endpoint: ChannelEndpoint,
):
    from omnidesk.celery import app

    # Stored as the old release's webhook did; its processing task is the one queued
    # under the old name below (a waiting drain stops a new one being scheduled).
    cache.set(DRAIN_SCHEDULED_KEY, 1, timeout=120)
    event = accept_inbound(
        endpoint=api_endpoint,
        messages=[inbound("old-1", "queued before", email="old@example.com")],
    )[0].event
    assert event.status == InboundEvent.Status.PENDING
    app.conf.task_always_eager = False
    try:
        app.send_task("channels_app.tasks.process_inbound_event", args=[event.pk])
        deadline = time.monotonic() + 60
        while (
            time.monotonic() < deadline
            and not Message.objects.filter(provider_message_id="old-1").exists()
        ):
            time.sleep(0.2)
    finally:
        app.conf.task_always_eager = settings.CELERY_TASK_ALWAYS_EAGER
        cache.delete(DRAIN_SCHEDULED_KEY)
    event.refresh_from_db()
    assert Message.objects.filter(provider_message_id="old-1", text="queued before").count() == 1
    assert event.status == InboundEvent.Status.PROCESSED
