"""The durable inbound pipeline and outbound delivery (DESIGN.md, "The inbound path")."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, InterfaceError, OperationalError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from channels_app.adapters import get_adapter
from channels_app.models import ChannelEndpoint, InboundEvent
from channels_app.types import DeliveryError, InboundMessage, OutboundMessage
from conversations import services as conversation_services
from conversations.models import Message
from conversations.services import inbound_batch
from omnidesk.errors import ApplicationError

logger = logging.getLogger(__name__)

MAX_DELIVERY_ATTEMPTS = 8
# A message stuck in "sending" this long belonged to a worker that died mid-send.
SENDING_STALE_AFTER = timedelta(minutes=15)


@dataclass(frozen=True)
class Accepted:
    event: InboundEvent
    created: bool


def accept_inbound(
    *, endpoint: ChannelEndpoint, messages: list[InboundMessage], raw: dict[str, Any] | None = None
) -> list[Accepted]:
    """Store each message as an `InboundEvent` and enqueue processing after commit.

    Idempotent: a provider id already stored for this endpoint is not stored again
    nor re-enqueued. Nothing here calls a provider or does the domain work, so a
    webhook answers in milliseconds.
    """
    if len(messages) == 1:
        # One INSERT commits on its own (or joins the caller's transaction): no BEGIN and
        # COMMIT round trips around it.
        results = [_store_event_once(endpoint, messages[0], raw or {})]
    else:
        with transaction.atomic():
            results = [_store_event_once(endpoint, message, raw or {}) for message in messages]
    if any(result.created for result in results):
        # After commit (at once when there is no transaction around us). robust: a broker
        # outage must not fail the request; the sweep re-enqueues.
        transaction.on_commit(schedule_drain, robust=True)
    return results


def _store_event_once(
    endpoint: ChannelEndpoint, message: InboundMessage, raw: dict[str, Any]
) -> Accepted:
    """One `INSERT ... ON CONFLICT DO NOTHING RETURNING` (PostgreSQL and SQLite): the hot
    path's only write, and a replayed provider id costs one more SELECT, no error."""
    event = InboundEvent(
        endpoint=endpoint,
        provider_id=message.provider_id,
        kind=message.kind,
        raw=raw,
        message=message.to_json(),
        received_at=timezone.now(),
    )
    names = ["endpoint", "provider_id", "kind", "raw", "message", "status", "attempts", "error"]
    fields = [InboundEvent._meta.get_field(name) for name in [*names, "received_at"]]
    columns = [field.column for field in fields]
    values = [field.get_db_prep_save(getattr(event, field.attname), connection) for field in fields]
    table = connection.ops.quote_name(InboundEvent._meta.db_table)
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608 (names from the model)
        f"VALUES ({', '.join(['%s'] * len(columns))}) "
        "ON CONFLICT (endpoint_id, provider_id) DO NOTHING RETURNING id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        row = cursor.fetchone()
    if row is not None:
        event.pk = row[0]
        return Accepted(event=event, created=True)
    existing = InboundEvent.objects.get(endpoint=endpoint, provider_id=message.provider_id)
    return Accepted(event=existing, created=False)


def _enqueue_processing(event_ids: list[int]) -> None:
    from channels_app.tasks import process_inbound_event

    for event_id in event_ids:
        process_inbound_event.delay(event_id)


DRAIN_SCHEDULED_KEY = "inbound:drain-scheduled"
# Past this, a drain that never started (a lost task) no longer stops new ones.
DRAIN_SCHEDULED_SECONDS = 10
# A drain hands over to a fresh task after this many batches, so one task never runs long.
DRAIN_MAX_BATCHES = 50


def schedule_drain() -> None:
    """Make sure a drain task is queued. One waiting drain takes every event stored
    before it starts, so while one waits, accepting more events queues nothing more: a
    burst costs one cache write per event instead of one task each."""
    from channels_app.tasks import drain_inbound_events

    if cache.add(DRAIN_SCHEDULED_KEY, 1, timeout=DRAIN_SCHEDULED_SECONDS):
        try:
            drain_inbound_events.delay()
        except Exception:
            # No drain is queued after all: let the next event try again.
            cache.delete(DRAIN_SCHEDULED_KEY)
            raise


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
            return processed
    schedule_drain()
    return processed


class RetryLater(Exception):
    """The event arrived before what it refers to (a status before the send is recorded);
    keep it pending for the sweep to retry."""


# Handlers per event kind; adapters that deliver other kinds (status callbacks,
# call records) register theirs here.
EventHandler = Callable[[InboundEvent], Any]
EVENT_HANDLERS: dict[str, EventHandler] = {}


def _handle_message(event: InboundEvent) -> Message:
    message = conversation_services.receive_message(
        endpoint=event.endpoint,
        inbound=InboundMessage.from_json(event.message),
        inbound_event=event,
        received_at=event.received_at,
    )
    if settings.OMNIDESK_FETCH_INBOUND_MEDIA and any(
        item.get("url") for item in event.message.get("attachments", ())
    ):
        message_id = message.pk
        transaction.on_commit(lambda: _enqueue_media_fetch(message_id), robust=True)
    return message


def _enqueue_media_fetch(message_id: int) -> None:
    from channels_app.tasks import fetch_inbound_media

    fetch_inbound_media.delay(message_id)


EVENT_HANDLERS["message"] = _handle_message
EVENT_HANDLERS["call"] = _handle_message

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
    return inbound if inbound_batch.can_receive_in_batch(inbound) else None


def _process_run(run: list[tuple[InboundEvent, InboundMessage]]) -> None:
    if not run:
        return
    try:
        with transaction.atomic():
            inbound_batch.receive_messages(
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
            handler(event)
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
    event.processed_at = timezone.now()
    event.save(update_fields=["status", "attempts", "error", "processed_at"])


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
        transaction.on_commit(lambda: _enqueue_processing(ids), robust=True)
    return len(ids)


# --- Outbound -------------------------------------------------------------------------


@dataclass(frozen=True)
class DeliveryOutcome:
    status: str
    retry_in: float | None = None


def retry_backoff_seconds(attempt: int) -> float:
    """30 s, 60 s, 2 min ... capped at one hour (under the broker's visibility timeout)."""
    return float(min(30 * 2 ** max(attempt - 1, 0), 3600))


def deliver_message(*, message_id: int) -> DeliveryOutcome:
    """Send one queued outbound message through its channel's adapter.

    The message is claimed (queued -> sending) with a conditional UPDATE, so two workers
    given the same message never both send it. Temporary errors leave it queued with a
    retry time; permanent ones (or too many attempts) mark it failed with the reason.
    """
    endpoint_kind = (
        Message.objects.filter(pk=message_id).values_list("endpoint__kind", flat=True).first()
    )
    # Looked up before the claim, so a broken adapter module leaves the message queued.
    adapter = get_adapter(endpoint_kind) if endpoint_kind else None
    claimed = Message.objects.filter(
        pk=message_id,
        direction=Message.Direction.OUTBOUND,
        delivery_status=Message.DeliveryStatus.QUEUED,
    ).update(delivery_status=Message.DeliveryStatus.SENDING, next_attempt_at=None)
    if not claimed:
        return DeliveryOutcome(status="skipped")
    message = Message.objects.select_related("endpoint", "conversation__customer").get(
        pk=message_id
    )
    message.delivery_attempts += 1
    message.save(update_fields=["delivery_attempts"])
    if adapter is None:
        conversation_services.mark_message_failed(
            message=message,
            error=f"No adapter for the {message.endpoint.get_kind_display()} channel is installed.",
        )
        return DeliveryOutcome(status="failed")
    try:
        result = adapter.send(build_outbound(message), message.endpoint)
    except DeliveryError as exc:
        return _delivery_failed(message, str(exc), permanent=exc.permanent)
    except NotImplementedError:
        return _delivery_failed(message, "This channel cannot send replies yet.", permanent=True)
    except (
        Exception
    ) as exc:  # an adapter bug or an unexpected network error: retry, keep the reason
        logger.exception("adapter send crashed", extra={"message_id": message.pk})
        return _delivery_failed(message, f"{type(exc).__name__}: {exc}", permanent=False)
    conversation_services.mark_message_sent(
        message=message,
        provider_message_id=result.provider_message_id,
        email_message_id=result.email_message_id,
    )
    return DeliveryOutcome(status="sent")


def _delivery_failed(message: Message, error: str, *, permanent: bool) -> DeliveryOutcome:
    if permanent or message.delivery_attempts >= MAX_DELIVERY_ATTEMPTS:
        conversation_services.mark_message_failed(message=message, error=error)
        return DeliveryOutcome(status="failed")
    delay = retry_backoff_seconds(message.delivery_attempts)
    conversation_services.schedule_delivery_retry(
        message=message, error=error, retry_at=timezone.now() + timedelta(seconds=delay)
    )
    return DeliveryOutcome(status="queued", retry_in=delay)


def build_outbound(message: Message) -> OutboundMessage:
    return OutboundMessage(
        message_id=message.pk,
        idempotency_key=f"omnidesk-message-{message.pk}",
        to=message.metadata.get("to", ""),
        text=message.text,
        subject=message.subject,
        html=message.html,
        sender_name=message.sender_name,
        in_reply_to=message.email_in_reply_to,
        references=tuple(message.email_references.split()),
        attachments=tuple(
            {
                "filename": a.filename,
                "content_type": a.content_type,
                "path": a.file.name,
                "url": a.remote_url,
            }
            for a in message.attachments.all()
        ),
        metadata={
            "conversation_id": message.conversation_id,
            # Lets an adapter whose provider has no idempotency key check, on a retry,
            # whether an earlier attempt got through before sending again.
            "attempt": message.delivery_attempts,
            "created_at": message.created_at.isoformat(),
            **(
                {"template": message.metadata["template"]}
                if message.metadata.get("template")
                else {}
            ),
        },
    )


# --- The sweep: nothing accepted is ever stranded ---------------------------------------


@dataclass(frozen=True)
class SweepResult:
    inbound_events: int
    outbound_messages: int


def sweep_stranded_work(*, limit: int = 1000) -> SweepResult:
    """Re-enqueue work whose enqueue may have been lost between commit and broker.

    Inbound events pending longer than the threshold; outbound messages queued longer
    than the threshold whose retry time (if any) has passed; messages stuck in
    `sending` after a worker crash go back to queued. Processing is idempotent, so an
    event enqueued twice is still processed once.
    """
    now = timezone.now()
    cutoff = now - timedelta(seconds=settings.OMNIDESK_STRANDED_AFTER_SECONDS)
    event_ids = list(
        InboundEvent.objects.filter(status=InboundEvent.Status.PENDING, received_at__lt=cutoff)
        .order_by("received_at")
        .values_list("pk", flat=True)[:limit]
    )
    Message.objects.filter(
        delivery_status=Message.DeliveryStatus.SENDING,
        direction=Message.Direction.OUTBOUND,
        created_at__lt=now - SENDING_STALE_AFTER,
    ).update(delivery_status=Message.DeliveryStatus.QUEUED)
    message_ids = list(
        Message.objects.filter(
            delivery_status=Message.DeliveryStatus.QUEUED,
            direction=Message.Direction.OUTBOUND,
        )
        .filter(
            Q(next_attempt_at__isnull=True, created_at__lt=cutoff) | Q(next_attempt_at__lte=now)
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    _enqueue_processing(event_ids)
    for message_id in message_ids:
        conversation_services._enqueue_delivery(message_id)
    if event_ids or message_ids:
        logger.info(
            "sweep re-enqueued work", extra={"events": len(event_ids), "messages": len(message_ids)}
        )
    return SweepResult(inbound_events=len(event_ids), outbound_messages=len(message_ids))


def validate_identities(identities: dict[str, str], *, field_prefix: str = "") -> None:
    """Raise an ApplicationError naming each invalid identity field (e.g. `from.email`)."""
    from customers.services import normalize_claims

    names = {"external": "external_id"}
    try:
        normalize_claims(identities)
    except ApplicationError as exc:
        raise ApplicationError(
            exc.message,
            fields={
                f"{field_prefix}{names.get(kind, kind)}": errors
                for kind, errors in exc.fields.items()
            },
        )


# Handlers of the other event kinds register themselves on import.
from channels_app.services import webhooks  # noqa: E402, F401
