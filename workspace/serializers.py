from __future__ import annotations

from rest_framework import serializers

from customers.models import AttributeDefinition
from workspace.models import SavedView

MAX_ID = 2**63 - 1


class AttributeDefinitionSerializer(serializers.ModelSerializer):
    class Meta:
        model = AttributeDefinition
        fields = [
            "id",
            "key",
            "label",
            "type",
            "applies_to",
            "choices",
            "required",
            "editable_by",
            "position",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class AttributeDefinitionCreateSerializer(serializers.Serializer):
    key = serializers.CharField(
        max_length=64, help_text="Lower-case letters, digits and _ (the JSON key of values)."
    )
    label = serializers.CharField(max_length=200)
    type = serializers.ChoiceField(choices=AttributeDefinition.Type.choices)
    applies_to = serializers.ChoiceField(choices=AttributeDefinition.AppliesTo.choices)
    choices = serializers.ListField(
        child=serializers.CharField(max_length=200),
        required=False,
        max_length=100,
        help_text="The values of a choice attribute.",
    )
    required = serializers.BooleanField(required=False, default=False)
    editable_by = serializers.ChoiceField(
        choices=AttributeDefinition.EditableBy.choices,
        required=False,
        default=AttributeDefinition.EditableBy.AGENTS,
    )
    position = serializers.IntegerField(required=False, default=100, min_value=0, max_value=10**6)


class AttributeDefinitionUpdateSerializer(serializers.Serializer):
    """What may change: the key, type and kind of record are fixed."""

    label = serializers.CharField(max_length=200, required=False)
    choices = serializers.ListField(
        child=serializers.CharField(max_length=200), required=False, max_length=100
    )
    required = serializers.BooleanField(required=False)
    editable_by = serializers.ChoiceField(
        choices=AttributeDefinition.EditableBy.choices, required=False
    )
    position = serializers.IntegerField(required=False, min_value=0, max_value=10**6)


class SavedViewSerializer(serializers.ModelSerializer):
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True)
    count = serializers.SerializerMethodField(
        help_text="Conversations matching now (recounted at most every few seconds)."
    )
    inbox_url = serializers.SerializerMethodField(help_text="The inbox showing this view.")

    class Meta:
        model = SavedView
        fields = [
            "id",
            "name",
            "owner",
            "team",
            "filters",
            "position",
            "count",
            "inbox_url",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_count(self, view: SavedView) -> int:
        return self.context["counts"][view.pk]

    def get_inbox_url(self, view: SavedView) -> str:
        return self.context["urls"][view.pk]


class SavedViewWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    team = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=MAX_ID,
        help_text="Share with this team (one you belong to); null or absent: private.",
    )
    filters = serializers.JSONField(
        help_text=(
            "status, channel, tag, team (id or none), assignee (id, me or none), "
            "priority (0-3), sla (overdue or minutes), customer_attributes and "
            "conversation_attributes ({key: value}, typed by their definitions)."
        )
    )
    position = serializers.IntegerField(required=False, min_value=0, max_value=10**6)


class SavedViewUpdateSerializer(SavedViewWriteSerializer):
    name = serializers.CharField(max_length=100, required=False)
    filters = serializers.JSONField(required=False)
