from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models

from omnidesk.crypto import EncryptedJSONField


def new_endpoint_key() -> str:
    return secrets.token_urlsafe(12)


class ChannelEndpoint(models.Model):
    """One connected inbox: an email address, a Twilio number, a WhatsApp number..."""

    class Kind(models.TextChoices):
        API = "api", "API"
        EMAIL = "email", "Email"
        SMS = "sms", "SMS and voice (Twilio)"
        WHATSAPP = "whatsapp", "WhatsApp"
        MESSENGER = "messenger", "Messenger"
        INSTAGRAM = "instagram", "Instagram"
        TELEGRAM = "telegram", "Telegram"
        WEBCHAT = "webchat", "Web chat"
        WEBFORM = "webform", "Web form"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    name = models.CharField(max_length=200)
    key = models.SlugField(max_length=64, unique=True, default=new_endpoint_key, editable=False)
    config = models.JSONField(default=dict, blank=True, help_text="Non-secret settings.")
    credentials = EncryptedJSONField(
        default=dict, blank=True, help_text="Provider secrets, encrypted at rest."
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"


class EndpointGrant(models.Model):
    """An integration user (`channels_app.add_inboundevent`) may post inbound messages to
    this API endpoint. `trusted_for_identity`: the integration attests who its senders
    are (its own users, behind its own login), so their `from` identities are proven and
    join existing customers; otherwise they are only claimed."""

    endpoint = models.ForeignKey(
        ChannelEndpoint,
        on_delete=models.CASCADE,
        related_name="grants",
        db_index=False,  # leads the unique (endpoint, user) index
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="endpoint_grants"
    )
    trusted_for_identity = models.BooleanField(
        default=False,
        help_text=(
            "The integration vouches for its senders' email, phone and id: its messages join "
            "the customers who own them. Leave off for anything a stranger can type into."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "user"], name="endpoint_grant_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.endpoint}"


class InboundEvent(models.Model):
    """A provider delivery, stored before it is processed, unique per provider id."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        PROCESSED = "processed", "Processed"
        FAILED = "failed", "Failed"

    endpoint = models.ForeignKey(
        ChannelEndpoint,
        on_delete=models.PROTECT,
        related_name="events",
        db_index=False,  # leads the unique (endpoint, provider_id) index
    )
    provider_id = models.CharField(max_length=255)
    kind = models.CharField(max_length=32, default="message")
    raw = models.JSONField(default=dict, help_text="The provider's payload, as received.")
    message = models.JSONField(default=dict, help_text="The normalised inbound message.")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "provider_id"], name="inbound_event_unique_provider_id"
            )
        ]
        indexes = [
            # The stranded-work sweep reads only pending events, oldest first.
            models.Index(
                fields=["received_at"],
                condition=models.Q(status="pending"),
                name="inbound_event_pending_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.endpoint_id}:{self.provider_id} ({self.status})"
