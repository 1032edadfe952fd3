from django.contrib import admin

from outreach.models import (
    BulkSend,
    ChannelOptOut,
    Notification,
    NotificationTemplate,
    ScheduledReply,
)


@admin.register(NotificationTemplate)
class NotificationTemplateAdmin(admin.ModelAdmin):
    list_display = ("key", "locale", "whatsapp_template_name", "approved", "updated_at")
    list_filter = ("locale", "approved")
    search_fields = ("key", "body")


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("id", "customer", "template", "endpoint", "status", "skip_reason", "send_at")
    list_filter = ("status", "skip_reason")
    raw_id_fields = ("customer", "message", "bulk", "created_by")
    readonly_fields = ("message", "processed_at", "created_at")


@admin.register(BulkSend)
class BulkSendAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "template_key",
        "source",
        "status",
        "total",
        "processed",
        "created_by",
        "created_at",
    )
    list_filter = ("status",)
    readonly_fields = ("unmatched", "recipient_ids", "next_offset", "processed")


@admin.register(ChannelOptOut)
class ChannelOptOutAdmin(admin.ModelAdmin):
    """Opt-outs are the customers' word: recorded by keyword or link, removed by START
    (or here, when a customer asks an agent to be contacted again)."""

    list_display = ("identity", "channel_kind", "source", "keyword", "created_at")
    list_filter = ("channel_kind", "source")
    search_fields = ("identity__value",)
    raw_id_fields = ("identity",)


@admin.register(ScheduledReply)
class ScheduledReplyAdmin(admin.ModelAdmin):
    list_display = ("id", "conversation", "author", "kind", "status", "send_at")
    list_filter = ("status", "kind")
    raw_id_fields = ("conversation", "author", "message", "cancelled_by")
