"""Reads of outgoing webhooks. Managing them is for admins only (the API's permission
checks that before any of these run)."""

from __future__ import annotations

import time

from django.db.models import Prefetch, QuerySet

from omnidesk.errors import NotFoundError
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription

# Every domain moment asks whether anyone subscribed to it: a process keeps the answer
# this long instead of querying each time. A subscription made in this process applies at
# once (`forget_subscribed_types`); one made in another process, within this time.
SUBSCRIBED_TYPES_SECONDS = 2.0
_subscribed_types: tuple[float, frozenset[str]] | None = None


def subscribed_types() -> frozenset[str]:
    """The event types at least one active subscription asked for."""
    global _subscribed_types
    now = time.monotonic()
    if _subscribed_types is None or now - _subscribed_types[0] > SUBSCRIBED_TYPES_SECONDS:
        types = WebhookSubscription.objects.filter(is_active=True).values_list("events", flat=True)
        _subscribed_types = (now, frozenset(t for events in types for t in events))
    return _subscribed_types[1]


def forget_subscribed_types(**_signal: object) -> None:
    global _subscribed_types
    _subscribed_types = None


def subscriptions() -> QuerySet[WebhookSubscription]:
    return WebhookSubscription.objects.order_by("pk")


def recent_deliveries(*, subscription: WebhookSubscription) -> QuerySet[WebhookDelivery]:
    """The subscription's deliveries, newest first, each with its attempts."""
    return (
        WebhookDelivery.objects.filter(subscription=subscription)
        .order_by("-created_at", "-pk")
        .prefetch_related(
            Prefetch("attempt_log", queryset=WebhookAttempt.objects.order_by("at", "pk"))
        )
    )


def delivery_of(*, subscription: WebhookSubscription, delivery_id: int) -> WebhookDelivery:
    delivery = WebhookDelivery.objects.filter(pk=delivery_id, subscription=subscription).first()
    if delivery is None:
        raise NotFoundError("Delivery not found.")
    return delivery
