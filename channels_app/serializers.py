from __future__ import annotations

from django.conf import settings
from rest_framework import serializers

from channels_app.models import ChannelEndpoint


class EndpointSerializer(serializers.ModelSerializer):
    credentials = serializers.DictField(
        write_only=True, required=False, help_text="Provider secrets; never returned."
    )
    credential_names = serializers.SerializerMethodField()
    webhook_url = serializers.SerializerMethodField()

    class Meta:
        model = ChannelEndpoint
        fields = [
            "id",
            "kind",
            "name",
            "key",
            "config",
            "credentials",
            "credential_names",
            "is_active",
            "webhook_url",
            "created_at",
        ]
        read_only_fields = ["id", "key", "created_at"]

    def get_credential_names(self, endpoint: ChannelEndpoint) -> list[str]:
        return sorted(endpoint.credentials)

    def get_webhook_url(self, endpoint: ChannelEndpoint) -> str:
        from channels_app.selectors import webhook_url

        return webhook_url(endpoint, base=settings.OMNIDESK_PUBLIC_URL)


class InboundFromSerializer(serializers.Serializer):
    name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    email = serializers.CharField(required=False, allow_blank=True, max_length=320)
    phone = serializers.CharField(required=False, allow_blank=True, max_length=64)
    # An identity value holds 320 characters, of which the endpoint key takes up to 65.
    external_id = serializers.CharField(required=False, allow_blank=True, max_length=250)

    def validate(self, data: dict) -> dict:
        if not any(data.get(field) for field in ("email", "phone", "external_id")):
            raise serializers.ValidationError(
                "Give at least one of email, phone or external_id to identify the sender."
            )
        return data


class InboundSerializer(serializers.Serializer):
    """The generic API channel's message (DESIGN.md contracts)."""

    endpoint = serializers.CharField(max_length=64)
    id = serializers.CharField(max_length=255, help_text="Sender's message id, for idempotency.")
    text = serializers.CharField(trim_whitespace=False)
    subject = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)
    attributes = serializers.DictField(required=False, default=dict)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = InboundFromSerializer()
        return fields

    def validate_text(self, text: str) -> str:
        if not text.strip():
            raise serializers.ValidationError("This field may not be blank.")
        if len(text.encode()) > settings.OMNIDESK_MAX_TEXT_BYTES:
            raise serializers.ValidationError(f"At most {settings.OMNIDESK_MAX_TEXT_BYTES} bytes.")
        return text
