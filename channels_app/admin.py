from django import forms
from django.conf import settings
from django.contrib import admin
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from channels_app.models import ChannelEndpoint, EndpointGrant
from channels_app.outbound_targets import endpoint_problems
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
        help_texts = {
            "config": (
                "Non-secret settings as JSON (docs/channels.md). Email: trusted_authserv_id "
                "names the receiving server whose Authentication-Results prove a sender "
                "(none: IMAP senders are only claimed; docs/email-authenticity.md)."
            )
        }

    def clean(self) -> dict:
        """Refuse, with the reason, what would make the desk connect where it should not
        or send unsigned callbacks (`outbound_targets.endpoint_problems`)."""
        cleaned = super().clean()
        credentials = cleaned.get("new_credentials") or (
            self.instance.credentials if self.instance.pk else {}
        )
        problems = endpoint_problems(
            kind=cleaned.get("kind") or "",
            config=cleaned.get("config") or {},
            credentials=credentials if isinstance(credentials, dict) else {},
        )
        for field, messages in problems.items():
            for message in messages:
                self.add_error(field, message)
        return cleaned

    def save(self, commit: bool = True) -> ChannelEndpoint:
        endpoint = super().save(commit=False)
        if self.cleaned_data.get("new_credentials"):
            endpoint.credentials = self.cleaned_data["new_credentials"]
        if commit:
            endpoint.save()
        return endpoint


class EndpointGrantInline(admin.TabularInline):
    """Which integration users may post to this API endpoint, and whether it vouches for
    who their senders are (`EndpointGrant`)."""

    model = EndpointGrant
    extra = 0
    fields = ["user", "trusted_for_identity", "created_at"]
    readonly_fields = ["created_at"]
    autocomplete_fields = ["user"]
    verbose_name = "integration allowed to post here"
    verbose_name_plural = "integrations allowed to post here (API endpoints)"


@admin.register(ChannelEndpoint)
class ChannelEndpointAdmin(admin.ModelAdmin):
    form = EndpointForm
    list_display = ["name", "kind", "key", "is_active", "webhook"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "key"]
    readonly_fields = ["key", "webhook", "stored_credentials"]

    def get_inlines(self, request, obj: ChannelEndpoint | None) -> list:
        # Only the generic API channel is posted to with an integration's token.
        return [EndpointGrantInline] if obj and obj.kind == ChannelEndpoint.Kind.API else []

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
