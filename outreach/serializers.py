from __future__ import annotations

from rest_framework import serializers

from omnidesk.text_input import NUL_REFUSED, contains_nul
from outreach.models import BulkSend, Notification, NotificationTemplate, ScheduledReply


class NotificationTemplateSerializer(serializers.ModelSerializer):
    channel_kinds = serializers.ListField(
        child=serializers.CharField(max_length=16), required=False, default=list
    )
    whatsapp_parameters = serializers.ListField(
        child=serializers.CharField(max_length=64), required=False, default=list
    )

    class Meta:
        model = NotificationTemplate
        fields = [
            "id",
            "key",
            "locale",
            "channel_kinds",
            "subject",
            "body",
            "whatsapp_template_name",
            "whatsapp_language",
            "whatsapp_parameters",
            "approved",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]


class NotificationCreateSerializer(serializers.Serializer):
    customer = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    template = serializers.SlugField(max_length=64, required=False, allow_blank=True, default="")
    text = serializers.CharField(
        required=False, allow_blank=True, default="", trim_whitespace=False
    )
    variables = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=2000), required=False, default=dict
    )
    channel = serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        default="",
        help_text="An endpoint key; empty: the customer's preferred or most recent channel.",
    )
    locale = serializers.CharField(max_length=16, required=False, allow_blank=True, default="")
    send_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class NotificationSerializer(serializers.ModelSerializer):
    template = serializers.SlugRelatedField(slug_field="key", read_only=True)
    channel = serializers.SlugRelatedField(source="endpoint", slug_field="key", read_only=True)
    channel_kind = serializers.CharField(source="endpoint.kind", read_only=True, default=None)
    conversation = serializers.IntegerField(
        source="message.conversation_id", read_only=True, default=None
    )

    class Meta:
        model = Notification
        fields = [
            "id",
            "customer",
            "template",
            "text",
            "variables",
            "channel",
            "channel_kind",
            "status",
            "skip_reason",
            "detail",
            "send_at",
            "message",
            "conversation",
            "bulk",
            "created_at",
            "processed_at",
        ]
        read_only_fields = fields


class BulkSendCreateSerializer(serializers.Serializer):
    file = serializers.FileField(
        required=False, help_text="CSV: a customer id, email or phone number per row."
    )
    customers = serializers.ListField(
        child=serializers.CharField(max_length=320),
        required=False,
        max_length=100_000,
        help_text="Customer ids, emails or phone numbers.",
    )
    filter = serializers.JSONField(
        required=False, help_text='A customer filter: {"tag", "language", "attributes"}.'
    )
    template = serializers.SlugField(max_length=64, required=False, allow_blank=True, default="")
    text = serializers.CharField(required=False, allow_blank=True, default="")
    variables = serializers.JSONField(required=False, default=dict)
    send_at = serializers.DateTimeField(required=False, allow_null=True, default=None)

    def validate_variables(self, value):
        if not isinstance(value, dict) or not all(
            isinstance(v, str | int | float) for v in value.values()
        ):
            raise serializers.ValidationError("An object of text values.")
        if contains_nul(value):
            raise serializers.ValidationError(NUL_REFUSED)
        return {str(k): str(v) for k, v in value.items()}

    def validate_filter(self, value):
        if not isinstance(value, dict):
            raise serializers.ValidationError("An object.")
        if contains_nul(value):
            raise serializers.ValidationError(NUL_REFUSED)
        return value

    def validate(self, attrs):
        given = [name for name in ("file", "customers", "filter") if attrs.get(name) is not None]
        if len(given) != 1:
            raise serializers.ValidationError(
                {"customers": ["Give exactly one of file, customers and filter."]}
            )
        return attrs


class BulkSendSerializer(serializers.ModelSerializer):
    template = serializers.CharField(source="template_key", read_only=True)

    class Meta:
        model = BulkSend
        fields = [
            "id",
            "status",
            "template",
            "text",
            "source",
            "total",
            "processed",
            "scheduled",
            "skipped",
            "missing",
            "unmatched",
            "created_at",
            "updated_at",
            "finished_at",
        ]
        read_only_fields = fields


class ScheduledReplyCreateSerializer(serializers.Serializer):
    text = serializers.CharField(trim_whitespace=False)
    send_at = serializers.DateTimeField()
    kind = serializers.ChoiceField(choices=ScheduledReply.Kind.choices, default="reply")
    endpoint = serializers.CharField(
        max_length=64, required=False, allow_blank=True, default="", help_text="Endpoint key."
    )


class ScheduledReplySerializer(serializers.ModelSerializer):
    endpoint = serializers.SlugRelatedField(slug_field="key", read_only=True)

    class Meta:
        model = ScheduledReply
        fields = [
            "id",
            "conversation",
            "author",
            "kind",
            "text",
            "endpoint",
            "send_at",
            "status",
            "error",
            "message",
            "created_at",
            "sent_at",
            "cancelled_at",
        ]
        read_only_fields = fields
