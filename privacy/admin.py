from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from privacy import services
from privacy.models import Anonymisation, CustomerErasure, RetentionPolicy


def _report(candidates: list, verb: str) -> str:
    return (
        "; ".join(
            f"{c.policy.name}: {verb} {len(c.conversation_ids)} conversations,"
            f" {c.messages} messages, {c.attachments} attachments ({c.attachment_bytes} bytes)"
            for c in candidates
        )
        or "No active retention policy."
    )


@admin.register(RetentionPolicy)
class RetentionPolicyAdmin(admin.ModelAdmin):
    list_display = ["name", "endpoint", "team", "anonymise_after_days", "is_active"]
    list_filter = ["is_active"]
    actions = ["dry_run", "apply_now"]

    @admin.action(description="Dry run: what these policies would anonymise now")
    def dry_run(self, request: HttpRequest, queryset: QuerySet) -> None:
        ids = list(queryset.values_list("pk", flat=True))
        candidates = services.apply_retention(dry_run=True, policy_ids=ids)
        self.message_user(request, _report(candidates, "would anonymise"))

    @admin.action(description="Apply these policies now")
    def apply_now(self, request: HttpRequest, queryset: QuerySet) -> None:
        ids = list(queryset.values_list("pk", flat=True))
        candidates = services.apply_retention(dry_run=False, policy_ids=ids)
        self.message_user(request, _report(candidates, "anonymised"), messages.SUCCESS)


@admin.register(Anonymisation)
class AnonymisationAdmin(admin.ModelAdmin):
    list_display = ["conversation_id", "reason", "policy", "anonymised_at"]
    list_filter = ["reason"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(CustomerErasure)
class CustomerErasureAdmin(admin.ModelAdmin):
    list_display = ["customer_id", "erased_at", "erased_by_id"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
