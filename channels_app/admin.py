from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from channels_app import services
from channels_app.models import ChannelEndpoint, InboundEvent
from channels_app.selectors import webhook_urls


class EndpointForm(forms.ModelForm):
    new_credentials = forms.JSONField(
        required=False,
        help_text=(
            "Provider secrets as JSON, named as the provider names them. "
            "Leave empty to keep the stored ones."
        ),
    )

    class Meta:
        model = ChannelEndpoint
        fields = ["kind", "name", "config", "is_active"]

    def save(self, commit: bool = True) -> ChannelEndpoint:
        endpoint = super().save(commit=False)
        if self.cleaned_data.get("new_credentials"):
            endpoint.credentials = self.cleaned_data["new_credentials"]
        if commit:
            endpoint.save()
        return endpoint


@admin.register(ChannelEndpoint)
class ChannelEndpointAdmin(admin.ModelAdmin):
    form = EndpointForm
    list_display = ["name", "kind", "key", "is_active", "webhook"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "key"]
    readonly_fields = ["key", "webhook", "stored_credentials"]

    @admin.display(description="Webhook URL")
    def webhook(self, endpoint: ChannelEndpoint) -> str:
        if not endpoint.pk:
            return "-"
        return format_html_join(
            mark_safe("<br>"),
            "{}: <code>{}</code>",
            webhook_urls(endpoint, base=settings.OMNIDESK_PUBLIC_URL),
        )

    @admin.display(description="Stored credentials")
    def stored_credentials(self, endpoint: ChannelEndpoint) -> str:
        if not endpoint.credentials:
            return "none"
        return ", ".join(
            f"{name}: ••••{str(value)[-2:]}" for name, value in sorted(endpoint.credentials.items())
        )


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
