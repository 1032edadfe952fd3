from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from audit.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: the log is append-only for everyone (a trigger enforces it in the
    database too)."""

    list_display = [
        "created_at",
        "actor_label",
        "actor_kind",
        "action",
        "object_type",
        "object_id",
        "summary",
        "ip",
    ]
    list_filter = ["action", "actor_kind", "object_type"]
    search_fields = ["summary", "actor_label", "object_id", "request_id"]
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in AuditEntry._meta.fields]
    actions = None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_active and request.user.is_staff
