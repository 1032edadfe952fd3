"""The bot's own facts: one session per conversation it spoke in, with what it offered
and how it ended (the outcomes in docs/metrics.md are counted from these rows)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class BotSession(models.Model):
    class State(models.TextChoices):
        ACTIVE = "active", "Talking"
        RESOLVED = "resolved", "Resolved by the bot"
        HANDED_OFF = "handed_off", "Handed to a person"
        SILENCED = "silenced", "An agent replied"

    conversation_id = models.BigIntegerField(unique=True)
    customer_id = models.BigIntegerField(db_index=True)
    endpoint_id = models.BigIntegerField()
    channel = models.CharField(max_length=16)
    locale = models.CharField(max_length=8, default="en")
    state = models.CharField(max_length=16, choices=State.choices, default=State.ACTIVE)
    awaiting_feedback = models.BooleanField(default=False)
    unconfident_turns = models.PositiveSmallIntegerField(default=0)
    # [{"customer": ..., "bot": ..., "articles": [{"id", "title", "url", "score"}]}, ...]
    transcript = models.JSONField(default=list)
    handoff_reason = models.CharField(max_length=200, blank=True)
    started_at = models.DateTimeField(default=timezone.now, db_index=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    # A bot resolution is revoked when the same customer writes again, on any channel,
    # within the repeat window: the bot did not really solve it.
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["customer_id", "state"], name="bot_session_customer")]

    def __str__(self) -> str:
        return f"conversation {self.conversation_id}: {self.state}"
