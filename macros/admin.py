from django.contrib import admin

from macros.models import Macro


@admin.register(Macro)
class MacroAdmin(admin.ModelAdmin):
    list_display = ("name", "visibility", "team", "owner", "updated_at")
    list_filter = ("visibility", "team")
    search_fields = ("name",)
