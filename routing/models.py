from __future__ import annotations

from django.conf import settings
from django.db import models

from agents.models import BusinessHours, Team

# --- Routing rules ----------------------------------------------------------------------


class RoutingRule(models.Model):
    """Ordered: rules run by position, lowest first, on new and reopened conversations."""

    class Match(models.TextChoices):
        ALL = "all", "All conditions"
        ANY = "any", "Any condition"

    name = models.CharField(max_length=200)
    position = models.PositiveIntegerField(default=100, help_text="Lower runs first.")
    is_active = models.BooleanField(default=True)
    match = models.CharField(max_length=3, choices=Match.choices, default=Match.ALL)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["is_active", "position", "id"])]

    def __str__(self) -> str:
        return self.name


class RuleCondition(models.Model):
    class Field(models.TextChoices):
        CHANNEL = "channel", "Channel kind"
        ENDPOINT = "endpoint", "Inbox (endpoint)"
        TEXT = "text", "Message text"
        SUBJECT = "subject", "Subject"
        CUSTOMER_ATTRIBUTE = "customer_attribute", "Customer attribute"
        CUSTOMER_TAG = "customer_tag", "Customer tag"
        LANGUAGE = "language", "Customer language"
        PRIORITY = "priority", "Priority"
        BUSINESS_HOURS = "business_hours", "Business hours"
        REPEAT_CONTACT = "repeat_contact", "Repeat contact"

    class Operator(models.TextChoices):
        IS = "is", "is (one of)"
        IS_NOT = "is_not", "is not"
        CONTAINS = "contains", "contains"
        NOT_CONTAINS = "not_contains", "does not contain"
        REGEX = "regex", "matches regular expression"
        ANY_KEYWORD = "any_keyword", "contains any keyword of"
        EXISTS = "exists", "is set"
        HAS = "has", "has"
        HAS_NOT = "has_not", "does not have"
        AT_LEAST = "at_least", "is at least"
        AT_MOST = "at_most", "is at most"
        WITHIN_DAYS = "within_days", "contacted us within N days"
        NOT_WITHIN_DAYS = "not_within_days", "did not contact us within N days"

    rule = models.ForeignKey(RoutingRule, on_delete=models.CASCADE, related_name="conditions")
    field = models.CharField(max_length=32, choices=Field.choices)
    operator = models.CharField(max_length=16, choices=Operator.choices)
    key = models.CharField(
        max_length=100, blank=True, help_text="Attribute name, for customer attributes."
    )
    value = models.CharField(
        max_length=1000,
        blank=True,
        help_text="Comma-separated for lists; “inside”/“outside” for business hours; "
        "days for repeat contact.",
    )
    endpoint = models.ForeignKey(
        "channels_app.ChannelEndpoint",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="For the inbox condition.",
    )

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.get_field_display()} {self.get_operator_display()} {self.value}".strip()


class RuleAction(models.Model):
    class Kind(models.TextChoices):
        ASSIGN_TEAM = "assign_team", "Assign to team"
        ASSIGN_AGENT = "assign_agent", "Assign to agent"
        SET_PRIORITY = "set_priority", "Set priority"
        ADD_TAGS = "add_tags", "Add tags"
        AUTO_REPLY = "auto_reply", "Send auto-reply on the same channel"
        HAND_TO_BOT = "hand_to_bot", "Hand to the bot"
        STOP = "stop", "Stop processing further rules"

    rule = models.ForeignKey(RoutingRule, on_delete=models.CASCADE, related_name="actions")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    priority = models.IntegerField(
        null=True,
        blank=True,
        choices=[(0, "Low"), (1, "Normal"), (2, "High"), (3, "Urgent")],
    )
    tags = models.CharField(max_length=500, blank=True, help_text="Comma-separated tag names.")
    reply_text = models.TextField(blank=True, help_text="The auto-reply sent to the customer.")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.get_kind_display()


class RuleChange(models.Model):
    """Audit log: who changed which rule (or policy) when, and what."""

    class Action(models.TextChoices):
        CREATED = "created", "Created"
        CHANGED = "changed", "Changed"
        DELETED = "deleted", "Deleted"

    object_type = models.CharField(max_length=32, default="routing rule")
    object_id = models.PositiveBigIntegerField(null=True)
    object_name = models.CharField(max_length=200)
    action = models.CharField(max_length=16, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    changes = models.JSONField(default=list, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.object_type} “{self.object_name}” {self.action}"


# --- SLAs and escalation ------------------------------------------------------------------


class SlaPolicy(models.Model):
    """The first active policy (by position) whose conditions all hold applies.

    An empty condition means "any"."""

    name = models.CharField(max_length=200)
    position = models.PositiveIntegerField(default=100, help_text="Lower is tried first.")
    is_active = models.BooleanField(default=True)
    priority = models.IntegerField(
        null=True,
        blank=True,
        choices=[(0, "Low"), (1, "Normal"), (2, "High"), (3, "Urgent")],
        help_text="Only conversations of this priority (empty: any).",
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="sla_policies"
    )
    channel = models.CharField(
        max_length=16, blank=True, help_text="Channel kind, e.g. email (empty: any)."
    )
    customer_tag = models.CharField(max_length=64, blank=True, help_text="Empty: any.")
    first_response_minutes = models.PositiveIntegerField(null=True, blank=True)
    next_response_minutes = models.PositiveIntegerField(null=True, blank=True)
    resolution_minutes = models.PositiveIntegerField(null=True, blank=True)
    business_hours = models.ForeignKey(
        BusinessHours,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Empty: the team's business hours, or around the clock.",
    )
    warning_percentage = models.PositiveIntegerField(
        default=80, help_text="Warn when this share of a target has elapsed."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = "SLA policy"
        verbose_name_plural = "SLA policies"

    def __str__(self) -> str:
        return self.name


class SlaTarget(models.TextChoices):
    FIRST_RESPONSE = "first_response", "First response"
    NEXT_RESPONSE = "next_response", "Next response"
    RESOLUTION = "resolution", "Resolution"


class EscalationRule(models.Model):
    class Target(models.TextChoices):
        ANY = "any", "Any target"
        FIRST_RESPONSE = "first_response", "First response"
        NEXT_RESPONSE = "next_response", "Next response"
        RESOLUTION = "resolution", "Resolution"

    class Trigger(models.TextChoices):
        WARNING = "warning", "Warning"
        BREACH = "breach", "Breach"

    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="escalations")
    target = models.CharField(max_length=16, choices=Target.choices, default=Target.ANY)
    trigger = models.CharField(max_length=8, choices=Trigger.choices, default=Trigger.BREACH)
    raise_priority_to = models.IntegerField(
        null=True,
        blank=True,
        choices=[(1, "Normal"), (2, "High"), (3, "Urgent")],
        help_text="Only ever raises.",
    )
    reassign_team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reassign_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    notify_supervisors = models.BooleanField(default=True, help_text="In the app and by email.")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.get_trigger_display()} of {self.get_target_display().lower()}"


class SlaClock(models.Model):
    """Per-conversation SLA bookkeeping. `next_check_at` is the one column the escalation
    scan reads (partial index), so a scan costs only the number of due conversations."""

    conversation = models.OneToOneField(
        "conversations.Conversation",
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="sla_clock",
    )
    policy = models.ForeignKey(SlaPolicy, null=True, blank=True, on_delete=models.SET_NULL)
    # Business seconds the clock stood still (pending, snoozed, resolved) in total, and
    # when the current pause began.
    paused_seconds = models.FloatField(default=0)
    paused_since = models.DateTimeField(null=True, blank=True)
    # The customer wait that next-response counts from, and the pause total at its start.
    wait_started_at = models.DateTimeField(null=True, blank=True)
    wait_paused_base = models.FloatField(default=0)
    last_status = models.CharField(max_length=16, blank=True)
    routed_at = models.DateTimeField(null=True, blank=True)
    next_check_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["next_check_at"],
                condition=models.Q(next_check_at__isnull=False),
                name="sla_clock_next_check_idx",
            )
        ]

    def __str__(self) -> str:
        return f"SLA clock of #{self.conversation_id}"


class EscalationFire(models.Model):
    """One warning or breach of one target in one cycle; the unique constraint is what
    makes each fire once, however many scans overlap."""

    conversation = models.ForeignKey(
        "conversations.Conversation", on_delete=models.CASCADE, related_name="+"
    )
    target = models.CharField(max_length=16, choices=SlaTarget.choices)
    kind = models.CharField(max_length=8, choices=EscalationRule.Trigger.choices)
    cycle_started_at = models.DateTimeField()
    due_at = models.DateTimeField()
    fired_at = models.DateTimeField(auto_now_add=True)
    policy = models.ForeignKey(SlaPolicy, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "target", "kind", "cycle_started_at"],
                name="escalation_fire_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.target} {self.kind} on #{self.conversation_id}"
