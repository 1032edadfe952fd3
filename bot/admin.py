from django.contrib import admin

from bot.models import BotSession


@admin.register(BotSession)
class BotSessionAdmin(admin.ModelAdmin):
    list_display = ["conversation_id", "channel", "state", "handoff_reason", "started_at"]
    list_filter = ["state", "channel"]
    readonly_fields = [f.name for f in BotSession._meta.fields]
