"""Supervisor admin for routing: rules with condition and action rows, SLA policies with
escalations, business hours, teams and agents; a dry-run page and the audit log.

Forms validate in plain words; every save of a rule or policy is written to the audit
log (`RuleChange`)."""

from __future__ import annotations

from typing import Any
from zoneinfo import available_timezones

from django import forms
from django.contrib import admin
from django.db import transaction
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone

from agents.business_hours import is_open
from agents.models import (
    AgentChannelCapacity,
    AgentProfile,
    BusinessHours,
    BusinessHoursInterval,
    Holiday,
    Team,
)
from agents.selectors import default_team_for_endpoint, team_schedule
from channels_app.models import ChannelEndpoint
from conversations.models import Conversation
from routing import rules as rule_logic
from routing import selectors
from routing.models import (
    EscalationRule,
    RoutingRule,
    RuleAction,
    RuleChange,
    RuleCondition,
    SlaPolicy,
)
from routing.services import record_change, schedule_queue_drain

# --- Audit helpers -------------------------------------------------------------------------------


def _describe_formsets(formsets) -> list[str]:
    changes = []
    for formset in formsets:
        label = formset.model._meta.verbose_name
        for obj in formset.new_objects:
            changes.append(f"added {label} “{obj}”")
        for obj, fields in formset.changed_objects:
            changes.append(f"changed {label} “{obj}”: {', '.join(fields)}")
        for obj in formset.deleted_objects:
            changes.append(f"deleted {label} “{obj}”")
    return changes


class AuditedAdmin(admin.ModelAdmin):
    """Writes who changed what, when, to the routing audit log."""

    audit_type = "routing rule"

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        request._routing_audit = (
            change,
            [f"changed {name}" for name in form.changed_data] if change else ["created"],
        )

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        obj = form.instance
        was_change, changes = getattr(request, "_routing_audit", (change, []))
        changes = changes + _describe_formsets(formsets)
        # Touch the row so cached rule sets notice inline-only edits.
        type(obj).objects.filter(pk=obj.pk).update(updated_at=timezone.now())
        if changes or not was_change:
            record_change(
                actor=request.user,
                object_type=self.audit_type,
                object_id=obj.pk,
                object_name=str(obj),
                action=RuleChange.Action.CHANGED if was_change else RuleChange.Action.CREATED,
                changes=changes,
            )

    def delete_model(self, request, obj) -> None:
        record_change(
            actor=request.user,
            object_type=self.audit_type,
            object_id=obj.pk,
            object_name=str(obj),
            action=RuleChange.Action.DELETED,
        )
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset) -> None:
        for obj in queryset:
            record_change(
                actor=request.user,
                object_type=self.audit_type,
                object_id=obj.pk,
                object_name=str(obj),
                action=RuleChange.Action.DELETED,
            )
        super().delete_queryset(request, queryset)


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
        for field_name, message in rule_logic.validate_condition(condition).items():
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
        conversation = None
        if request.method == "POST" and form.is_valid():
            result, conversation = _run_dry_run(form.cleaned_data)
            if result is None:
                form.add_error("conversation", "There is no conversation with this number.")
        context = {
            **self.admin_site.each_context(request),
            "title": "Routing dry run",
            "opts": self.model._meta,
            "form": form,
            "result": result,
            "conversation": conversation,
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
    customer_tags = forms.CharField(required=False, help_text="Comma-separated.")
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


def _run_dry_run(data: dict[str, Any]):
    now = timezone.now()
    if data.get("conversation"):
        conversation = (
            Conversation.objects.select_related("customer", "endpoint")
            .filter(pk=data["conversation"])
            .first()
        )
        if conversation is None:
            return None, None
        facts = selectors.conversation_facts(conversation=conversation, now=now)
        return (
            selectors.dry_run(
                facts=facts,
                endpoint_team_id=default_team_for_endpoint(conversation.endpoint_id),
                current_team_id=None,
                current_tags=selectors.wanted_skills(conversation),
            ),
            conversation,
        )
    endpoint = data.get("endpoint")
    team_id = default_team_for_endpoint(endpoint.pk) if endpoint else None
    facts = rule_logic.Facts(
        channel=data.get("channel") or endpoint.kind,
        endpoint_id=endpoint.pk if endpoint else None,
        endpoint_name=endpoint.name if endpoint else "",
        text=data.get("text") or "",
        subject=data.get("subject") or "",
        customer_tags=tuple(
            t.strip() for t in (data.get("customer_tags") or "").split(",") if t.strip()
        ),
        language=data.get("language") or "",
        priority=data["priority"],
        inside_business_hours=is_open(now, team_schedule(team_id)),
        previous_contact_at=None,
        now=now,
    )
    return selectors.dry_run(facts=facts, endpoint_team_id=team_id), None


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

    def save_related(self, request, form, formsets, change) -> None:
        # BusinessHours has no updated_at; audit without touching.
        admin.ModelAdmin.save_related(self, request, form, formsets, change)
        changes = _describe_formsets(formsets)
        was_change, own = getattr(request, "_routing_audit", (change, []))
        if own or changes or not was_change:
            record_change(
                actor=request.user,
                object_type=self.audit_type,
                object_id=form.instance.pk,
                object_name=str(form.instance),
                action=RuleChange.Action.CHANGED if was_change else RuleChange.Action.CREATED,
                changes=own + changes,
            )


# --- Teams and agents ----------------------------------------------------------------------------


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "assignment_strategy", "business_hours"]
    list_filter = ["assignment_strategy"]
    search_fields = ["name"]
    filter_horizontal = ["members", "endpoints"]

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        # A new strategy or new members may be able to take waiting conversations.
        schedule_queue_drain(team_ids=[form.instance.pk])


class CommaListField(forms.CharField):
    """Edit a JSON list of words as "a, b, c"."""

    def prepare_value(self, value: Any) -> str:
        if isinstance(value, list | tuple):
            return ", ".join(str(v) for v in value)
        return value or ""

    def to_python(self, value: Any) -> list[str]:
        text = super().to_python(value) or ""
        return [item.strip() for item in text.split(",") if item.strip()]


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

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        # More capacity (or coming online) may let this agent take waiting conversations.
        with transaction.atomic():
            schedule_queue_drain(
                team_ids=list(form.instance.user.teams.values_list("id", flat=True))
            )
