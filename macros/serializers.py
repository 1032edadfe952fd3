from __future__ import annotations

from rest_framework import serializers

from macros.models import Macro

ACTIONS_HELP = (
    "The actions, in order: reply {text}, note {text} (texts take variables such as "
    "{{customer.first_name}}, {{agent.name}}, {{conversation.id}}), add_tags / remove_tags "
    '{tags}, assign {assignee: user id, "me" or null}, assign_team {team: id or null}, '
    "status {status, snooze_minutes with snoozed}, priority {priority: 0-3}."
)


class MacroSerializer(serializers.ModelSerializer):
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True)
    actions = serializers.JSONField(help_text=ACTIONS_HELP)

    class Meta:
        model = Macro
        fields = ["id", "name", "visibility", "team", "owner", "actions", "updated_at"]
        read_only_fields = ["id", "owner", "updated_at"]


class MacroWriteSerializer(serializers.Serializer):
    """The fields a macro is created with (PATCH: any of them)."""

    name = serializers.CharField(max_length=200)
    visibility = serializers.ChoiceField(
        choices=Macro.Visibility.choices, default=Macro.Visibility.PERSONAL
    )
    team = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=2**63 - 1,
        help_text="The team a team macro is shared with (one of yours).",
    )
    actions = serializers.JSONField(help_text=ACTIONS_HELP)


class MacroRunSerializer(serializers.Serializer):
    conversation = serializers.IntegerField(min_value=1, max_value=2**63 - 1)


class StepPreviewSerializer(serializers.Serializer):
    type = serializers.CharField()
    description = serializers.CharField()
    text = serializers.CharField(help_text="A reply's or note's text with its variables filled.")
    unknown_variables = serializers.ListField(
        child=serializers.CharField(), help_text="Variables nobody knows, left as written."
    )
    empty_variables = serializers.ListField(
        child=serializers.CharField(), help_text="Variables with nothing to fill in here."
    )


class MacroPreviewSerializer(serializers.Serializer):
    macro = serializers.IntegerField()
    conversation = serializers.IntegerField()
    steps = StepPreviewSerializer(many=True)


class MacroRunResultSerializer(serializers.Serializer):
    macro = serializers.IntegerField()
    conversation = serializers.IntegerField()
    messages = serializers.ListField(
        child=serializers.IntegerField(), help_text="The reply and notes it wrote."
    )
    status = serializers.CharField()
    priority = serializers.IntegerField()
    assignee = serializers.IntegerField(allow_null=True)
    team = serializers.IntegerField(allow_null=True)
    tags = serializers.ListField(child=serializers.CharField())
