"""Writes of outgoing webhooks: subscriptions, the deliveries an event makes, sending
one delivery (Standard Webhooks signatures) and what follows its answer.

Retries: a delivery that does not get a 2xx is tried again after 30 s, then after twice
as long each time up to one hour: 30 s, 1, 2, 4, 8, 16, 32 min, then hourly. With
`OMNIDESK_WEBHOOK_MAX_ATTEMPTS` = 31 that is 7 doubling waits (63.5 min) and 23 hourly
ones, about 24 hours from the first attempt to the last (`retry_delay`). A subscription
whose deliveries failed for good `DISABLE_AFTER_FAILED_DELIVERIES` times in a row, with
no success between, is disabled and the admins are told by email.
"""

from __future__ import annotations

import base64
import json
import logging
import secrets
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from channels_app.outbound_targets import (
    CALLBACK_SECRET_PREFIX,
    AllowedNetworks,
    RefusedTarget,
    callback_signature_headers,
    check_url,
    checked_opener,
)
from omnidesk.errors import ApplicationError
from webhooks import selectors
from webhooks.events import EVENT_TYPES
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription

logger = logging.getLogger(__name__)

WEBHOOK_TARGETS = AllowedNetworks("OMNIDESK_WEBHOOK_ALLOWED_NETWORKS")
FIRST_RETRY_SECONDS = 30
LONGEST_RETRY_SECONDS = 3600
DISABLE_AFTER_FAILED_DELIVERIES = 5
SEND_TIMEOUT_SECONDS = 10
EXCERPT_BYTES = 1024
# A claimed delivery whose worker died is tried again after this long.
SENDING_LEASE = timedelta(minutes=5)
# A new delivery whose enqueue was lost after commit is picked up by the sweep then.
STRANDED_AFTER = timedelta(minutes=1)

Status = WebhookDelivery.Status


def new_webhook_secret() -> str:
    return CALLBACK_SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def retry_delay(attempts: int) -> timedelta:
    """How long after its `attempts`-th failed attempt a delivery is tried again."""
    seconds = FIRST_RETRY_SECONDS * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, LONGEST_RETRY_SECONDS))


# --- Subscriptions ------------------------------------------------------------------------


def check_subscription_fields(*, url: str | None, events: Sequence[str] | None) -> None:
    if events is not None:
        unknown = sorted(set(events) - set(EVENT_TYPES))
        if unknown or not events:
            raise ApplicationError(
                "Unknown event types." if unknown else "Name at least one event type.",
                fields={"events": [f"Unknown: {', '.join(unknown)}." if unknown else "Required."]}
                | {"valid_events": list(EVENT_TYPES)},
            )
    if url is not None:
        try:
            check_url(url, allowed=WEBHOOK_TARGETS)
        except RefusedTarget as exc:
            raise ApplicationError(str(exc), fields={"url": [str(exc)]}) from exc


def create_subscription(
    *, url: str, events: Sequence[str], description: str, created_by: AbstractBaseUser | None
) -> WebhookSubscription:
    """A new subscription with a new secret (`subscription.secret`: shown to its creator
    once). Refuses unknown event types and targets that are not public addresses unless
    their network is in `OMNIDESK_WEBHOOK_ALLOWED_NETWORKS`."""
    check_subscription_fields(url=url, events=events)
    return WebhookSubscription.objects.create(
        url=url,
        events=sorted(set(events)),
        description=description,
        credentials={"secret": new_webhook_secret()},
        created_by=created_by,
    )


def update_subscription(
    *,
    subscription: WebhookSubscription,
    url: str | None = None,
    events: Sequence[str] | None = None,
    description: str | None = None,
    is_active: bool | None = None,
) -> WebhookSubscription:
    """Change what an admin may change; turning it back on clears the failure streak."""
    check_subscription_fields(url=url, events=events)
    with transaction.atomic():
        subscription = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
        if url is not None:
            subscription.url = url
        if events is not None:
            subscription.events = sorted(set(events))
        if description is not None:
            subscription.description = description
        if is_active is not None and is_active != subscription.is_active:
            subscription.is_active = is_active
            subscription.consecutive_failures = 0
            subscription.disabled_at = None if is_active else timezone.now()
            subscription.disabled_reason = "" if is_active else "Turned off by an admin."
        subscription.save()
    return subscription


def delete_subscription(*, subscription: WebhookSubscription) -> None:
    subscription.delete()


# --- Events -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    type: str
    data: Callable[[], dict[str, Any]]  # called once, only when somebody subscribed
    at: datetime | None = None


def announce(*events: Event) -> list[int]:
    """Make one delivery of each event for every active subscription that asked for its
    type (one webhook-id per event, shared by its deliveries); they are sent after
    commit. No query when nobody subscribed to these types (`subscribed_types`).
    Returns the deliveries' ids."""
    types_wanted = {event.type for event in events} & selectors.subscribed_types()
    if not types_wanted:
        return []
    wanted: dict[str, list[int]] = {}
    for subscription_id, types in (
        WebhookSubscription.objects.filter(is_active=True, events__overlap=sorted(types_wanted))
        .order_by("pk")
        .values_list("pk", "events")
    ):
        for event_type in types:
            wanted.setdefault(event_type, []).append(subscription_id)
    now = timezone.now()
    deliveries: list[WebhookDelivery] = []
    for event in events:
        subscription_ids = wanted.get(event.type)
        if not subscription_ids:
            continue
        payload = {
            "type": event.type,
            "timestamp": (event.at or now).isoformat(),
            "data": event.data(),
        }
        event_id = f"msg_{uuid.uuid4().hex}"
        deliveries += [
            WebhookDelivery(
                subscription_id=subscription_id,
                event_id=event_id,
                event_type=event.type,
                payload=payload,
                created_at=now,
                next_attempt_at=now + STRANDED_AFTER,
            )
            for subscription_id in subscription_ids
        ]
    if not deliveries:
        return []
    delivery_ids = [delivery.pk for delivery in WebhookDelivery.objects.bulk_create(deliveries)]
    transaction.on_commit(lambda: enqueue_deliveries(delivery_ids), robust=True)
    return delivery_ids


def enqueue_deliveries(delivery_ids: Sequence[int]) -> None:
    from webhooks.tasks import deliver_webhook  # the task module imports this one

    for delivery_id in delivery_ids:
        deliver_webhook.delay(delivery_id)


def replay_delivery(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send the delivery again, with the same webhook-id and body (its log keeps the
    earlier attempts). Precondition: the caller may manage webhooks."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update()
            .select_related("subscription")
            .get(pk=delivery.pk)
        )
        if not delivery.subscription.is_active:
            raise ApplicationError(
                "This webhook is disabled: turn it on before replaying.", status_code=409
            )
        if delivery.status == Status.SENDING:
            raise ApplicationError("This delivery is being sent right now.", status_code=409)
        delivery.status = Status.PENDING
        delivery.next_attempt_at = timezone.now() + STRANDED_AFTER
        delivery.save(update_fields=["status", "next_attempt_at"])
        delivery_id = delivery.pk
        transaction.on_commit(lambda: enqueue_deliveries([delivery_id]), robust=True)
    return delivery


# --- Sending --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    status_code: int | None
    excerpt: str
    error: str
    duration_ms: int

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def deliver(*, delivery_id: int) -> str:
    """Make one attempt at a delivery; returns its status afterwards ("skipped" when it
    was not due or another worker holds it).

    The delivery is claimed with a conditional UPDATE (due, and pending, retrying or a
    sending whose worker's lease ran out), so two workers given the same delivery never
    both send it, and a task run twice sends once.
    """
    now = timezone.now()
    claimed = (
        WebhookDelivery.objects.filter(pk=delivery_id)
        .filter(
            Q(status=Status.PENDING)
            | Q(status__in=[Status.RETRYING, Status.SENDING], next_attempt_at__lte=now)
        )
        .update(
            status=Status.SENDING, next_attempt_at=now + SENDING_LEASE, attempts=F("attempts") + 1
        )
    )
    if not claimed:
        return "skipped"
    delivery = WebhookDelivery.objects.select_related("subscription").get(pk=delivery_id)
    subscription = delivery.subscription
    if not subscription.is_active:
        WebhookDelivery.objects.filter(pk=delivery_id).update(
            status=Status.FAILED, next_attempt_at=None
        )
        return Status.FAILED
    answer = _post(delivery, subscription)
    return _record_answer(delivery, answer)


def _post(delivery: WebhookDelivery, subscription: WebhookSubscription) -> Answer:
    body = json.dumps(delivery.payload, separators=(",", ":")).encode()
    headers = callback_signature_headers(
        secret=subscription.secret,
        webhook_id=delivery.event_id,
        timestamp=int(time.time()),
        body=body,
    )
    request = urllib.request.Request(  # noqa: S310 -- check_url allows http(s) only
        subscription.url,
        data=body,
        method="POST",
        headers={**headers, "Content-Type": "application/json", "User-Agent": "Omnidesk-Webhooks"},
    )
    started = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        check_url(subscription.url, allowed=WEBHOOK_TARGETS)
        with checked_opener(allowed=WEBHOOK_TARGETS).open(
            request, timeout=SEND_TIMEOUT_SECONDS
        ) as response:
            excerpt = response.read(EXCERPT_BYTES)
            return Answer(response.status, _text(excerpt), "", elapsed())
    except urllib.error.HTTPError as exc:
        excerpt = exc.read(EXCERPT_BYTES) if exc.fp else b""
        return Answer(exc.code, _text(excerpt), "", elapsed())
    except RefusedTarget as exc:
        return Answer(None, "", str(exc)[:500], elapsed())
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return Answer(None, "", f"{type(exc).__name__}: {reason}"[:500], elapsed())


def _text(excerpt: bytes) -> str:
    return excerpt.decode("utf-8", errors="replace").replace("\x00", "")


def _record_answer(delivery: WebhookDelivery, answer: Answer) -> str:
    now = timezone.now()
    with transaction.atomic():
        WebhookAttempt.objects.create(
            delivery=delivery,
            at=now,
            status_code=answer.status_code,
            duration_ms=answer.duration_ms,
            response_excerpt=answer.excerpt,
            error=answer.error,
        )
        if answer.succeeded:
            delivery.status = Status.SUCCEEDED
            delivery.next_attempt_at = None
            WebhookSubscription.objects.filter(
                pk=delivery.subscription_id, consecutive_failures__gt=0
            ).update(consecutive_failures=0)
        elif delivery.attempts >= settings.OMNIDESK_WEBHOOK_MAX_ATTEMPTS:
            delivery.status = Status.FAILED
            delivery.next_attempt_at = None
            _count_failed_delivery(delivery.subscription_id)
        else:
            delivery.status = Status.RETRYING
            delivery.next_attempt_at = now + retry_delay(delivery.attempts)
        delivery.save(update_fields=["status", "next_attempt_at"])
    logger.info(
        "webhook attempt",
        extra={
            "delivery_id": delivery.pk,
            "subscription_id": delivery.subscription_id,
            "status_code": answer.status_code,
            "attempt": delivery.attempts,
        },
    )
    return delivery.status


def _count_failed_delivery(subscription_id: int) -> None:
    subscription = WebhookSubscription.objects.select_for_update().get(pk=subscription_id)
    subscription.consecutive_failures += 1
    subscription.save(update_fields=["consecutive_failures"])
    if subscription.is_active and (
        subscription.consecutive_failures >= DISABLE_AFTER_FAILED_DELIVERIES
    ):
        subscription.is_active = False
        subscription.disabled_at = timezone.now()
        subscription.disabled_reason = (
            f"{subscription.consecutive_failures} deliveries in a row failed after "
            f"{settings.OMNIDESK_WEBHOOK_MAX_ATTEMPTS} attempts each."
        )
        subscription.save(update_fields=["is_active", "disabled_at", "disabled_reason"])
        transaction.on_commit(lambda: _tell_admins_disabled(subscription.pk), robust=True)


def _tell_admins_disabled(subscription_id: int) -> None:
    subscription = WebhookSubscription.objects.get(pk=subscription_id)
    recipients = list(
        get_user_model()
        .objects.filter(Q(is_superuser=True) | Q(agent_profile__role="admin"), is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
        .distinct()
    )
    if not recipients:
        logger.warning(
            "webhook disabled, no admin to tell", extra={"subscription_id": subscription_id}
        )
        return
    send_mail(
        subject=f"Webhook #{subscription.pk} was disabled",
        message=(
            f"The webhook to {subscription.url} was disabled: {subscription.disabled_reason}\n"
            "Fix the receiver, then turn the webhook on again in the admin or with "
            f'PATCH /api/v1/webhooks/{subscription.pk}/ {{"is_active": true}}; '
            "failed deliveries can be replayed from its delivery log."
        ),
        from_email=None,
        recipient_list=recipients,
    )


def sweep_due_deliveries(*, limit: int = 1000) -> int:
    """Enqueue deliveries whose retry time has come, whose worker died (lease over) or
    whose first enqueue was lost; the claim makes a spare enqueue harmless."""
    due = list(
        WebhookDelivery.objects.filter(
            status__in=[Status.PENDING, Status.RETRYING, Status.SENDING],
            next_attempt_at__lte=timezone.now(),
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    enqueue_deliveries(due)
    return len(due)
