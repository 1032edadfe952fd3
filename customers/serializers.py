from __future__ import annotations

from rest_framework import serializers

from customers.models import Customer, ExternalRecord, Identity, MergeSuggestion


class IdentitySerializer(serializers.ModelSerializer):
    class Meta:
        model = Identity
        fields = ["id", "kind", "value", "proof", "created_at"]


class ExternalRecordSerializer(serializers.ModelSerializer):
    class Meta:
        model = ExternalRecord
        fields = ["id", "source", "kind", "external_id", "title", "url", "data", "updated_at"]


class CustomerSerializer(serializers.ModelSerializer):
    identities = IdentitySerializer(many=True, read_only=True)

    class Meta:
        model = Customer
        fields = [
            "id",
            "name",
            "language",
            "attributes",
            "tags",
            "identities",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "identities", "created_at", "updated_at"]


class CustomerDetailSerializer(CustomerSerializer):
    external_records = ExternalRecordSerializer(many=True, read_only=True)

    class Meta(CustomerSerializer.Meta):
        fields = [*CustomerSerializer.Meta.fields, "external_records"]


class MergeRequestSerializer(serializers.Serializer):
    source = serializers.IntegerField(help_text="Customer merged away into the one in the URL.")


class MergeSuggestionSerializer(serializers.ModelSerializer):
    customer_name = serializers.CharField(source="customer.__str__", read_only=True)
    other_name = serializers.CharField(source="other.__str__", read_only=True)

    class Meta:
        model = MergeSuggestion
        fields = [
            "id",
            "customer",
            "customer_name",
            "other",
            "other_name",
            "reason",
            "status",
            "created_at",
            "decided_by",
        ]
        read_only_fields = fields


class AcceptSuggestionSerializer(serializers.Serializer):
    keep = serializers.IntegerField(
        required=False,
        help_text="The customer that stays (one of the two named); by default the older one.",
    )
