from django import forms
from django.conf import settings
from django.contrib import admin
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from channels_app.models import ChannelEndpoint
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
