"""Supervisor admin for routing: rules with condition and action rows, SLA policies with
escalations, business hours, teams and agents; a dry-run page and the audit log.

Forms validate in plain words; every save of a rule or policy is written to the audit
log (`RuleChange`)."""

from __future__ import annotations

from typing import Any
from zoneinfo import available_timezones

from django import forms
from django.contrib import admin
from django.db.models import Count, Model, QuerySet
from django.forms.models import BaseModelFormSet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone

from agents.models import (
    AgentChannelCapacity,
    AgentProfile,
    BusinessHours,
    BusinessHoursInterval,
    Holiday,
    Team,
)
from channels_app.models import ChannelEndpoint
from conversations.models import Conversation
from customers.attributes import attribute_types
from omnidesk.errors import ApplicationError
from routing import rules as rule_logic
from routing.dry_run import SampleMessage, dry_run_rules
from routing.models import (
    EscalationRule,
    RoutingRule,
    RuleAction,
    RuleChange,
    RuleCondition,
    SlaPolicy,
)
from routing.services.audit import record_deletions, record_save
from routing.services.settings_changed import settings_changed

# --- Audit --------------------------------------------------------------------------------------


class AuditedAdmin(admin.ModelAdmin):
    """Every save and delete lands in the routing audit log (`RuleChange`)."""

    audit_type = "routing rule"

    def save_related(
        self,
        request: HttpRequest,
        form: forms.ModelForm,
        formsets: list[BaseModelFormSet],
        change: bool,
    ) -> None:
        # Runs last on both the change form and list-editable saves, after the inline rows.
        super().save_related(request, form, formsets, change)
        record_save(
            actor=request.user,
            object_type=self.audit_type,
            instance=form.instance,
            created=not change,
            changed_fields=form.changed_data,
            rows=formsets,
        )

    def log_deletions(self, request: HttpRequest, queryset: QuerySet | list[Model]) -> Any:
        # Django calls this before deleting, from the delete page and the bulk action.
        record_deletions(actor=request.user, object_type=self.audit_type, instances=queryset)
        return super().log_deletions(request, queryset)


# --- Form fields ---------------------------------------------------------------------------------


class CommaListField(forms.CharField):
    """Edit a JSON list of words as "a, b, c"."""

    def prepare_value(self, value: Any) -> str:
        if isinstance(value, list | tuple):
            return ", ".join(str(v) for v in value)
        return value or ""

    def to_python(self, value: Any) -> list[str]:
        text = super().to_python(value) or ""
        return [item.strip() for item in text.split(",") if item.strip()]


# --- Routing rules -------------------------------------------------------------------------------


class RuleConditionForm(forms.ModelForm):
    class Meta:
        model = RuleCondition
        fields = ["field", "operator", "key", "value", "endpoint"]
        widgets = {"value": forms.TextInput(attrs={"size": 40})}

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("field") or not data.get("operator"):
            return data
        endpoint = data.get("endpoint")
        condition = rule_logic.Condition(
            field=data["field"],
            operator=data["operator"],
            value=str(endpoint.pk)
            if data["field"] == rule_logic.ENDPOINT and endpoint
            else (data.get("value") or ""),
            key=data.get("key") or "",
        )
        problems = rule_logic.validate_condition(condition, attribute_types=attribute_types())
        for field_name, message in problems.items():
            self.add_error(field_name if field_name in self.fields else None, message)
        return data


ACTION_NEEDS = {
    RuleAction.Kind.ASSIGN_TEAM: ("team", "Pick the team to assign to."),
    RuleAction.Kind.ASSIGN_AGENT: ("agent", "Pick the agent to assign to."),
    RuleAction.Kind.SET_PRIORITY: ("priority", "Pick the priority to set."),
    RuleAction.Kind.ADD_TAGS: ("tags", "List the tags to add, separated by commas."),
    RuleAction.Kind.AUTO_REPLY: ("reply_text", "Write the auto-reply the customer receives."),
}


class RuleActionForm(forms.ModelForm):
    class Meta:
        model = RuleAction
        fields = ["kind", "team", "agent", "priority", "tags", "reply_text"]
        widgets = {"reply_text": forms.Textarea(attrs={"rows": 2, "cols": 40})}

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        needed = ACTION_NEEDS.get(data.get("kind"))
        if needed:
            field_name, message = needed
            value = data.get(field_name)
            if value is None or (isinstance(value, str) and not value.strip(" ,")):
                self.add_error(field_name, message)
        return data


class RuleConditionInline(admin.TabularInline):
    model = RuleCondition
    form = RuleConditionForm
    extra = 1
    autocomplete_fields = ["endpoint"]


class RuleActionInline(admin.TabularInline):
    model = RuleAction
    form = RuleActionForm
    extra = 1
    autocomplete_fields = ["team", "agent"]


@admin.register(RoutingRule)
class RoutingRuleAdmin(AuditedAdmin):
    list_display = ["position", "name", "is_active", "match", "condition_count", "updated_at"]
    list_display_links = ["name"]
    list_editable = ["position", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "description"]
    ordering = ["position", "id"]
    fields = ["name", "position", "is_active", "match", "description"]
    inlines = [RuleConditionInline, RuleActionInline]
    change_list_template = "admin/routing/routingrule/change_list.html"

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_conditions=Count("conditions"))

    @admin.display(description="conditions", ordering="_conditions")
    def condition_count(self, obj: RoutingRule) -> int:
        return obj._conditions

    def get_urls(self):
        return [
            path(
                "dry-run/",
                self.admin_site.admin_view(self.dry_run_view),
                name="routing_routingrule_dry_run",
            ),
            *super().get_urls(),
        ]

    def dry_run_view(self, request: HttpRequest) -> HttpResponse:
        form = DryRunForm(request.POST or None)
        result = None
        if request.method == "POST" and form.is_valid():
            try:
                result = dry_run_rules(
                    conversation_id=form.cleaned_data["conversation"],
                    sample=form.sample_message(),
                    now=timezone.now(),
                )
            except ApplicationError as exc:
                field_name = next(iter(exc.fields), None)
                form.add_error(field_name if field_name in form.fields else None, exc.message)
        context = {
            **self.admin_site.each_context(request),
            "title": "Routing dry run",
            "opts": self.model._meta,
            "form": form,
            "result": result.outcome if result else None,
            "conversation": result.conversation if result else None,
        }
        return TemplateResponse(request, "admin/routing/dry_run.html", context)


class DryRunForm(forms.Form):
    conversation = forms.IntegerField(
        required=False,
        min_value=1,
        help_text="A conversation number; leave empty to try a sample message instead.",
    )
    channel = forms.ChoiceField(choices=ChannelEndpoint.Kind.choices, required=False)
    endpoint = forms.ModelChoiceField(
        queryset=ChannelEndpoint.objects.order_by("name"), required=False
    )
    subject = forms.CharField(required=False)
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 4, "cols": 60}), required=False)
    language = forms.CharField(required=False, max_length=16, help_text="e.g. en, pt-BR")
    customer_tags = CommaListField(required=False, help_text="Comma-separated.")
    priority = forms.TypedChoiceField(
        choices=Conversation.Priority.choices, coerce=int, initial=Conversation.Priority.NORMAL
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("conversation") and not (data.get("text") or data.get("subject")):
            raise forms.ValidationError(
                "Pick a conversation, or type a sample message (text or subject)."
            )
        if not data.get("conversation") and not (data.get("channel") or data.get("endpoint")):
            self.add_error("channel", "Pick the channel the sample message arrives on.")
        return data

    def sample_message(self) -> SampleMessage:
        data = self.cleaned_data
        return SampleMessage(
            channel=data["channel"],
            endpoint=data["endpoint"],
            text=data["text"],
            subject=data["subject"],
            language=data["language"],
            customer_tags=tuple(data["customer_tags"]),
            priority=data["priority"],
        )


# --- Audit log -----------------------------------------------------------------------------------


@admin.register(RuleChange)
class RuleChangeAdmin(admin.ModelAdmin):
    list_display = ["at", "actor", "object_type", "object_name", "action", "summary"]
    list_filter = ["object_type", "action"]
    search_fields = ["object_name", "actor__username"]
    date_hierarchy = "at"

    @admin.display(description="what changed")
    def summary(self, obj: RuleChange) -> str:
        return "; ".join(str(c) for c in obj.changes) or "—"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


# --- SLA policies --------------------------------------------------------------------------------


class SlaPolicyForm(forms.ModelForm):
    class Meta:
        model = SlaPolicy
        fields = [
            "name",
            "position",
            "is_active",
            "priority",
            "team",
            "channel",
            "customer_tag",
            "first_response_minutes",
            "next_response_minutes",
            "resolution_minutes",
            "business_hours",
            "warning_percentage",
        ]

    def clean_warning_percentage(self) -> int:
        value = self.cleaned_data["warning_percentage"]
        if not 1 <= value <= 100:
            raise forms.ValidationError("Enter a share between 1 and 100 percent.")
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        targets = ("first_response_minutes", "next_response_minutes", "resolution_minutes")
        if not any(data.get(name) for name in targets):
            raise forms.ValidationError(
                "Set at least one target: first response, next response or resolution."
            )
        return data


class EscalationRuleForm(forms.ModelForm):
    class Meta:
        model = EscalationRule
        fields = [
            "target",
            "trigger",
            "raise_priority_to",
            "reassign_team",
            "reassign_agent",
            "notify_supervisors",
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("reassign_team") and data.get("reassign_agent"):
            self.add_error("reassign_agent", "Reassign to a team or to an agent, not both.")
        if not any(
            data.get(name)
            for name in (
                "raise_priority_to",
                "reassign_team",
                "reassign_agent",
                "notify_supervisors",
            )
        ):
            raise forms.ValidationError("This escalation does nothing: pick at least one action.")
        return data


class EscalationRuleInline(admin.TabularInline):
    model = EscalationRule
    form = EscalationRuleForm
    extra = 1
    autocomplete_fields = ["reassign_team", "reassign_agent"]


@admin.register(SlaPolicy)
class SlaPolicyAdmin(AuditedAdmin):
    audit_type = "SLA policy"
    form = SlaPolicyForm
    list_display = [
        "position",
        "name",
        "is_active",
        "priority",
        "team",
        "channel",
        "customer_tag",
        "first_response_minutes",
        "next_response_minutes",
        "resolution_minutes",
    ]
    list_display_links = ["name"]
    list_editable = ["position", "is_active"]
    ordering = ["position", "id"]
    inlines = [EscalationRuleInline]
    fieldsets = [
        (None, {"fields": ["name", "position", "is_active"]}),
        (
            "Applies to (empty means any)",
            {"fields": ["priority", "team", "channel", "customer_tag"]},
        ),
        (
            "Targets, in business minutes",
            {
                "fields": [
                    "first_response_minutes",
                    "next_response_minutes",
                    "resolution_minutes",
                    "business_hours",
                    "warning_percentage",
                ]
            },
        ),
    ]


# --- Business hours ------------------------------------------------------------------------------


class BusinessHoursForm(forms.ModelForm):
    class Meta:
        model = BusinessHours
        fields = ["name", "timezone"]

    def clean_timezone(self) -> str:
        value = self.cleaned_data["timezone"].strip()
        if value not in available_timezones():
            raise forms.ValidationError(
                f"“{value}” is not a known timezone; use a name like Europe/Berlin."
            )
        return value


class IntervalForm(forms.ModelForm):
    class Meta:
        model = BusinessHoursInterval
        fields = ["weekday", "opens", "closes"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        opens, closes = data.get("opens"), data.get("closes")
        if opens and closes and closes.hour + closes.minute and closes <= opens:
            self.add_error("closes", "Closing time must be after opening time (00:00 = midnight).")
        return data


class IntervalInline(admin.TabularInline):
    model = BusinessHoursInterval
    form = IntervalForm
    extra = 1


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 1


@admin.register(BusinessHours)
class BusinessHoursAdmin(AuditedAdmin):
    audit_type = "business hours"
    form = BusinessHoursForm
    list_display = ["name", "timezone"]
    inlines = [IntervalInline, HolidayInline]


# --- Teams and agents ----------------------------------------------------------------------------


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "assignment_strategy", "business_hours"]
    list_filter = ["assignment_strategy"]
    search_fields = ["name"]
    filter_horizontal = ["members", "endpoints"]

    def save_related(
        self,
        request: HttpRequest,
        form: forms.ModelForm,
        formsets: list[BaseModelFormSet],
        change: bool,
    ) -> None:
        super().save_related(request, form, formsets, change)
        settings_changed(team_id=form.instance.pk)


class AgentProfileForm(forms.ModelForm):
    skills = CommaListField(required=False, help_text="Comma-separated, e.g. billing, returns.")
    languages = CommaListField(required=False, help_text="Comma-separated codes, e.g. en, pt.")

    class Meta:
        model = AgentProfile
        fields = ["user", "role", "capacity", "skills", "languages", "presence"]


class ChannelCapacityInline(admin.TabularInline):
    model = AgentChannelCapacity
    extra = 0


@admin.register(AgentProfile)
class AgentProfileAdmin(admin.ModelAdmin):
    form = AgentProfileForm
    list_display = ["user", "role", "capacity", "presence", "skill_list", "language_list"]
    list_filter = ["role", "presence"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    raw_id_fields = ["user"]
    inlines = [ChannelCapacityInline]

    @admin.display(description="skills")
    def skill_list(self, obj: AgentProfile) -> str:
        return ", ".join(obj.skills or [])

    @admin.display(description="languages")
    def language_list(self, obj: AgentProfile) -> str:
        return ", ".join(obj.languages or [])

    def save_related(
        self,
        request: HttpRequest,
        form: forms.ModelForm,
        formsets: list[BaseModelFormSet],
        change: bool,
    ) -> None:
        super().save_related(request, form, formsets, change)
        settings_changed(agent_id=form.instance.user_id)
