from __future__ import annotations

from django.db import models
from django.utils import timezone


class RetentionPolicy(models.Model):
    """Resolved conversations of an inbox (endpoint) or a team, resolved more than
    `anonymise_after_days` ago, lose their personal content (privacy/services.py
    `apply_retention`); their counts stay in the reports."""

    name = models.CharField(max_length=200)
    endpoint = models.ForeignKey(
        "channels_app.ChannelEndpoint",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="The inbox whose conversations this applies to (or pick a team).",
    )
    team = models.ForeignKey(
        "agents.Team",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="The team whose conversations this applies to (or pick an inbox).",
    )
    anonymise_after_days = models.PositiveIntegerField(
        help_text="Resolved conversations older than this many days are anonymised."
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "retention policies"
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(endpoint__isnull=False, team__isnull=True)
                    | models.Q(endpoint__isnull=True, team__isnull=False)
                ),
                name="retention_policy_endpoint_or_team",
            ),
            models.CheckConstraint(
                condition=models.Q(anonymise_after_days__gte=1),
                name="retention_policy_at_least_a_day",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}: after {self.anonymise_after_days} days"


class Anonymisation(models.Model):
    """A conversation whose personal content was removed, and why: retention does not
    pick it again, and the erasure of its customer is on record."""

    class Reason(models.TextChoices):
        ERASURE = "erasure", "The customer's erasure"
        RETENTION = "retention", "A retention policy"

    conversation = models.OneToOneField(
        "conversations.Conversation", on_delete=models.CASCADE, related_name="+"
    )
    reason = models.CharField(max_length=16, choices=Reason.choices)
    policy = models.ForeignKey(
        RetentionPolicy, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    anonymised_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"#{self.conversation_id} anonymised ({self.reason})"


class CustomerErasure(models.Model):
    """A customer erased on request: the record stays (conversations and reports count
    it) without anything personal."""

    customer = models.OneToOneField(
        "customers.Customer", on_delete=models.CASCADE, related_name="+"
    )
    erased_at = models.DateTimeField(default=timezone.now)
    erased_by_id = models.BigIntegerField(null=True, blank=True)

    def __str__(self) -> str:
        return f"customer #{self.customer_id} erased at {self.erased_at:%Y-%m-%d %H:%M}"
