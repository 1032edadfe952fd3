from __future__ import annotations

from rest_framework import serializers

from webhooks.events import EVENT_TYPES
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription


class SubscriptionSerializer(serializers.ModelSerializer):
    """A subscription as read: never its secret."""

    events = serializers.ListField(
        child=serializers.CharField(max_length=64),
        help_text=f"Event types to send: any of {', '.join(EVENT_TYPES)}.",
    )

    class Meta:
        model = WebhookSubscription
        fields = [
            "id",
            "url",
            "events",
            "description",
            "is_active",
            "created_at",
            "consecutive_failures",
            "disabled_at",
            "disabled_reason",
        ]
        read_only_fields = [
            "id",
            "created_at",
            "consecutive_failures",
            "disabled_at",
            "disabled_reason",
        ]


class SubscriptionCreateSerializer(serializers.Serializer):
    url = serializers.URLField(max_length=2000)
    events = serializers.ListField(child=serializers.CharField(max_length=64), allow_empty=False)
    description = serializers.CharField(
        max_length=500, required=False, allow_blank=True, default=""
    )


class SubscriptionUpdateSerializer(serializers.Serializer):
    url = serializers.URLField(max_length=2000, required=False)
    events = serializers.ListField(
        child=serializers.CharField(max_length=64), allow_empty=False, required=False
    )
    description = serializers.CharField(max_length=500, required=False, allow_blank=True)
    is_active = serializers.BooleanField(required=False)


class CreatedSubscriptionSerializer(SubscriptionSerializer):
    """The answer to a create: the only time the secret is shown."""

    secret = serializers.CharField(
        read_only=True, help_text="whsec_ and base64: verify signatures with it. Shown once."
    )

    class Meta(SubscriptionSerializer.Meta):
        fields = [*SubscriptionSerializer.Meta.fields, "secret"]


class AttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = ["at", "status_code", "duration_ms", "response_excerpt", "error"]


class DeliverySerializer(serializers.ModelSerializer):
    webhook_id = serializers.CharField(source="event_id", read_only=True)
    attempt_log = AttemptSerializer(many=True, read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "webhook_id",
            "event_type",
            "payload",
            "status",
            "attempts",
            "next_attempt_at",
            "created_at",
            "attempt_log",
        ]
