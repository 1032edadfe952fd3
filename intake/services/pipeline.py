"""Processing stored inbound events: the drain takes waiting events in batches (SKIP
LOCKED, so workers share a backlog) and hands each to its handler
(`intake.services.handlers`); plain messages go through the batch path."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, InterfaceError, OperationalError, transaction
from django.db.models import F
from django.utils import timezone

from channels_app.models import ChannelEndpoint, InboundEvent
from channels_app.types import InboundMessage
from conversations.models import Message
from conversations.services import inbound_batch
from intake.services.accept import (
    DRAIN_BUSY_KEY,
    DRAIN_BUSY_SECONDS,
    DRAIN_MAX_BATCHES,
    DRAIN_SCHEDULED_KEY,
    schedule_drain,
)
from intake.services.handlers import EVENT_HANDLERS, RetryLater
from intake.widget import placement
from omnidesk import metrics
from omnidesk.errors import ApplicationError

logger = logging.getLogger(__name__)


def drain_inbound_events() -> int:
    """Process waiting events, oldest first, in batches, until none is left; returns how
    many were processed. Workers draining at the same time share the backlog (SKIP
    LOCKED). Events waiting for something else (RetryLater) are left to the sweep."""
    # From here on, an event accepted now schedules another drain: none is left behind.
    cache.delete(DRAIN_SCHEDULED_KEY)
    processed = 0
    for _ in range(DRAIN_MAX_BATCHES):
        with transaction.atomic():
            batch = _claim_waiting_events(settings.OMNIDESK_INBOUND_BATCH_SIZE)
            _process_in_order(batch)
        processed += len(batch)
        if len(batch) < settings.OMNIDESK_INBOUND_BATCH_SIZE:
            break
    else:
        schedule_drain()
    if processed > 1:
        cache.set(DRAIN_BUSY_KEY, 1, timeout=DRAIN_BUSY_SECONDS)
    elif processed == 1:
        cache.delete(DRAIN_BUSY_KEY)
    return processed


_INFRASTRUCTURE_ERRORS = (OperationalError, InterfaceError)


def process_inbound_event(*, event_id: int) -> str | None:
    """Turn a stored event into domain changes, exactly once, and with it the other
    events waiting behind it (up to `OMNIDESK_INBOUND_BATCH_SIZE` in all).

    The event row is locked for the whole transaction, so two workers given the same
    event serialise and the second sees it processed. The waiting events are taken with
    SKIP LOCKED, so workers draining a backlog share it instead of queueing on each
    other; their own tasks then find them processed. Bad data marks an event failed
    with the error (re-processable by an admin); infrastructure errors propagate so the
    task retries and the events stay pending. Returns the event's status afterwards
    (None for an unknown id).
    """
    status = InboundEvent.objects.filter(pk=event_id).values_list("status", flat=True).first()
    if status != InboundEvent.Status.PENDING:
        # Already processed (by a batch, or a redelivered task): a plain read, no lock,
        # no write, so a drained backlog's remaining tasks cost almost nothing.
        return status
    with transaction.atomic():
        event = (
            InboundEvent.objects.select_for_update(of=("self",))
            .select_related("endpoint")
            .filter(pk=event_id)
            .first()
        )
        if event is None or event.status != InboundEvent.Status.PENDING:
            return event.status if event else None
        waiting = _claim_waiting_events(
            settings.OMNIDESK_INBOUND_BATCH_SIZE - 1, other_than=event.pk
        )
        _process_in_order(sorted([event, *waiting], key=lambda e: e.pk))
    return event.status


def _claim_waiting_events(limit: int, *, other_than: int | None = None) -> list[InboundEvent]:
    """Lock up to `limit` waiting events, oldest first, skipping those another worker
    holds. Events waiting for something else (RetryLater) are left to the sweep."""
    if limit < 1:
        return []
    waiting = (
        InboundEvent.objects.select_for_update(of=("self",), skip_locked=True)
        .defer("raw")  # the provider's payload: kept for audits, not needed here
        .filter(status=InboundEvent.Status.PENDING, error="")
        .exclude(pk=other_than)
        .order_by("id")[:limit]
    )
    events = list(waiting)
    # One load per endpoint of the batch (a batch has a handful), not one per event.
    endpoints = ChannelEndpoint.objects.in_bulk({event.endpoint_id for event in events})
    for event in events:
        event.endpoint = endpoints[event.endpoint_id]
    return events


def _process_in_order(events: list[InboundEvent]) -> None:
    """Runs of plain messages (a run may be one message) go through the batch path;
    anything else, one by one, in between, so every customer's messages keep their
    order."""
    run: list[tuple[InboundEvent, InboundMessage]] = []
    for event in events:
        inbound = _batchable_message(event)
        if inbound is not None:
            run.append((event, inbound))
            continue
        _process_run(run)
        run = []
        _process_one(event)
    _process_run(run)


def _batchable_message(event: InboundEvent) -> InboundMessage | None:
    if event.kind != "message":
        return None
    try:
        inbound = InboundMessage.from_json(event.message)
    except (TypeError, ValueError, KeyError):
        return None  # the one-by-one path records the error
    batchable = inbound_batch.can_receive_in_batch(inbound, endpoint_kind=event.endpoint.kind)
    return inbound if batchable else None


def _process_run(run: list[tuple[InboundEvent, InboundMessage]]) -> None:
    if not run:
        return
    try:
        with transaction.atomic():
            messages = inbound_batch.receive_messages(
                [
                    inbound_batch.InboundItem(
                        endpoint=event.endpoint,
                        inbound=inbound,
                        received_at=event.received_at,
                        inbound_event=event,
                    )
                    for event, inbound in run
                ]
            )
    except _INFRASTRUCTURE_ERRORS:
        raise
    except Exception as exc:
        # One bad message must not fail its neighbours: the batch's savepoint is gone,
        # so each event gets its own chance (and its own error). Bad data is expected;
        # anything else is a bug worth a traceback.
        expected = isinstance(exc, ApplicationError)
        logger.log(
            logging.INFO if expected else logging.WARNING,
            "inbound batch failed, processing its events one by one",
            exc_info=not expected,
        )
        for event, _ in run:
            _process_one(event)
        return
    InboundEvent.objects.filter(pk__in=[event.pk for event, _ in run]).update(
        status=InboundEvent.Status.PROCESSED,
        attempts=F("attempts") + 1,
        error="",
        processed_at=timezone.now(),
    )
    metrics.observe_inbound_processed(received_at=[event.received_at for event, _ in run])
    placement.announce_placements(zip((event for event, _ in run), messages, strict=True))
    for event, _ in run:
        event.status, event.attempts, event.error = (
            InboundEvent.Status.PROCESSED,
            event.attempts + 1,
            "",
        )


def _process_one(event: InboundEvent) -> None:
    """Process one locked, pending event under its own savepoint and record the outcome."""
    event.attempts += 1
    handler = EVENT_HANDLERS.get(event.kind)
    try:
        if handler is None:
            raise ApplicationError(f"No handler for inbound event kind '{event.kind}'.")
        with transaction.atomic():
            outcome = handler(event)
    except _INFRASTRUCTURE_ERRORS:
        raise
    except RetryLater as exc:
        # Stays pending; the stranded-work sweep offers it again later.
        event.error = str(exc)
        event.save(update_fields=["attempts", "error"])
        return
    except (ApplicationError, DatabaseError, ValueError, TypeError, KeyError) as exc:
        event.status = InboundEvent.Status.FAILED
        event.error = _describe(exc)
        logger.warning(
            "inbound event failed",
            extra={
                "endpoint": event.endpoint.key,
                "provider_id": event.provider_id,
                "error": event.error,
            },
        )
    else:
        event.status = InboundEvent.Status.PROCESSED
        event.error = ""
        if isinstance(outcome, Message) and event.kind == "message":
            placement.announce_placements([(event, outcome)])
    event.processed_at = timezone.now()
    event.save(update_fields=["status", "attempts", "error", "processed_at"])
    metrics.observe_inbound_processed(received_at=[event.received_at])


def _describe(exc: Exception) -> str:
    if isinstance(exc, ApplicationError):
        details = "; ".join(
            f"{field}: {', '.join(map(str, errors))}" for field, errors in exc.fields.items()
        )
        return f"{exc.message} {details}".strip()
    return f"{type(exc).__name__}: {exc}"


def reprocess_events(*, event_ids: list[int]) -> int:
    """Put failed events back in the queue (after a fix), returns how many."""
    with transaction.atomic():
        ids = list(
            InboundEvent.objects.filter(
                pk__in=event_ids, status=InboundEvent.Status.FAILED
            ).values_list("pk", flat=True)
        )
        InboundEvent.objects.filter(pk__in=ids).update(status=InboundEvent.Status.PENDING, error="")
        transaction.on_commit(lambda: enqueue_processing(ids), robust=True)
    return len(ids)


def enqueue_processing(event_ids: list[int]) -> None:
    from intake.tasks import process_inbound_event  # the task module imports this one

    for event_id in event_ids:
        process_inbound_event.delay(event_id)
