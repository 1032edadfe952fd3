from __future__ import annotations

from django.conf import settings
from django.db import models


class SavedView(models.Model):
    """An agent's named filters of the inbox, private or shared with one of their teams.

    `filters` is stored validated (`workspace.filters.clean_filters`); the inbox list
    applies it like a fixed tab (`workspace.filters.inbox_params`)."""

    name = models.CharField(max_length=100)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views"
    )
    team = models.ForeignKey(
        "agents.Team",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="saved_views",
        help_text="Shared with this team's members; private when empty.",
    )
    filters = models.JSONField(default=dict, blank=True)
    position = models.PositiveIntegerField(default=100)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        indexes = [
            models.Index(fields=["owner", "position"]),
            models.Index(fields=["team", "position"]),
        ]

    def __str__(self) -> str:
        return self.name
