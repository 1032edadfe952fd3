from __future__ import annotations

from rest_framework import serializers

from conversations.models import Attachment, Conversation, Message


class AttachmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Attachment
        fields = ["id", "filename", "content_type", "size", "remote_url"]


class MessageSerializer(serializers.ModelSerializer):
    author = serializers.SlugRelatedField(slug_field="username", read_only=True)
    attachments = AttachmentSerializer(many=True, read_only=True)
    endpoint = serializers.SlugRelatedField(slug_field="key", read_only=True)

    class Meta:
        model = Message
        fields = [
            "id",
            "conversation",
            "direction",
            "kind",
            "channel",
            "endpoint",
            "author",
            "sender_name",
            "subject",
            "text",
            "html",
            "delivery_status",
            "delivery_error",
            "attachments",
            "created_at",
            "sent_at",
        ]


class ConversationSerializer(serializers.ModelSerializer):
    assignee = serializers.SlugRelatedField(slug_field="username", read_only=True)
    assignee_id = serializers.IntegerField(read_only=True)
    endpoint = serializers.SlugRelatedField(slug_field="key", read_only=True)
    tags = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    participants = serializers.SlugRelatedField(
        slug_field="address",
        many=True,
        read_only=True,
        help_text="Others on the email thread (a colleague of the customer), copied on replies.",
    )

    class Meta:
        model = Conversation
        fields = [
            "id",
            "customer",
            "customer_name",
            "participants",
            "endpoint",
            "team",
            "assignee",
            "assignee_id",
            "subject",
            "status",
            "priority",
            "tags",
            "last_channel",
            "last_message_at",
            "last_message_preview",
            "waiting_since",
            "first_response_at",
            "resolved_at",
            "snoozed_until",
            "first_response_due_at",
            "next_response_due_at",
            "resolution_due_at",
            "created_at",
        ]


class PostMessageSerializer(serializers.Serializer):
    text = serializers.CharField(allow_blank=False, trim_whitespace=False)
    private = serializers.BooleanField(default=False, help_text="A private note, never sent.")
    endpoint = serializers.CharField(
        required=False,
        help_text="Key of the endpoint to reply on; defaults to the latest inbound channel.",
    )
    subject = serializers.CharField(required=False, allow_blank=True, default="")
    template = serializers.DictField(
        required=False,
        help_text=(
            "An approved provider template to send instead of free text, e.g. WhatsApp "
            '{"name": "order_update", "language": "en_US", "components": [...]}; '
            "`text` is then the preview agents see."
        ),
    )


class SplitConversationSerializer(serializers.Serializer):
    message = serializers.IntegerField(
        help_text="The message that starts the new conversation; every later one moves too."
    )


class MergeConversationSerializer(serializers.Serializer):
    into = serializers.IntegerField(
        help_text="The conversation that goes on; this one's messages move into it."
    )
