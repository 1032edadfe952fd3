"""Accepting what a door received: one stored `InboundEvent` per message, and a drain
scheduled after commit. The only work a webhook request does (DESIGN.md, "The inbound
path")."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from channels_app.models import ChannelEndpoint, InboundEvent
from channels_app.types import InboundMessage
from customers.attributes import split_valid_attributes
from customers.models import AttributeDefinition
from customers.services import normalize_claims
from omnidesk.errors import ApplicationError


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
    messages = [_with_checked_attributes(message) for message in messages]
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


def _with_checked_attributes(message: InboundMessage) -> InboundMessage:
    """The customer attributes a door brings, typed by their definitions. A door never
    loses a message for an attribute: a bad one is dropped and named in the stored
    message (`metadata.rejected_attributes`). No query unless the message has some."""
    if not message.attributes:
        return message
    kept, rejected = split_valid_attributes(
        applies_to=AttributeDefinition.AppliesTo.CUSTOMER, values=message.attributes
    )
    if not rejected and kept == message.attributes:
        return message
    metadata = message.metadata
    if rejected:
        metadata = {**message.metadata, "rejected_attributes": rejected}
    return replace(message, attributes=kept, metadata=metadata)


def _store_event_once(
    endpoint: ChannelEndpoint, message: InboundMessage, raw: dict[str, Any]
) -> Accepted:
    """One `INSERT ... ON CONFLICT DO NOTHING RETURNING`: the hot path's only write, and a
    replayed provider id costs one more SELECT, no error."""
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


DRAIN_SCHEDULED_KEY = "inbound:drain-scheduled"
# Past this, a drain that never started (a lost task) no longer stops new ones.
DRAIN_SCHEDULED_SECONDS = 10
# A drain hands over to a fresh task after this many batches, so one task never runs long.
DRAIN_MAX_BATCHES = 50


# Set by a drain that found more than one message: the desk is busy, the next drain
# lingers (OMNIDESK_INBOUND_DRAIN_LINGER_MS) to take a bigger batch.
DRAIN_BUSY_KEY = "inbound:drain-busy"
DRAIN_BUSY_SECONDS = 2


def schedule_drain() -> None:
    """Make sure a drain task is queued. One waiting drain takes every event stored
    before it starts, so while one waits, accepting more events queues nothing more: a
    burst costs one cache write per event instead of one task each. Under load the drain
    starts a moment later, so it takes more at once."""
    from intake.tasks import drain_inbound_events  # the task module imports this one

    if cache.add(DRAIN_SCHEDULED_KEY, 1, timeout=DRAIN_SCHEDULED_SECONDS):
        linger = settings.OMNIDESK_INBOUND_DRAIN_LINGER_MS / 1000
        try:
            if linger > 0 and cache.get(DRAIN_BUSY_KEY):
                drain_inbound_events.apply_async(countdown=linger)
            else:
                drain_inbound_events.delay()
        except Exception:
            # No drain is queued after all: let the next event try again.
            cache.delete(DRAIN_SCHEDULED_KEY)
            raise


def validate_identities(identities: dict[str, str], *, field_prefix: str = "") -> None:
    """Raise an ApplicationError naming each invalid identity field (e.g. `from.email`)."""
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
