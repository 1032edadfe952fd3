"""Outgoing webhooks in the admin: subscriptions (created and changed through the
services), their delivery log with each attempt (read-only), and replaying deliveries
with the service behind `POST /api/v1/webhooks/{id}/deliveries/{id}/replay/`."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from omnidesk.errors import ApplicationError
from webhooks import services
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription


class DeliveryInline(admin.TabularInline):
    model = WebhookDelivery
    fields = ["created_at", "event_type", "event_id", "status", "attempts", "next_attempt_at"]
    readonly_fields = fields
    ordering = ["-created_at"]
    extra = 0
    max_num = 0
    can_delete = False
    # Each delivery's page shows its attempts and can replay it.
    show_change_link = True

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).order_by("-created_at")


class AttemptInline(admin.TabularInline):
    """The delivery log: one row per try, as the receiver answered it."""

    model = WebhookAttempt
    fields = ["at", "status_code", "duration_ms", "error", "response_excerpt"]
    readonly_fields = fields
    ordering = ["at", "pk"]
    extra = 0
    max_num = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    """Read-only: a delivery changes only by being sent or replayed."""

    list_display = [
        "id",
        "subscription",
        "event_type",
        "event_id",
        "status",
        "attempts",
        "created_at",
        "next_attempt_at",
    ]
    list_filter = ["status", "event_type", "subscription"]
    list_select_related = ["subscription"]
    search_fields = ["event_id"]
    ordering = ["-created_at", "-pk"]
    fields = [
        "subscription",
        "event_type",
        "event_id",
        "status",
        "attempts",
        "created_at",
        "next_attempt_at",
        "payload",
    ]
    readonly_fields = fields
    inlines = [AttemptInline]
    actions = ["replay_selected"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # No delivery is edited by hand (its page is read-only); the change permission
        # on the model is what the replay action asks for.
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.action(description="Replay selected deliveries", permissions=["change"])
    def replay_selected(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        replayed = 0
        refused: list[str] = []
        for delivery in queryset.order_by("pk"):
            try:
                services.replay_delivery(delivery=delivery)
            except ApplicationError as exc:
                refused.append(f"#{delivery.pk}: {exc.message}")
            else:
                replayed += 1
        if replayed:
            self.message_user(
                request,
                f"{replayed} deliver{'y' if replayed == 1 else 'ies'} sent again, with the "
                "same webhook-id and body.",
                messages.SUCCESS,
            )
        if refused:
            self.message_user(request, "Not replayed: " + " ".join(refused), messages.ERROR)


class SubscriptionForm(forms.ModelForm):
    # A URL typed without a scheme is an https one (Django 6's default, asked for now).
    url = forms.URLField(max_length=2000, assume_scheme="https")

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
        "delivery_log",
    ]
    readonly_fields = [
        "created_by",
        "created_at",
        "consecutive_failures",
        "disabled_at",
        "disabled_reason",
        "delivery_log",
    ]
    inlines = [DeliveryInline]

    @admin.display(description="Delivery log")
    def delivery_log(self, obj: WebhookSubscription) -> str:
        if obj.pk is None:
            return "-"
        url = reverse("admin:webhooks_webhookdelivery_changelist")
        return format_html(
            '<a href="{}?subscription__id__exact={}">Every delivery, to filter and replay</a>',
            url,
            obj.pk,
        )

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
