from django.contrib import admin

from customers.models import Customer, ExternalRecord, Identity, MergeSuggestion


class IdentityInline(admin.TabularInline):
    model = Identity
    extra = 0
    fields = ["kind", "value", "proof", "created_at"]
    readonly_fields = ["created_at"]


class ExternalRecordInline(admin.TabularInline):
    model = ExternalRecord
    extra = 0


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "language", "merged_into", "created_at"]
    list_filter = ["language", ("merged_into", admin.EmptyFieldListFilter), "created_at"]
    search_fields = ["name", "identities__value"]
    inlines = [IdentityInline, ExternalRecordInline]
    raw_id_fields = ["merged_into"]


@admin.register(Identity)
class IdentityAdmin(admin.ModelAdmin):
    list_display = ["kind", "value", "customer", "proof", "created_at"]
    list_filter = ["kind", "proof"]
    search_fields = ["value", "customer__name"]
    raw_id_fields = ["customer"]


@admin.register(ExternalRecord)
class ExternalRecordAdmin(admin.ModelAdmin):
    list_display = ["source", "kind", "external_id", "title", "customer", "updated_at"]
    list_filter = ["source", "kind"]
    search_fields = ["external_id", "title", "customer__name"]
    raw_id_fields = ["customer"]


@admin.register(MergeSuggestion)
class MergeSuggestionAdmin(admin.ModelAdmin):
    list_display = ["customer", "other", "reason", "status", "created_at"]
    list_filter = ["status"]
    raw_id_fields = ["customer", "other", "decided_by"]
