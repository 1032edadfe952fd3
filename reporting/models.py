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
        "routing.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
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
