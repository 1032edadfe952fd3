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

    def validate_config(self, config: dict) -> dict:
        """`config.bot`: the knowledge-base bot's opt-in per endpoint (bot/services.py)."""
        bot = config.get("bot") if isinstance(config, dict) else None
        if bot is None:
            return config
        errors = []
        if not isinstance(bot, dict):
            errors.append("bot must be an object.")
        else:
            if not isinstance(bot.get("enabled", False), bool):
                errors.append("bot.enabled must be true or false.")
            threshold = bot.get("threshold", 0.3)
            if (
                isinstance(threshold, bool)
                or not isinstance(threshold, int | float)
                or not 0 <= threshold <= 1
            ):
                errors.append("bot.threshold must be a number from 0 to 1.")
            if bot.get("locale", "en") not in ("en", "es", "de", "fr", "pt"):
                errors.append("bot.locale must be one of en, es, de, fr, pt.")
        if errors:
            raise serializers.ValidationError(errors)
        return config

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
