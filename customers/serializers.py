from __future__ import annotations

from rest_framework import serializers

from customers.models import Customer, ExternalRecord, Identity


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
