from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
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
            "attributes",
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
    text = serializers.CharField(
        allow_blank=True,
        required=False,
        default="",
        trim_whitespace=False,
        help_text="The message; may be empty when `files` carry the reply.",
    )
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
    files = serializers.ListField(
        child=serializers.FileField(allow_empty_file=False, use_url=False),
        required=False,
        max_length=20,
        help_text=(
            "Files to send with a reply (multipart/form-data, one `files` part each), "
            "within the channel's size and type limits (a 400 names each file the channel "
            "cannot carry)."
        ),
    )

    def validate(self, attrs: dict) -> dict:
        if not attrs.get("text", "").strip() and not attrs.get("files"):
            raise serializers.ValidationError({"text": ["Give a text, files, or both."]})
        if attrs.get("files") and attrs.get("private"):
            raise serializers.ValidationError({"files": ["Files go with replies, not notes."]})
        return attrs


class SplitConversationSerializer(serializers.Serializer):
    message = serializers.IntegerField(
        help_text="The message that starts the new conversation; every later one moves too."
    )


class MergeConversationSerializer(serializers.Serializer):
    into = serializers.IntegerField(
        help_text="The conversation that goes on; this one's messages move into it."
    )


MAX_ID = 2**63 - 1  # PostgreSQL's bigint


@extend_schema_field(
    {
        "oneOf": [{"type": "integer", "minimum": 1}, {"type": "string", "enum": ["me"]}],
        "nullable": True,
    }
)
class _IdOrMeField(serializers.Field):
    """A user id, "me" (the caller) or null (nobody)."""

    default_error_messages = {"invalid": 'A user id, "me" or null.'}

    def to_internal_value(self, data: object) -> int | str:
        if data == "me":
            return "me"
        if isinstance(data, bool):
            self.fail("invalid")
        try:
            number = int(data)
        except (TypeError, ValueError):
            self.fail("invalid")
        if not 1 <= number <= MAX_ID or str(number) != str(data).strip():
            self.fail("invalid")
        return number

    def to_representation(self, value: object) -> object:
        return value


class ConversationChangeSerializer(serializers.Serializer):
    """The changes of `PATCH /api/v1/conversations/{id}/`: every field optional; those
    given are applied together or not at all."""

    status = serializers.ChoiceField(choices=Conversation.Status.choices, required=False)
    snoozed_until = serializers.DateTimeField(
        required=False,
        allow_null=True,
        help_text='With status "snoozed": when it wakes up (a future time).',
    )
    assignee = _IdOrMeField(
        required=False,
        allow_null=True,
        help_text='A user id, "me", or null to unassign. Must be an agent who may work on '
        "the conversation (a member of the teams that see it).",
    )
    team = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=MAX_ID,
        help_text="A team id, or null for none.",
    )
    priority = serializers.ChoiceField(choices=Conversation.Priority.choices, required=False)
    tags = serializers.ListField(
        child=serializers.CharField(max_length=64, allow_blank=False),
        required=False,
        max_length=50,
        help_text="Replaces the tags (unknown tags are created).",
    )
    attributes = serializers.DictField(
        required=False,
        help_text="Custom attributes to set, typed by their definitions "
        "(`/api/v1/attribute-definitions/`); null clears one, keys not given stay.",
    )

    def validate(self, attrs: dict) -> dict:
        if "snoozed_until" in attrs and attrs.get("status") != Conversation.Status.SNOOZED:
            raise serializers.ValidationError({"snoozed_until": ['Only with status "snoozed".']})
        return attrs


class BulkChangeSerializer(ConversationChangeSerializer):
    """One action for every conversation of a bulk request."""

    tags = None
    tags_add = serializers.ListField(
        child=serializers.CharField(max_length=64, allow_blank=False),
        required=False,
        max_length=50,
    )
    tags_remove = serializers.ListField(
        child=serializers.CharField(max_length=64, allow_blank=False),
        required=False,
        max_length=50,
    )

    def validate(self, attrs: dict) -> dict:
        attrs = super().validate(attrs)
        actions = {key for key in attrs if key != "snoozed_until"}
        if {"tags_add", "tags_remove"} & actions:
            actions = (actions - {"tags_add", "tags_remove"}) | {"tags"}
        if len(actions) != 1:
            raise serializers.ValidationError(
                "Give exactly one action: status, assignee, team, priority, "
                "tags_add/tags_remove, or attributes."
            )
        return attrs


BULK_LIMIT = 500


class BulkRequestSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        required=False,
        min_length=1,
        max_length=BULK_LIMIT,
        help_text=f"The conversations to change (at most {BULK_LIMIT}).",
    )
    filter = serializers.DictField(
        required=False,
        help_text=(
            "Instead of `ids`: the list's filters (status, priority, assignee, team, "
            f"channel, tag, q); refused when more than {BULK_LIMIT} conversations match."
        ),
    )
    action = BulkChangeSerializer()

    def validate(self, attrs: dict) -> dict:
        if ("ids" in attrs) == ("filter" in attrs):
            raise serializers.ValidationError('Give either "ids" or "filter".')
        return attrs


class BulkItemErrorSerializer(serializers.Serializer):
    message = serializers.CharField()
    fields = serializers.DictField()


class BulkItemResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    ok = serializers.BooleanField()
    error = BulkItemErrorSerializer(allow_null=True)
    previous = serializers.DictField(
        required=False,
        help_text="When changed: its status (and snoozed_until), assignee, team, priority "
        "and tags before, as a PATCH body that undoes the action.",
    )


class BulkResultSerializer(serializers.Serializer):
    results = BulkItemResultSerializer(many=True)
