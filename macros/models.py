from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Macro(models.Model):
    """A named sequence of inbox actions an agent runs on a conversation in one go
    (`macros.actions` describes and validates `actions`)."""

    class Visibility(models.TextChoices):
        PERSONAL = "personal", "Only me"
        TEAM = "team", "My team"
        EVERYONE = "everyone", "Everyone"

    name = models.CharField(max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="macros",
        help_text="Who made it; a personal macro is theirs alone.",
    )
    visibility = models.CharField(
        max_length=16, choices=Visibility.choices, default=Visibility.PERSONAL
    )
    team = models.ForeignKey(
        "agents.Team",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="macros",
        help_text="The team a team macro is shared with.",
    )
    actions = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(visibility="team") | models.Q(team__isnull=False),
                name="macro_team_macro_has_team",
            )
        ]

    def __str__(self) -> str:
        return self.name
