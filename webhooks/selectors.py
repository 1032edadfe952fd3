"""Reads of outgoing webhooks. Managing them is for admins only (the API's permission
checks that before any of these run)."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from omnidesk.errors import NotFoundError
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription


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
