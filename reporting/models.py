from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone


def new_survey_token() -> str:
    return secrets.token_urlsafe(24)


class CsatSurvey(models.Model):
    """One satisfaction survey per resolution of a conversation.

    Team and agent are copied at resolution time, so a later reassignment does not move
    a score to someone who did not handle the conversation.
    """

    class Method(models.TextChoices):
        LINK = "link", "Link to the public survey page"
        KEYWORD = "keyword", "Reply with a number from 1 to 5"

    conversation = models.ForeignKey(
        "conversations.Conversation", on_delete=models.CASCADE, related_name="csat_surveys"
    )
    resolution_number = models.PositiveIntegerField(
        help_text="1 for the first resolution of the conversation, 2 after a reopen..."
    )
    resolved_at = models.DateTimeField()
    channel = models.CharField(max_length=16, help_text="The channel the conversation ended on.")
    endpoint = models.ForeignKey(
        "channels_app.ChannelEndpoint",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    method = models.CharField(max_length=16, choices=Method.choices)
    token = models.CharField(max_length=64, unique=True, default=new_survey_token, editable=False)
    team = models.ForeignKey(
        "agents.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    message = models.ForeignKey(
        "conversations.Message",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The outbound message that carried the survey.",
    )
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "resolution_number"], name="csat_survey_one_per_resolution"
            )
        ]
        indexes = [models.Index(fields=["sent_at"])]

    def __str__(self) -> str:
        return f"CSAT survey #{self.pk} for #{self.conversation_id} ({self.resolution_number})"


class CsatResponse(models.Model):
    survey = models.OneToOneField(CsatSurvey, on_delete=models.CASCADE, related_name="response")
    conversation = models.ForeignKey(
        "conversations.Conversation", on_delete=models.CASCADE, related_name="csat_responses"
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="csat_responses"
    )
    score = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True)
    channel = models.CharField(max_length=16, help_text="Where the answer came from.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(score__gte=1, score__lte=5), name="csat_response_score_1_to_5"
            )
        ]
        indexes = [models.Index(fields=["created_at"])]

    def __str__(self) -> str:
        return f"CSAT {self.score} on #{self.conversation_id}"


# --- Pre-aggregated report data -------------------------------------------------------------
# Derived from conversations, messages and events by reporting.services.refresh_report_data
# (incrementally, every minute and before a dashboard is read), so a year of reports reads
# ~1 row per conversation instead of every message and event. The definitions are in
# docs/metrics.md; the SQL that computes these rows is reporting.selectors' live SQL.


class ConversationFact(models.Model):
    """One row per conversation: what the conversation metrics aggregate."""

    conversation = models.OneToOneField(
        "conversations.Conversation",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="report_fact",
    )
    customer_id = models.BigIntegerField()
    created_at = models.DateTimeField()
    team_id = models.BigIntegerField(null=True)
    assignee_id = models.BigIntegerField(null=True)
    endpoint_id = models.BigIntegerField()
    start_channel = models.CharField(max_length=16)
    status = models.CharField(max_length=16)
    resolved_at = models.DateTimeField(null=True)
    first_response_at = models.DateTimeField(null=True)
    first_response_due_at = models.DateTimeField(null=True)
    resolution_due_at = models.DateTimeField(null=True)
    ever_resolved = models.BooleanField()
    reopened = models.BooleanField()
    switched = models.BooleanField()
    handoffs = models.JSONField(default=list, help_text="[from, to] channel of each switch.")
    next_contact_at = models.DateTimeField(
        null=True, help_text="The customer's next new conversation after the resolution."
    )
    frt = models.FloatField(null=True)
    frt_business = models.FloatField(null=True)
    resolution = models.FloatField(null=True)
    resolution_business = models.FloatField(null=True)
    handling = models.FloatField(null=True)
    handling_business = models.FloatField(null=True)
    refreshed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["created_at"]),
            # The handoff view reads only the few conversations that switched channels.
            models.Index(
                fields=["created_at"],
                condition=models.Q(switched=True),
                name="fact_switched_created_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"facts of #{self.conversation_id}"


class ResponseWait(models.Model):
    """A customer wait after an agent reply (next response time, docs/metrics.md)."""

    conversation = models.ForeignKey(
        "conversations.Conversation", on_delete=models.CASCADE, related_name="+"
    )
    started_at = models.DateTimeField()
    replied_at = models.DateTimeField(null=True)
    seconds = models.FloatField(null=True)
    business_seconds = models.FloatField(null=True)
    channel = models.CharField(max_length=16)
    endpoint_id = models.BigIntegerField(null=True)
    team_id = models.BigIntegerField(null=True)
    assignee_id = models.BigIntegerField(null=True)

    class Meta:
        indexes = [models.Index(fields=["started_at"])]

    def __str__(self) -> str:
        return f"wait on #{self.conversation_id} from {self.started_at:%Y-%m-%d %H:%M}"


class MessageRollup(models.Model):
    """Customer messages per UTC hour, channel, endpoint and team (0: no team)."""

    hour = models.DateTimeField()
    channel = models.CharField(max_length=16)
    endpoint_id = models.BigIntegerField(default=0)
    team_id = models.BigIntegerField(default=0)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["hour", "channel", "endpoint_id", "team_id"], name="message_rollup_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.count} {self.channel} messages at {self.hour:%Y-%m-%d %H}:00"


class RefreshState(models.Model):
    """Watermarks of the incremental refresh (a single row)."""

    last_message_id = models.BigIntegerField(default=0)
    last_event_id = models.BigIntegerField(default=0)
    conversations_checked_at = models.DateTimeField(null=True)
    refreshed_at = models.DateTimeField(null=True)

    def __str__(self) -> str:
        return f"report data refreshed at {self.refreshed_at}"
