from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest

from omnidesk.errors import ApplicationError
from webhooks import services
from webhooks.models import WebhookDelivery, WebhookSubscription


class DeliveryInline(admin.TabularInline):
    model = WebhookDelivery
    fields = ["created_at", "event_type", "event_id", "status", "attempts", "next_attempt_at"]
    readonly_fields = fields
    ordering = ["-created_at"]
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = False

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).order_by("-created_at")


class SubscriptionForm(forms.ModelForm):
    class Meta:
        model = WebhookSubscription
        fields = ["url", "events", "description", "is_active"]

    def clean(self) -> dict:
        cleaned = super().clean()
        try:
            services.check_subscription_fields(url=cleaned.get("url"), events=cleaned.get("events"))
        except ApplicationError as exc:
            raise forms.ValidationError(exc.message) from exc
        return cleaned


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    form = SubscriptionForm
    list_display = ["id", "url", "is_active", "consecutive_failures", "disabled_at"]
    list_filter = ["is_active"]
    fields = [
        "url",
        "events",
        "description",
        "is_active",
        "created_by",
        "created_at",
        "consecutive_failures",
        "disabled_at",
        "disabled_reason",
    ]
    readonly_fields = [
        "created_by",
        "created_at",
        "consecutive_failures",
        "disabled_at",
        "disabled_reason",
    ]
    inlines = [DeliveryInline]

    def save_model(self, request, obj: WebhookSubscription, form, change: bool) -> None:
        """Through the services, so the checks (event types, private targets) hold here
        too; a new subscription's secret is shown once, in a message."""
        if change:
            services.update_subscription(
                subscription=obj,
                url=obj.url,
                events=obj.events,
                description=obj.description,
                is_active=obj.is_active,
            )
            obj.refresh_from_db()
            return
        created = services.create_subscription(
            url=obj.url, events=obj.events, description=obj.description, created_by=request.user
        )
        obj.pk = created.pk
        obj.refresh_from_db()
        self.message_user(
            request,
            f"The secret of this webhook (shown once): {created.secret}",
            level=messages.WARNING,
        )
