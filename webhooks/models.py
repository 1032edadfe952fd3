"""Outgoing webhooks: who is told what (subscriptions), what was to be told (one
delivery per event and subscription) and each try at telling it (attempts)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone

from omnidesk.crypto import EncryptedJSONField


class WebhookSubscription(models.Model):
    url = models.URLField(max_length=2000)
    events = ArrayField(models.CharField(max_length=64), help_text="Event types sent here.")
    description = models.CharField(max_length=500, blank=True)
    # {"secret": "whsec_..."}, encrypted at rest like endpoints' credentials.
    credentials = EncryptedJSONField(editable=False)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    consecutive_failures = models.PositiveIntegerField(
        default=0, help_text="Deliveries that failed for good since the last success."
    )
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["is_active"], name="webhook_sub_active", condition=models.Q(is_active=True)
            )
        ]

    def __str__(self) -> str:
        return f"Webhook #{self.pk} to {self.url}"

    @property
    def secret(self) -> str:
        return str(self.credentials.get("secret", ""))


class WebhookDelivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"
        SENDING = "sending"  # claimed by a worker
        RETRYING = "retrying"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_id = models.CharField(
        max_length=64, help_text="The webhook-id: the same for every attempt and replay."
    )
    event_type = models.CharField(max_length=64)
    payload = models.JSONField()
    attempts = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "event_id"], name="webhook_delivery_one_per_event"
            )
        ]
        indexes = [
            models.Index(fields=["subscription", "-created_at"], name="webhook_delivery_recent"),
            models.Index(
                fields=["next_attempt_at"],
                name="webhook_delivery_due",
                condition=models.Q(status__in=["pending", "retrying", "sending"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id} to webhook #{self.subscription_id}"


class WebhookAttempt(models.Model):
    delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log"
    )
    at = models.DateTimeField(default=timezone.now)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    response_excerpt = models.TextField(blank=True, help_text="The first kilobyte of the answer.")
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"Attempt at {self.at:%Y-%m-%d %H:%M:%S}: {self.status_code or self.error}"
