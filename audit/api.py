"""`GET /api/v1/audit/`: the audit log for supervisors, newest first, filtered."""

from __future__ import annotations

from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import generics, permissions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agents.roles import sees_everything
from audit import selectors
from audit.filters import AuditEntryFilter
from audit.models import AuditEntry
from omnidesk.pagination import KeysetCursorPagination
from omnidesk.text_input import refuse_nul_in_query


class IsSupervisor(permissions.BasePermission):
    message = "Only supervisors may read the audit log."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return sees_everything(request.user)


class AuditEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEntry
        fields = [
            "id",
            "created_at",
            "actor_kind",
            "actor_id",
            "actor_label",
            "action",
            "object_type",
            "object_id",
            "summary",
            "changes",
            "ip",
            "user_agent",
            "request_id",
        ]
        read_only_fields = fields


class AuditPagination(KeysetCursorPagination):
    ordering = ("-created_at", "-id")


ENTRY_EXAMPLE = OpenApiExample(
    "A status change",
    value={
        "id": 812,
        "created_at": "2026-11-30T10:15:02Z",
        "actor_kind": "user",
        "actor_id": 7,
        "actor_label": "alice",
        "action": "conversation.status",
        "object_type": "conversation",
        "object_id": "1042",
        "summary": "status of conversation #1042",
        "changes": {"from": "open", "to": "resolved"},
        "ip": "203.0.113.9",
        "user_agent": "Mozilla/5.0",
        "request_id": "5f0c1e9b8a7d4c3e9f1a2b3c4d5e6f70",
    },
    response_only=True,
)


class AuditLogView(generics.ListAPIView):
    """Who did what, when and from where: supervisors only. Filters: `actor` (a user id,
    a recorded name or 'system'), `actor_kind`, `action` (exact, or a prefix ending in
    '.'), `object_type`, `object_id`, `since` and `until` (ISO 8601), `q` (text)."""

    serializer_class = AuditEntrySerializer
    pagination_class = AuditPagination
    permission_classes = [permissions.IsAuthenticated, IsSupervisor]
    filter_backends = [DjangoFilterBackend]
    filterset_class = AuditEntryFilter

    def get_queryset(self) -> QuerySet[AuditEntry]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator, not a reader
            return AuditEntry.objects.none()
        refuse_nul_in_query(self.request.query_params)
        selectors.access_audit_log(user=self.request.user)
        return selectors.audit_entries()

    @extend_schema(examples=[ENTRY_EXAMPLE])
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)
