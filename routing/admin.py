from django.contrib import admin

from routing.models import AgentProfile, Team


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "assignment_strategy"]
    list_filter = ["assignment_strategy"]
    search_fields = ["name"]
    filter_horizontal = ["members", "endpoints"]


@admin.register(AgentProfile)
class AgentProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "capacity", "presence"]
    list_filter = ["role", "presence"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    raw_id_fields = ["user"]
