"""The stored inbound events, for operators: read them, re-process failed ones."""

from django.contrib import admin, messages

from channels_app.models import InboundEvent
from intake import services


@admin.register(InboundEvent)
class InboundEventAdmin(admin.ModelAdmin):
    list_display = ["id", "endpoint", "provider_id", "kind", "status", "attempts", "received_at"]
    list_filter = ["status", "kind", "endpoint"]
    search_fields = ["provider_id", "error"]
    readonly_fields = [f.name for f in InboundEvent._meta.fields]
    actions = ["reprocess"]

    @admin.action(description="Re-process the selected failed events")
    def reprocess(self, request, queryset) -> None:
        count = services.reprocess_events(event_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, f"{count} event(s) queued for processing.", messages.SUCCESS)
